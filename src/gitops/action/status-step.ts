// After a successful apply, with the status-wait input: `smimesync status --wait <d> --json` for
// the recipients the apply wrote (its audit record), posted like the apply result (job summary and
// each merged pull request, a comment of its own). Still pending at the deadline, or blocked, fails
// the step naming those recipients: what the apply wrote has not reached Exchange Online.
import * as core from "@actions/core";
import type { HealthStatus, RecipientHealth, StatusDocument } from "../../health/types.js";
import { formatDuration } from "../../health/wait.js";
import { escapeMarkdown } from "../../plan/render/markdown.js";
import type { ActionContext } from "./context.js";
import { postOnPullRequest } from "./plan-mode.js";
import { cleanStderr, configKey, failureMarkdown } from "./plan-run.js";
import { appendSummary } from "./summary.js";

export type StatusStepResult = HealthStatus | "failed";

const ICON: Record<HealthStatus, string> = { synced: "✅", pending: "⏳", blocked: "⛔" };

export async function statusStep(
  ctx: ActionContext,
  wait: string,
  pulls: readonly number[],
): Promise<StatusStepResult> {
  const argv = ["status", "--config", ctx.inputs.config, "--wait", wait, "--json"];
  const r = await core.group(`smimesync ${argv.join(" ")}`, () => ctx.cli(argv, ctx.cwd));
  process.stdout.write(r.stderr);
  const doc = r.code === 1 ? null : parseStatus(r.stdout);
  let md: string;
  let result: StatusStepResult;
  let failure: string | null = null;
  if (doc === null) {
    md = failureMarkdown(ctx, "status", cleanStderr(r.stderr) || `smimesync status exited ${r.code}`, null);
    result = "failed";
    failure =
      cleanStderr(r.stderr)
        .split("\n")
        .find((l) => l.startsWith("Error:")) ?? `smimesync status exited ${r.code}`;
  } else {
    md = statusMarkdown(configKey(ctx), doc, ctx.run.runUrl);
    result = overall(doc.recipients);
    failure = failureLine(doc);
  }
  await appendSummary(md, ctx.env);
  for (const p of pulls) await postOnPullRequest(ctx, p, configKey(ctx), md, null, "status");
  core.setOutput("status", result);
  if (failure !== null) core.setFailed(failure);
  return result;
}

function parseStatus(stdout: string): StatusDocument | null {
  try {
    const doc = JSON.parse(stdout) as StatusDocument;
    return doc.formatVersion === 1 && Array.isArray(doc.recipients) ? doc : null;
  } catch {
    return null;
  }
}

/** Blocked outranks pending: waiting longer will not help it. */
function overall(list: readonly RecipientHealth[]): HealthStatus {
  if (list.some((r) => r.status === "blocked")) return "blocked";
  if (list.some((r) => r.status === "pending")) return "pending";
  return "synced";
}

/** The step's error when something has not arrived: every such recipient by address. */
export function failureLine(doc: StatusDocument): string | null {
  const of = (s: HealthStatus) => doc.recipients.filter((r) => r.status === s);
  const pending = of("pending");
  const blocked = of("blocked");
  if (pending.length === 0 && blocked.length === 0) return null;
  const waited = doc.wait ? ` within ${formatDuration(doc.wait.timeoutSeconds * 1000)}` : "";
  const parts = [
    ...(pending.length ? [`still pending: ${pending.map((r) => r.address).join(", ")}`] : []),
    ...(blocked.length ? [`blocked: ${blocked.map((r) => `${r.address} (${r.detail})`).join("; ")}`] : []),
  ];
  return `Entra Connect has not carried what the apply wrote up to Exchange Online${waited}: ${parts.join("; ")}.`;
}

export function statusMarkdown(key: string, doc: StatusDocument, runUrl: string): string {
  const s = doc.summary;
  const headline =
    s.recipients === 0
      ? "The apply wrote nothing that waits for Entra Connect."
      : s.synced === s.recipients
        ? `All ${s.recipients} recipient${s.recipients === 1 ? "" : "s"} synced: Exchange Online holds what the authority holds.`
        : `${s.synced} synced, ${s.pending} pending, ${s.blocked} blocked, of ${s.recipients}.`;
  const waited = doc.wait
    ? ` Checked ${doc.wait.polls} time${doc.wait.polls === 1 ? "" : "s"} over ${formatDuration(doc.wait.elapsedSeconds * 1000)}${doc.wait.timedOut ? `; timed out after waiting ${formatDuration(doc.wait.timeoutSeconds * 1000)}` : ""}.`
    : "";
  return [
    `### smimesync status for \`${key}\``,
    "",
    `**${headline}**${waited} [Run](${runUrl}).`,
    "",
    ...(doc.recipients.length
      ? [
          "| Recipient | Status | Detail |",
          "| --- | --- | --- |",
          ...doc.recipients.map(
            (r) =>
              `| ${escapeMarkdown(r.address)} | ${ICON[r.status]} ${r.status} | ${escapeMarkdown(r.detail)} |`,
          ),
          "",
        ]
      : []),
  ].join("\n");
}
