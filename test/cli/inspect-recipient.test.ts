// `smimesync inspect --mail X` without files: the recipient's current values, read from the
// configured backends (the demo's LDIF and tenant snapshot), each with its verdict, and the plan
// for it; nothing written.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2031-03-15T10:00:00Z");
let dir: string;

beforeAll(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "smimesync-inspect-mail-")), "demo");
  const r = await runCli(["demo", dir, "--now", NOW.toISOString()]);
  expect(r.code).toBe(0);
}, 120_000);

const inspect = (args: readonly string[]) => runCli(["inspect", ...args], { cwd: dir, seams: { now: NOW } });

describe("inspect --mail from the configured backends", () => {
  it("shows each value at the authority with its verdict, what Exchange Online holds, and the plan, writing nothing", async () => {
    const before = await Promise.all(["directory.ldif", "tenant.json"].map((f) => readFile(join(dir, f))));
    const r = await inspect(["--mail", "ERIN.EVANS@corp.example.com", "--at", NOW.toISOString()]);
    expect(r.code, r.stderr).toBe(0);
    // Erin holds 16 values in AD (the demo's over-15 user): every one is shown with a verdict.
    expect(r.stdout.match(/^AD userCertificate\[\d+\]: /gm)).toHaveLength(16);
    expect(r.stdout.match(/^ {2}value: [✓✗!]/gm)).toHaveLength(16);
    expect(r.stdout).toMatch(/✗ expired: expired on/);
    expect(r.stdout).toMatch(/Exchange Online holds 15 value\(s\), 1 of AD's not there yet/);
    expect(r.stdout).toContain("Plan for ad:user/erin.evans@corp.example.com:");
    expect(r.stdout).toMatch(/^ {2}- userCertificate .*thumbprint [0-9A-F]{8}.*\(expired: /m);
    expect(r.stdout).toMatch(/~ drift sync-blocked-over-limit/);
    const after = await Promise.all(["directory.ldif", "tenant.json"].map((f) => readFile(join(dir, f))));
    expect(after).toEqual(before);
  });

  it("--json gives the same verdicts as data", async () => {
    const r = await inspect(["--mail", "erin.evans@corp.example.com", "--at", NOW.toISOString(), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      address: string;
      attributes: { attribute: string; values: { status: string; reason?: string }[] }[];
      changes: { address: string }[];
    };
    expect(doc.address).toBe("ad:user/erin.evans@corp.example.com");
    const uc = doc.attributes.find((a) => a.attribute === "userCertificate");
    expect(uc?.values).toHaveLength(16);
    expect(uc?.values.some((v) => v.status === "rejected" && v.reason === "expired")).toBe(true);
    expect(doc.changes.length).toBeGreaterThan(0);
    expect(doc.changes.every((c) => c.address === doc.address)).toBe(true);
  });

  it("an address nobody in scope has, or neither files nor --mail, is a clear error", async () => {
    const none = await inspect(["--mail", "nobody@corp.example.com"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no recipient in scope has the address nobody@corp.example.com");
    const bare = await inspect([]);
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain("inspect needs certificate files, or --mail");
    expect(bare.stderr).not.toMatch(/\n\s+at /);
  });
});
