// The empty-directory guard against the Samba DC, through the CLI: a read that finds objects but
// filters every one out says how many it read and what each filter removed (issue 12).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, createUser, testOu } from "../ad/seed.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { pem, testPki } from "../fixtures/pki.js";
import { backendsYaml, stackCli } from "./stack.js";

const suffix = Math.random().toString(36).slice(2, 7);
let ad: Client;
let ou: string;
let emu: Emulator;
let dir: string;
const cli = stackCli(
  () => dir,
  () => emu,
);

async function config(scope: string): Promise<void> {
  await writeFile(
    join(dir, "smimesync.yaml"),
    `version: 1\n${backendsYaml(emu)}policy:\n  trustAnchors: [root.pem]\nscope:\n  ous:\n    - dn: "${ou}"\n${scope}`,
  );
}

beforeAll(async () => {
  ad = await adminClient();
  ou = await testOu(ad, `empty-dir-${suffix}`);
  // Eleven disabled users, and one enabled user whose mail the include pattern below rejects.
  for (let i = 0; i < 11; i++)
    await createUser(ad, ou, {
      cn: `gone${i} ${suffix}`,
      sAMAccountName: `gone${i}${suffix}`,
      disabled: true,
    });
  await createUser(ad, ou, {
    cn: `kept ${suffix}`,
    sAMAccountName: `kept${suffix}`,
    mail: `kept.${suffix}@other.test`,
  });
  emu = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), "smimesync-empty-dir-"));
  await writeFile(join(dir, "root.pem"), pem("CERTIFICATE", (await testPki()).root.der));
});

afterAll(async () => {
  await emu?.close();
  await ad?.unbind();
  await rm(dir, { recursive: true, force: true });
});

describe("empty-directory guard, against Samba AD", () => {
  it("counts what each filter removed: disabled, and the exact include check", async () => {
    // The server narrows by `kept*`/`gone*`; the exact `?` check and the disabled flag are ours.
    await config(
      `  include:\n    - attribute: sAMAccountName\n      match: "?one*"\n    - attribute: sAMAccountName\n      match: "kept?"\n`,
    );
    const r = await cli(["plan"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(
      "safety guard empty-directory: the directory read returned no object in scope (12 read: 11 disabled, 1 matching no scope.include pattern).",
    );
    expect(r.stderr).toMatch(/Set scope\.includeDisabled: true to manage disabled accounts/);
  });

  it("says when every object read was disabled (the issue's 11 of 11)", async () => {
    await config(`  include:\n    - attribute: sAMAccountName\n      match: "gone*"\n`);
    const r = await cli(["plan"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the directory read returned no object in scope (11 read: 11 disabled).");
  });

  it("counts exclusions beside disabled accounts", async () => {
    await config(`  exclude:\n    - attribute: sAMAccountName\n      match: "kept*"\n`);
    const r = await cli(["plan"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "the directory read returned no object in scope (12 read: 11 disabled, 1 matching scope.exclude).",
    );
  });
});
