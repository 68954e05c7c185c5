// The plan file is written in pieces (planFileChunks), never as one string of the whole plan:
// the pieces must give exactly the text JSON.stringify gives, which loadPlan and every earlier
// version of smimesync read, and an invalid plan must still be refused before anything is written.
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPlan, planFileChunks, planIntegrity, savePlan } from "../../src/plan/plan-file.js";
import type { Plan } from "../../src/plan/types.js";
import { fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";
import { fixturePlan } from "./fixture-plan.js";

/** What the file held before it was written in pieces. */
const whole = (plan: Plan) => `${JSON.stringify({ ...plan, integrity: planIntegrity(plan) }, null, 2)}\n`;

function bigPlan(users: number): Plan {
  const b = new PlanBuilder();
  for (let i = 0; i < users; i++) {
    const mail = `user${i}@corp.example.com`;
    b.adUser(mail).publish(
      `ad:user/${mail}`,
      "userCertificate",
      fakeCertificate({ cn: `User ${i}`, email: mail, seed: `u${i}` }),
    );
  }
  return b.build();
}

describe("plan file in pieces", () => {
  it("gives exactly JSON.stringify's text: the golden fixture, an empty plan, one over many pieces", () => {
    for (const plan of [fixturePlan(), new PlanBuilder().build(), bigPlan(400)]) {
      const chunks = [...planFileChunks(plan)];
      expect(chunks.join("")).toBe(whole(plan));
      if (plan.changes.length === 400) expect(chunks.length).toBeGreaterThan(1);
    }
  });

  it("is saved as that text, and loads back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-chunks-"));
    const plan = bigPlan(400);
    await savePlan(join(dir, "plan.json"), plan);
    expect(await readFile(join(dir, "plan.json"), "utf8")).toBe(whole(plan));
    expect((await loadPlan(join(dir, "plan.json"))).id).toBe(plan.id);
  });

  it("refuses an invalid plan before the file is created", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-chunks-"));
    const plan = fixturePlan();
    const forged = { ...plan, summary: { ...plan.summary, publish: plan.summary.publish + 1 } };
    await expect(savePlan(join(dir, "plan.json"), forged)).rejects.toThrow(
      /refusing to write an invalid plan/,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
