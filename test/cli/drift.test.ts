// `smimesync drift` through the CLI on the demo's offline backends: exit 2 under drift even when
// the plan has nothing to change (where `plan --detailed-exitcode` exits 0), 0 without drift, 1 on
// an error.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { writeDemo } from "../../src/demo/write-demo.js";
import { runAt } from "../demo/run.js";

const NOW = new Date("2031-03-15T10:00:00Z");
const scratch: string[] = [];
afterAll(async () => {
  for (const d of scratch) await rm(d, { recursive: true, force: true });
});

async function demo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-drift-"));
  scratch.push(dir);
  await writeDemo(dir, NOW);
  return dir;
}

describe("smimesync drift", () => {
  it("exits 2 under drift after a converged apply, while plan --detailed-exitcode exits 0", async () => {
    const dir = await demo();
    const apply = await runAt(NOW, ["apply", "--auto-approve"], dir);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);

    const plan = await runAt(NOW, ["plan", "--detailed-exitcode"], dir);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("No changes to make. 5 recipients are waiting for Entra Connect.");

    const drift = await runAt(NOW, ["drift"], dir);
    expect(drift.code, drift.stderr).toBe(2);
    const lines = drift.stdout.trimEnd().split("\n");
    expect(lines).toContain(
      "! ad:user/grace.green@corp.example.com userCertificate: sync pending: 1 value in AD not yet in Exchange Online (waiting for Entra Connect)",
    );
    expect(lines.at(-1)).toMatch(
      /^Drift: \d+ items; 5 recipients waiting for Entra Connect, 1 recipient with other drift\.$/,
    );
    // Only drift: no plan, no changes.
    expect(drift.stdout).not.toMatch(/will perform|Plan:|would remove/);
  });

  it("exits 0 without drift", async () => {
    const dir = await demo();
    // Only the cloud-only mailboxes in scope: nothing has a mirror to differ from.
    const doc = parseDocument(await readFile(join(dir, "smimesync.yaml"), "utf8"));
    doc.deleteIn(["scope", "ous"]);
    doc.deleteIn(["scope", "groups"]);
    await writeFile(join(dir, "smimesync.yaml"), doc.toString());
    const r = await runAt(NOW, ["drift"], dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(
      /^No drift: Exchange Online matches the authority for all \d+ recipients in scope\.\n$/,
    );
    expect(r.code).toBe(0);
  });

  it("exits 1 on an error, with the message", async () => {
    const dir = await demo();
    const r = await runAt(NOW, ["drift", "-c", "missing.yaml"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing\.yaml/);
    expect(r.stdout).toBe("");
  });
});
