// mode: apply (push to the default branch, in the protected environment). Finds the commit the
// last apply worked on (the audit trail), the pull requests merged since, each one's successful
// plan run and its plan artifact, and runs `smimesync apply` with all of them. apply plans again
// from this commit and writes only changes one of those approved plans showed, or nothing; so a
// run that was queued behind another (concurrency never cancels an apply mid-way, but GitHub
// keeps only the newest pending run) still applies every approval since the last apply.
// The result (applied / stale / failed per recipient, the audit commit), or why nothing was
// applied, goes to the job summary and to every merged pull request; with status-wait, then
// whether Entra Connect has carried it up (status-step.ts).
import { join } from "node:path";
import * as core from "@actions/core";
import { lastAppliedCommit, queryAudit } from "../audit-query.js";
import type { AuditOutcomeKind } from "../audit-record.js";
import { call } from "../comments.js";
import { gitAt, isAncestor, repoRoot, resolveCommit } from "../git.js";
import { downloadPlanArtifact } from "./artifacts.js";
import type { ActionContext } from "./context.js";
import { postOnPullRequest } from "./plan-mode.js";
import { cleanStderr, configKey, failureMarkdown } from "./plan-run.js";
import { statusStep } from "./status-step.js";
import { appendSummary } from "./summary.js";

export interface MergedPull {
  readonly number: number;
  readonly headSha: string;
  readonly title: string;
}

export interface Approval {
  readonly pull: MergedPull;
  readonly runId: number;
  readonly planFile: string;
}

export async function applyMode(ctx: ActionContext): Promise<void> {
  const root = (await repoRoot(ctx.cwd)) ?? ctx.cwd;
  const git = gitAt(root);
  const branch = ctx.env.GITHUB_REF?.startsWith("refs/heads/") ? ctx.env.GITHUB_REF.slice(11) : null;
  if (branch && ctx.inputs.pushAudit) await moveToBranchTip(ctx, root, branch);
  const head = (await resolveCommit(git, "HEAD")) as string;

  const since = await lastAppliedCommit(root);
  const commits = await commitsSince(root, since, head, ctx.inputs.maxCommits);
  core.info(
    since
      ? `Last applied commit ${since.slice(0, 12)}; ${commits.length} commit(s) since.`
      : `No audit record yet: looking at the last ${commits.length} commit(s).`,
  );
  const pulls = await mergedPulls(ctx, commits, branch);
  const approvals: Approval[] = [];
  const missing: string[] = [];
  for (const pull of pulls) {
    const found = await approvalOf(ctx, pull);
    if (typeof found === "string") missing.push(`#${pull.number}: ${found}`);
    else approvals.push(found);
  }
  for (const a of approvals) core.info(`Approved plan of #${a.pull.number}: run ${a.runId}.`);
  for (const m of missing) core.warning(`No approved plan for ${m}`);
  core.setOutput("pull-requests", pulls.map((p) => p.number).join(","));

  const key = configKey(ctx);
  let code: number;
  let stderr: string;
  if (approvals.length === 0) {
    // Nothing approved: fine only when there is nothing to apply.
    const r = await ctx.cli(["plan", "--config", ctx.inputs.config, "--detailed-exitcode"], ctx.cwd);
    process.stdout.write(r.stdout);
    process.stdout.write(r.stderr);
    if (r.code === 0) {
      const md = `### smimesync apply for \`${key}\`\n\nNo changes to apply.${missing.length ? `\n\n${missingList(missing)}` : ""}\n`;
      await appendSummary(md, ctx.env);
      for (const p of pulls) await postOnPullRequest(ctx, p.number, key, md, null, "apply");
      core.setOutput("result", "nothing");
      return;
    }
    code = 1;
    stderr =
      r.code === 2
        ? `Error: ${since ? `The changes since ${since.slice(0, 12)}` : "These changes"} were not shown in any approved plan: nothing is applied.\n` +
          "Every change must first be planned on a pull request and merged; open one (or re-run the plan of the merged pull request)."
        : cleanStderr(r.stderr);
  } else {
    const argv = [
      "apply",
      ...approvals.map((a) => a.planFile),
      "--approval-pr",
      ...approvals.map((a) => String(a.pull.number)),
      "--config",
      ctx.inputs.config,
      ...(ctx.inputs.pushAudit ? ["--push"] : []),
    ];
    const r = await core.group(`smimesync ${argv.join(" ")}`, () => ctx.cli(argv, ctx.cwd));
    process.stdout.write(r.stdout);
    process.stdout.write(r.stderr);
    code = r.code;
    stderr = cleanStderr(r.stderr);
  }

  const after = (await resolveCommit(git, "HEAD")) as string;
  const auditCommit = after !== head ? after : null;
  let md: string;
  if (auditCommit) {
    core.setOutput("audit-commit", auditCommit);
    md = await resultMarkdown(ctx, root, key, auditCommit, approvals, missing);
  } else {
    md = `${failureMarkdown(ctx, "apply", stderr, null)}\nNothing was applied.${missing.length ? `\n\n${missingList(missing)}` : ""}\n`;
  }
  await appendSummary(md, ctx.env);
  for (const p of pulls) await postOnPullRequest(ctx, p.number, key, md, null, "apply");
  core.setOutput("result", auditCommit ? (code === 0 ? "applied" : "partial") : "refused");
  if (code !== 0)
    core.setFailed(
      stderr.split("\n").find((l) => l.startsWith("Error:")) ?? `smimesync apply exited ${code}`,
    );
  else if (auditCommit && ctx.inputs.statusWait !== null)
    await statusStep(
      ctx,
      ctx.inputs.statusWait,
      pulls.map((p) => p.number),
    );
}

