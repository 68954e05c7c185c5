// The job summary (GITHUB_STEP_SUMMARY) through @actions/core. GitHub shows at most 1 MiB of a
// step's summary and drops a bigger one entirely, so the text is cut with a note instead.
import { stat } from "node:fs/promises";
import * as core from "@actions/core";

export const MAX_STEP_SUMMARY_BYTES = 1024 * 1024;

const NOTE =
  "\n\n_… cut here: the job summary is limited to 1 MiB. The whole plan is in the plan artifact (plan.md, plan.json)._\n";

/** Markdown that fits after `usedBytes` already in the summary file (pure). */
export function fitSummary(markdown: string, usedBytes: number): string {
  const text = markdown.endsWith("\n") ? markdown : `${markdown}\n`;
  const room = MAX_STEP_SUMMARY_BYTES - usedBytes - Buffer.byteLength(NOTE);
  if (Buffer.byteLength(text) <= MAX_STEP_SUMMARY_BYTES - usedBytes) return text;
  // Cut on a character boundary: a split UTF-8 sequence decodes to U+FFFD, dropped here.
  const cut = Buffer.from(text)
    .subarray(0, Math.max(room, 0))
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return `${cut}${NOTE}`;
}

/** Appends to the job summary; false when there is none (not in Actions). */
export async function appendSummary(
  markdown: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  const used = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  await core.summary.addRaw(fitSummary(markdown, used)).write();
  return true;
}
