// mode: plan (pull requests). Plans, writes the job summary, uploads plan.json + plan.md as the
// artifact apply later takes as the approval, and posts the plan on the pull request (updated in
// place, at most `max-comments` comments, the rest linked). A failed plan (tripped guard, read
// error, invalid config) is posted too, with the error, the hint and a link to the run, and fails
// the job; no artifact is uploaded for it, so it can never count as an approval.
import * as core from "@actions/core";
import { isSmimesyncError } from "../../errors.js";
import { MARKDOWN_PART_BUDGET, splitMarkdown } from "../../plan/render/index.js";
import {
  type CommentKind,
  capParts,
  commentPartBudget,
  type PostedComment,
  publishComments,
} from "../comments.js";
import { pullRequestNumber } from "../github-env.js";
import { uploadPlanArtifact } from "./artifacts.js";
import { type ActionContext, summaryUrl } from "./context.js";
import { configKey, failureMarkdown, runPlan } from "./plan-run.js";
import { appendSummary } from "./summary.js";

export async function planMode(ctx: ActionContext): Promise<void> {
  const result = await runPlan(ctx, ctx.temp);
  const key = configKey(ctx);
  const pr = pullRequestNumber(ctx.env);

  let markdown: string;
  let artifactUrl: string | null = null;
  if (result.kind === "planned") {
    const artifact = await uploadPlanArtifact(ctx, [result.planFile, result.markdownFile], ctx.temp);
    artifactUrl = artifact.url;
    markdown = result.markdown;
    core.setOutput("has-changes", String(result.hasChanges));
    core.setOutput("plan-file", result.planFile);
    core.setOutput("artifact-id", String(artifact.id));
    core.setOutput("result", result.hasChanges ? "changes" : "no-changes");
  } else {
    markdown = failureMarkdown(ctx, "plan", result.error, result.markdown);
    core.setOutput("result", "failed");
  }
  await appendSummary(markdown, ctx.env);

  if (pr !== null && ctx.inputs.comment) {
    const posted = await postOnPullRequest(ctx, pr, key, markdown, artifactUrl);
    if (posted) for (const c of posted) core.info(`Plan comment part ${c.part}: ${c.action} ${c.url}`);
  }
  if (result.kind === "failed")
    core.setFailed(result.error.split("\n").find((l) => l.startsWith("Error:")) ?? result.error);
}

/**
 * The comment set on a pull request. A token that may not comment (a fork's pull request gets a
 * read-only one) is a warning, not a failure: the plan is still in the summary and the artifact.
 */
export async function postOnPullRequest(
  ctx: ActionContext,
  pr: number,
  key: string,
  markdown: string,
  artifactUrl: string | null,
  kind: CommentKind = "plan",
): Promise<PostedComment[] | null> {
  const parts = splitMarkdown(markdown, Math.min(MARKDOWN_PART_BUDGET, commentPartBudget(key)));
  const capped = capParts(parts, ctx.inputs.maxComments, { summaryUrl: summaryUrl(ctx), artifactUrl });
  try {
    return await publishComments(ctx.gh, ctx.repo, { issueNumber: pr, kind, configPath: key, parts: capped });
  } catch (e) {
    if (!isSmimesyncError(e) || e.code !== "GITHUB_ERROR") throw e;
    core.warning(`Could not comment on #${pr}: ${e.message}${e.hint ? ` ${e.hint}` : ""}`);
    return null;
  }
}