/**
 * Apply works on the branch's newest commit, not the pushed one: a run that waited behind another
 * must see that run's audit commit (or it would apply the same approvals twice) and may as well
 * apply later merges, whose own runs then find nothing left to do.
 */
async function moveToBranchTip(ctx: ActionContext, root: string, branch: string): Promise<void> {
  const git = gitAt(root);
  try {
    await git.raw(["fetch", "--quiet", "origin", `refs/heads/${branch}`]);
  } catch (e) {
    core.warning(
      `Could not fetch origin/${branch}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`,
    );
    return;
  }
  const tip = await resolveCommit(git, "FETCH_HEAD");
  const head = await resolveCommit(git, "HEAD");
  if (!tip || !head || tip === head) return;
  if (!(await isAncestor(git, head, tip))) {
    core.warning(
      `origin/${branch} (${tip.slice(0, 12)}) does not contain ${head.slice(0, 12)}: staying on it.`,
    );
    return;
  }
  core.info(`origin/${branch} moved on to ${tip.slice(0, 12)}: applying from there.`);
  await git.raw(["checkout", "--quiet", "--detach", tip]);
  void ctx;
}

async function commitsSince(
  root: string,
  since: string | null,
  head: string,
  max: number,
): Promise<string[]> {
  const git = gitAt(root);
  const range = since ? [`${since}..${head}`] : [`--max-count=${max}`, head];
  return (await git.raw(["rev-list", ...range])).split("\n").filter((s) => /^[0-9a-f]{40}$/.test(s));
}

/** The pull requests merged (into `branch`) as or with these commits, oldest first. */
async function mergedPulls(
  ctx: ActionContext,
  commits: readonly string[],
  branch: string | null,
): Promise<MergedPull[]> {
  const byNumber = new Map<number, MergedPull & { mergedAt: string }>();
  for (const sha of commits) {
    const pulls = await call(`listing the pull requests of ${sha.slice(0, 12)}`, () =>
      ctx.gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...ctx.repo, commit_sha: sha, per_page: 100 }),
    );
    for (const p of pulls.data) {
      if (!p.merged_at || (branch && p.base.ref !== branch) || byNumber.has(p.number)) continue;
      byNumber.set(p.number, {
        number: p.number,
        headSha: p.head.sha,
        title: p.title,
        mergedAt: p.merged_at,
      });
    }
  }
  return [...byNumber.values()]
    .sort((a, b) => a.mergedAt.localeCompare(b.mergedAt) || a.number - b.number)
    .map(({ mergedAt: _, ...p }) => p);
}

