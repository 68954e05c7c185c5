// The bundled action's harder paths against the GitHub API emulator: a failed plan reaches the
// pull request; a pull request's forged plan artifact (valid integrity, bound to its own commit)
// gets nothing applied; three quick merges are all applied by the one run GitHub keeps; the
// scheduled run opens, updates and closes its tracking issue.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
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
const LONG = { timeout: 400_000 };

describe("the bundled action, when things go wrong", () => {
  it("posts a failed plan on the pull request: the error, the hint and the run", LONG, async () => {
    const pr = await w.openPull("Break the config", (c) => c.replace("maxPerUser: 3", "maxPerUser: lots"));
    const plan = await w.planJob(pr.number);
    expect(plan.code).toBe(1);
    expect(plan.outputs.result).toBe("failed");
    const [comment] = comments(pr.number);
    expect(comment?.body).toMatch(
      /^<!-- smimesync-plan:smimesync\.yaml part 1 -->\n### ❌ smimesync plan failed/,
    );
    expect(comment?.body).toMatch(/maxPerUser/);
    expect(comment?.body).toContain(`https://github.com/corp/pki-config/actions/runs/${plan.runId}`);
    expect(plan.summary).toMatch(/smimesync plan failed/);
    // No artifact: a failed plan can never count as an approval.
    expect([...w.gh.artifacts.values()].filter((a) => a.runId === plan.runId)).toEqual([]);
    expect(plan.log).toMatch(/::error::/);
  });

  it("applies nothing a pull request's own workflow forged into its plan artifact", LONG, async () => {
    // An innocent-looking change whose plan is "No changes" ...
    const pr = await w.openPull("Tidy a comment", (c) =>
      c.replace("# Who is managed.", "# Who is in scope."),
    );
    const honest = await w.planJob(pr.number);
    expect(honest.code, honest.log).toBe(0);
    expect(honest.outputs["has-changes"]).toBe("false");
    // ... and, from the same pull request's workflow (a PR may edit it), a self-consistent plan
    // that publishes Grace's certificate: made by the real planner on a config declaring it, then
    // re-bound to the PR's commit and config with its integrity hash recomputed.
    const jobTemp = join(`${honest.checkout}-files`, "tmp");
    const honestPlan = execFileSync("find", [jobTemp, "-name", "plan.json"], { encoding: "utf8" }).trim();
    const forgedRun = await w.job({
      workflow: "smimesync-plan.yml",
      event: "pull_request",
      payload: { number: pr.number, pull_request: { number: pr.number } },
      sha: pr.headSha,
      ref: `refs/pull/${pr.number}/merge`,
      inputs: {},
      script: new URL("./forger.ts", import.meta.url).pathname,
      env: { HONEST_PLAN: honestPlan, FORGE_DECLARE: DECLARE.grace },
    });
    expect(forgedRun.code, forgedRun.log).toBe(0);
    const forged = [...w.gh.artifacts.values()].find((a) => a.runId === forgedRun.runId);
    expect(forged?.finalized).toBe(true);

    const before = ldif();
    const merged = await w.merge(pr.number);
    const apply = await w.applyJob(merged);
    // Whatever the verdict on the forged approval, Grace's certificate is not written.
    expect(ldif()).toBe(before);
    expect(apply.log).toMatch(new RegExp(`run ${forgedRun.runId}`));
    const posted = comments(pr.number).find((c) => c.body.startsWith("<!-- smimesync-apply:"));
    expect(posted?.body).toBeTruthy();
    expect(posted?.body ?? "").not.toMatch(/grace\.green@corp\.example\.com \| [1-9]/);
  });

  it("applies every approval of three quick merges in the one run GitHub keeps", LONG, async () => {
    const a = await w.openPull("Grace", (c) => declare(c, DECLARE.grace));
    const b = await w.openPull("Prune weak signatures", (c) =>
      c.replace("    expired: true\n", "    expired: true\n    weak-signature: true\n"),
    );
    const c = await w.openPull("Prune wrong addresses", (c) =>
      c.replace("    private-key: true\n", "    private-key: true\n    email-mismatch: true\n"),
    );
    for (const pr of [a, b, c]) expect((await w.planJob(pr.number)).code).toBe(0);
    await w.merge(a.number);
    await w.merge(b.number);
    const last = await w.merge(c.number);
    expect(last).toMatch(/^[0-9a-f]{40}$/);
    // The runs for the first two merges were pending behind another and dropped by concurrency.
    const apply = await w.applyJob(last);
    expect(apply.code, apply.log).toBe(0);
    expect(apply.outputs["pull-requests"]).toBe(`${a.number},${b.number},${c.number}`);
    for (const pr of [a, b, c]) {
      const result = comments(pr.number).find((x) => x.body.startsWith("<!-- smimesync-apply:"));
      expect(result?.body).toContain((apply.outputs["audit-commit"] as string).slice(0, 12));
    }
    // Each pull request's change is in the one apply: Grace's publish, the two prunes' removals.
    expect(apply.summary).toMatch(/grace\.green@corp\.example\.com \| [1-9]/);
    expect(apply.summary).toMatch(/dave\.dunn@corp\.example\.com \| [1-9]/);
    expect(apply.log).not.toMatch(/APPLY_UNAPPROVED|not shown in an approved plan/);
  });

  it("applies unattended only the reasons reconcile.autoApply lists, and reports it", LONG, async () => {
    // Only the PKCS#7 built from Grace's newly declared certificate may go unattended; the
    // declared certificate itself waits for review.
    const pr = await w.openPull(
      "Declare Grace's certificate; let the schedule derive PKCS#7",
      (c) => `${declare(c, DECLARE.grace).trimEnd()}\n\nreconcile:\n  autoApply: [derived-pkcs7]\n`,
    );
    await w.merge(pr.number);
    const before = ldif();
    const run = await w.reconcileJob({ "auto-apply": "true" });
    expect(run.code, run.log).toBe(0);
    expect(run.log).toMatch(/smimesync apply --unattended/);
    expect(run.log).toMatch(/waits for a pull request \(declared-in-repo is not in reconcile\.autoApply\)/);
    expect(run.summary).toMatch(
      /#### Unattended apply \(reconcile\.autoApply\)\n\nApply complete: 1 applied, 0 stale, 0 failed\./,
    );
    expect(ldif()).not.toBe(before);
    // The declared certificate is still planned: the issue stays open.
    const issue = w.gh.issues.get(Number(run.outputs["issue-number"]));
    expect(issue?.state).toBe("open");
    expect(issue?.body).toContain("#### Unattended apply (reconcile.autoApply)");
    const again = await w.reconcileJob({ "auto-apply": "true" });
    expect(again.code, again.log).toBe(0);
    expect(again.summary).toContain(
      "Nothing to apply unattended: every planned change waits for a pull request.",
    );
  });

  it(
    "keeps one tracking issue: opened on changes or drift, updated in place, closed when clean",
    LONG,
    async () => {
      const first = await w.reconcileJob();
      expect(first.code, first.log).toBe(0);
      // The demo organisation has drift (mirrors waiting for Entra Connect): an issue opens.
      expect(first.outputs.result).toBe("attention");
      const number = Number(first.outputs["issue-number"]);
      const issue = w.gh.issues.get(number);
      expect(issue?.state).toBe("open");
      expect(issue?.labels).toEqual(["smimesync-drift"]);
      expect(issue?.body).toMatch(/^<!-- smimesync-reconcile:smimesync\.yaml -->/);
      const second = await w.reconcileJob();
      expect(second.outputs["issue-number"]).toBe(String(number));
      expect([...w.gh.issues.values()].filter((i) => !i.isPull)).toHaveLength(1);
      expect(w.gh.issues.get(number)?.body).toContain(`actions/runs/${second.runId}`);
      // Clean again: the users whose mirrors lag are taken out of scope in a merged change.
      const pr = await w.openPull("Scope without the lagging users", (c) =>
        c.replace(
          '      match: "svc-*" # service accounts have no mailbox worth encrypting to\n',
          '      match: "svc-*" # service accounts have no mailbox worth encrypting to\n' +
            ["bob.baker", "erin.evans", "ivan.ivanov", "judy.jones", "kim.kowalski"]
              .map((u) => `    - attribute: sAMAccountName\n      match: "${u}"\n`)
              .join(""),
        ),
      );
      await w.merge(pr.number);
      const clean = await w.reconcileJob();
      expect(clean.code, clean.log).toBe(0);
      expect(clean.outputs.result).toBe("clean");
      expect(w.gh.issues.get(number)?.state).toBe("closed");
      expect(w.gh.issues.get(number)?.comments.at(-1)?.body).toMatch(/clean again/);
      // And stays closed, with no new issue, while clean.
      const still = await w.reconcileJob();
      expect(still.outputs.result).toBe("clean");
      expect([...w.gh.issues.values()].filter((i) => !i.isPull && i.state === "open")).toEqual([]);
    },
  );
});
