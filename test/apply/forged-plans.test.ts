// Defence in depth, against the offline backends (the demo's LDIF): whatever a plan says, apply's
// executor parses every value with the policy's certificate parser and checks that the object it
// re-reads is the recipient the plan names. Re-sealed plans (ids, summary and integrity
// recomputed, as anyone can) holding a private key, garbage, another person's certificate under
// the shown thumbprint, or a write redirected to another user: none is written.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import { executeApply } from "../../src/engine/apply-run.js";
import { computePlan } from "../../src/engine/plan-run.js";
import type { Plan } from "../../src/plan/types.js";
import { forgedPlans } from "../fixtures/plan-builder.js";

const NOW = new Date("2026-03-01T10:00:00Z");
let dir: string;
let plan: Plan;

const files = async () =>
  (await readFile(join(dir, "directory.ldif"), "utf8")) + (await readFile(join(dir, "tenant.json"), "utf8"));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "smimesync-forged-"));
  await writeDemo(dir, NOW);
  plan = (await computePlan(await loadConfig("smimesync.yaml", dir), { env: {}, now: NOW })).plan;
});

describe("apply refuses forged plans whatever they say (offline backends)", () => {
  it("writes no private key, no garbage, no other person's certificate, and nothing to another user", async () => {
    const derPublications = plan.changes.filter(
      (c) => c.action === "publish" && c.attribute === "userCertificate",
    );
    const target = derPublications.find((c) => c.authority === "ad");
    const other = derPublications.find((c) => c.address !== target?.address);
    const victim = plan.objects.find(
      (o) => o.ref.type === "ad" && o.kind === "user" && o.address !== target?.address,
    );
    if (!target || !other || victim?.ref.type !== "ad")
      throw new Error("the demo plan lacks the publications needed");
    const privateKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
      format: "der",
      type: "pkcs8",
    });
    const forged = forgedPlans(plan, target, {
      privateKey: new Uint8Array(privateKey),
      otherCertificate: Buffer.from(other.value as string, "base64"),
      otherObject: victim,
    });
    const loaded = await loadConfig("smimesync.yaml", dir);
    const before = await files();
    const messages: Record<string, string> = {};
    for (const f of forged) {
      const r = await executeApply(loaded, f.plan, { env: {} });
      expect(r.saveError).toBeUndefined();
      expect(r.outcomes.map((o) => o.outcome)).toEqual(["failed"]);
      messages[f.kind] = r.outcomes[0]?.message ?? "";
    }
    expect(messages["private-key"]).toMatch(
      /^refused: userCertificate of .*: the value is not a certificate \(.*private key/i,
    );
    expect(messages.garbage).toMatch(/^refused: userCertificate of .*: the value is not a certificate/);
    expect(messages["other-certificate"]).toMatch(/not the one the plan shows/);
    expect(messages.redirect).toMatch(/^refused: the object found .* does not carry the address/);
    expect(await files()).toBe(before);
  });
});
