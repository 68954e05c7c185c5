// The production HTTP path (no test seam) against the emulator, in a child process that trusts
// the test CA through NODE_EXTRA_CA_CERTS only; and without it, TLS verification refuses.
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Emulator, startEmulator } from "./server.js";

const run = promisify(execFile);
let emu: Emulator;
let caFile: string;

beforeAll(async () => {
  emu = await startEmulator();
  emu.state.addUser({ userPrincipalName: "a@contoso.com" });
  emu.state.addUser({ userPrincipalName: "b@contoso.com" });
  caFile = join(mkdtempSync(join(tmpdir(), "smimesync-ca-")), "ca.pem");
  writeFileSync(caFile, emu.caPem);
});
afterAll(() => emu.close());

function probe(extraEnv: Record<string, string>) {
  return run(process.execPath, ["--import", "tsx", "test/emulator/default-transport-probe.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      PROBE_TENANT_CONFIG: JSON.stringify(emu.tenantConfig()),
      SMIMESYNC_TEST_CLIENT_SECRET: emu.app.clientSecret,
      ...extraEnv,
    },
    timeout: 60_000,
  });
}

it("works with Node's own fetch and identity's own client when the CA is trusted via NODE_EXTRA_CA_CERTS", async () => {
  const { stdout } = await probe({ NODE_EXTRA_CA_CERTS: caFile });
  expect(JSON.parse(stdout)).toEqual({ users: 2, recipients: 2 });
});

it("refuses the emulator's certificate when the CA is not trusted", async () => {
  const error = await probe({}).then(
    () => undefined,
    (e: { stderr?: string }) => e,
  );
  expect(error).toBeDefined();
  expect(String(error?.stderr)).toMatch(
    /cannot reach the Entra ID authority https:\/\/127\.0\.0\.1:\d+ to get a token/,
  );
});
