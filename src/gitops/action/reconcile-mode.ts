// mode: reconcile (on a schedule). Certificates expire and new ones appear in AD between pull
// requests: plan on the default branch, keep the tracking issue up to date (opened when there are
// changes or drift, edited in place, closed when clean), and, with `auto-apply: true`, apply
// unattended only the reasons the config lists under `reconcile.autoApply` (the engine decides
// which changes those are, under the same guards and with the same audit commit).
import * as core from "@actions/core";
import { MARKDOWN_PART_BUDGET, splitMarkdown } from "../../plan/render/index.js";
import { capParts } from "../comments.js";
import { uploadPlanArtifact } from "./artifacts.js";
import { type ActionContext, summaryUrl } from "./context.js";
import { cleanStderr, configKey, failureMarkdown, runPlan } from "./plan-run.js";
import { appendSummary } from "./summary.js";
import { syncTrackingIssue } from "./tracking-issue.js";

/** Room for the issue's marker, heading and links under GitHub's 65,536-character body limit. */
const ISSUE_PART_BUDGET = 60_000;

export async function reconcileMode(ctx: ActionContext): Promise<void> {
  const key = configKey(ctx);
  const result = await runPlan(ctx, ctx.temp);
  const report = await markdownReport(ctx);

  let body: string | null;
  let summary: string;
  let applied = "";
  if (result.kind === "failed") {
    summary = failureMarkdown(ctx, "reconcile", result.error, result.markdown);
    body = summary;
  } else {
    const artifact = await uploadPlanArtifact(ctx, [result.planFile, result.markdownFile], ctx.temp);
    const drift = result.plan.drift.length;
    core.setOutput("has-changes", String(result.hasChanges));
    core.setOutput("drift", String(drift));
    core.setOutput("plan-file", result.planFile);
    if (ctx.inputs.autoApply && result.hasChanges) applied = await unattendedApply(ctx);
    summary = [result.markdown, applied, report ?? ""].filter((s) => s !== "").join("\n\n");
    if (!result.hasChanges && drift === 0) {
      body = null;
    } else {
      const parts = splitMarkdown(result.markdown, Math.min(MARKDOWN_PART_BUDGET, ISSUE_PART_BUDGET));
      const [shown] = capParts(parts, 1, { summaryUrl: summaryUrl(ctx), artifactUrl: artifact.url });
      body = [
        `The scheduled smimesync plan of \`${key}\` found ${result.hasChanges ? "changes" : ""}${result.hasChanges && drift ? " and " : ""}${drift ? `${drift} drift item${drift === 1 ? "" : "s"}` : ""}. ` +
          `Review them in a pull request (or let \`reconcile.autoApply\` handle the listed reasons). This issue is updated by every scheduled run and closed when the plan is clean.`,
        "",
        `[The latest run](${ctx.run.runUrl}) · [plan artifact](${artifact.url})`,
        "",
        shown ?? "",
        ...(applied ? ["", applied] : []),
        ...(report && (shown ?? "").length + report.length < ISSUE_PART_BUDGET ? ["", report] : []),
      ].join("\n");
    }
  }
  await appendSummary(summary, ctx.env);
  const tracked = await syncTrackingIssue(ctx.gh, ctx.repo, {
    configPath: key,
    label: ctx.inputs.trackingLabel,
    title: `smimesync: ${key} needs attention`,
    body,
    cleanNote: `The scheduled plan of \`${key}\` is clean again ([run](${ctx.run.runUrl})): closing.`,
  });
  if (tracked.action !== "none") {
    core.setOutput("issue-number", String(tracked.number));
    core.info(`Tracking issue #${tracked.number}: ${tracked.action} ${tracked.url}`);
  }
  core.setOutput("result", result.kind === "failed" ? "failed" : body === null ? "clean" : "attention");
  if (result.kind === "failed")
    core.setFailed(result.error.split("\n").find((l) => l.startsWith("Error:")) ?? result.error);
}

/** `smimesync report --format markdown`, when this version of smimesync has it. */
async function markdownReport(ctx: ActionContext): Promise<string | null> {
  const r = await ctx.cli(["report", "--format", "markdown", "--config", ctx.inputs.config], ctx.cwd);
  if (r.code !== 0) {
    core.info(
      "No markdown report (smimesync report is not available or failed); the plan is reported alone.",
    );
    return null;
  }
  return r.stdout.trim() || null;
}

async function unattendedApply(ctx: ActionContext): Promise<string> {
  const argv = [
    "apply",
    "--unattended",
    "--config",
    ctx.inputs.config,
    ...(ctx.inputs.pushAudit ? ["--push"] : []),
  ];
  const r = await core.group(`smimesync ${argv.join(" ")}`, () => ctx.cli(argv, ctx.cwd));
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr);
  if (r.code !== 0) {
    core.warning("The unattended apply of reconcile.autoApply failed: see the log.");
    return `#### Unattended apply (reconcile.autoApply) failed\n\n\`\`\`text\n${cleanStderr(r.stderr).replace(/```/g, "'''")}\n\`\`\``;
  }
  const last = r.stdout
    .trim()
    .split("\n")
    .filter((l) => /Apply complete|No changes|Nothing to apply/.test(l))
    .pop();
  return `#### Unattended apply (reconcile.autoApply)\n\n${last ?? "done"} See the run's log for each recipient.`;
}