/** The plan artifact of the pull request's newest successful plan run, or why there is none. */
async function approvalOf(ctx: ActionContext, pull: MergedPull): Promise<Approval | string> {
  const runs = await call(`listing the runs of ${ctx.inputs.planWorkflow}`, () =>
    ctx.gh.rest.actions.listWorkflowRuns({
      ...ctx.repo,
      workflow_id: ctx.inputs.planWorkflow,
      head_sha: pull.headSha,
      status: "success",
      per_page: 20,
    }),
  );
  const run = runs.data.workflow_runs
    .filter(
      (r) => r.head_sha === pull.headSha && r.conclusion === "success" && r.event.startsWith("pull_request"),
    )
    .sort((a, b) => b.id - a.id)[0];
  if (!run) return `no successful ${ctx.inputs.planWorkflow} run for its head ${pull.headSha.slice(0, 12)}`;
  const dir = join(ctx.temp, `pr-${pull.number}`);
  const got = await downloadPlanArtifact(ctx, run.id, dir);
  if (got.kind === "missing") return got.why;
  return { pull, runId: run.id, planFile: join(got.dir, "plan.json") };
}

const OUTCOME_ORDER: readonly AuditOutcomeKind[] = ["applied", "stale", "failed", "skipped"];

async function resultMarkdown(
  ctx: ActionContext,
  root: string,
  key: string,
  auditCommit: string,
  approvals: readonly Approval[],
  missing: readonly string[],
): Promise<string> {
  const { entries } = await queryAudit(root, {});
  const mine = entries.filter((e) => e.commit === auditCommit);
  const byRecipient = new Map<string, Map<AuditOutcomeKind, number>>();
  const totals = new Map<AuditOutcomeKind, number>();
  for (const e of mine) {
    const who = e.change.mail ?? e.change.address;
    const m = byRecipient.get(who) ?? new Map<AuditOutcomeKind, number>();
    m.set(e.change.outcome, (m.get(e.change.outcome) ?? 0) + 1);
    byRecipient.set(who, m);
    totals.set(e.change.outcome, (totals.get(e.change.outcome) ?? 0) + 1);
  }
  const commitUrl = `${ctx.run.serverUrl}/${ctx.run.repository}/commit/${auditCommit}`;
  const count = (m: Map<AuditOutcomeKind, number>, k: AuditOutcomeKind) => m.get(k) ?? 0;
  const lines = [
    `### smimesync apply for \`${key}\``,
    "",
    `**${OUTCOME_ORDER.map((k) => `${count(totals, k)} ${k}`).join(", ")}** — audit record in [${auditCommit.slice(0, 12)}](${commitUrl}), [run](${ctx.run.runUrl}).`,
    "",
    `Approved plans: ${approvals.map((a) => `#${a.pull.number}`).join(", ")}.`,
    "",
    "| Recipient | Applied | Stale | Failed | Skipped |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...[...byRecipient.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(
        ([who, m]) =>
          `| ${who.replace(/\|/g, "\\|")} | ${OUTCOME_ORDER.map((k) => count(m, k)).join(" | ")} |`,
      ),
    ...(missing.length ? ["", missingList(missing)] : []),
    "",
  ];
  for (const e of mine.filter((x) => x.change.outcome !== "applied")) {
    core.warning(
      `${e.change.mail ?? e.change.address}: ${e.change.action} ${e.change.outcome}: ${e.change.message ?? ""}`,
    );
  }
  return lines.join("\n");
}

function missingList(missing: readonly string[]): string {
  return [
    "Merged without an approved plan (its changes are not applied):",
    ...missing.map((m) => `- ${m}`),
  ].join("\n");
}
