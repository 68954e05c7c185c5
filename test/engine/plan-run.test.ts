// computePlan on the demo's offline organisation, for shapes of config the demo itself does not
// use: a directory configured while only cloud-only mailboxes are in scope.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import { computePlan } from "../../src/engine/plan-run.js";

const NOW = new Date("2026-03-01T10:00:00Z");

describe("computePlan", () => {
  it("with a directory but only cloud-only recipients in scope, reads no AD users and trips no guard", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-engine-"));
    await writeDemo(dir, NOW);
    const doc = parseDocument(await readFile(join(dir, "smimesync.yaml"), "utf8"));
    doc.deleteIn(["scope", "ous"]);
    doc.deleteIn(["scope", "groups"]);
    await writeFile(join(dir, "smimesync.yaml"), doc.toString());
    const { plan, trips } = await computePlan(await loadConfig("smimesync.yaml", dir), { env: {}, now: NOW });
    expect(trips).toEqual([]);
    expect(plan.changes.every((c) => c.authority === "exchange")).toBe(true);
    expect(plan.changes.map((c) => c.address)).toContain("exchange:mailbox/frank.fischer@corp.example.com");
    expect(plan.drift).toEqual([]);
  });
});
