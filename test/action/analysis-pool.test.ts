// The bundled action's analysis pool: with the pool forced on (SMIMESYNC_WORKER_THRESHOLD=0) the
// bundle starts its worker threads from the files beside it (a missing or failing worker would
// print a note) and posts the same plan as with no workers.
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs } from "../gitops/helpers.js";
import { DECLARE, declare, world } from "./harness.js";

afterAll(removeTempDirs);

describe("the bundled action's analysis pool", () => {
  it("plans with worker threads as without", { timeout: 300_000 }, async () => {
    const w = await world();
    try {
      const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
      const pull = w.gh.pulls.get(pr.number);
      if (!pull) throw new Error("no pull");
      const job = (env: Record<string, string>) =>
        w.job({
          workflow: "smimesync-plan.yml",
          event: "pull_request",
          payload: {
            number: pr.number,
            pull_request: { number: pr.number, head: { sha: pull.headSha, ref: pull.headRef } },
          },
          sha: pull.headSha,
          ref: `refs/pull/${pr.number}/merge`,
          inputs: { mode: "plan" },
          env,
        });
      const single = await job({ SMIMESYNC_WORKERS: "0" });
      const pooled = await job({ SMIMESYNC_WORKERS: "2", SMIMESYNC_WORKER_THRESHOLD: "0" });
      expect(single.code, single.log).toBe(0);
      expect(pooled.code, pooled.log).toBe(0);
      expect(pooled.log).not.toMatch(/note: .*(missing|analysis batches failed)/);
      expect(pooled.outputs.result).toBe("changes");
      // The same but for what the clock and the run give: the policy time, the id hashing it, the run.
      const timeless = (s: string) =>
        s
          .replace(/actions\/runs\/\d+/g, "actions/runs/N")
          .replace(/Plan `[0-9a-f]{16}`/g, "Plan `ID`")
          .replace(/policy time [0-9-]+ [0-9:]+ UTC/g, "policy time T");
      expect(pooled.summary).toMatch(/grace\.green@corp\.example\.com/);
      expect(timeless(pooled.summary)).toBe(timeless(single.summary));
    } finally {
      await w.close();
    }
  });
});
