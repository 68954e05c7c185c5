// The plan as a GitHub pull-request comment: the summary first (what a reviewer needs to approve or
// not), then one collapsed block per recipient holding a ```diff listing (GitHub colours `+` green
// and `-` red), then drift and warnings. Long plans are cut into comments by splitMarkdown
// (markdown-split.ts), which relies on the block layout written here: blocks separated by one
// blank line, `<details>` blocks ending with a `</details>` line.
import { describeDrift } from "../reasons.js";
import { summaryLine } from "../summary.js";
import type { Plan, PlannedChange } from "../types.js";
import {
  authorityName,
  isNewObject,
  minute,
  oneLine,
  type RecipientView,
  reasonLabel,
  recipientCounts,
  recipientViews,
  shortCommit,
  valueLabel,
  wouldRemoveLabel,
} from "./describe.js";

const ATTRIBUTE_WIDTH = 20;

/** `coverage`: one line (report/coverage-line.ts) shown under the summary, when the caller has it. */
export function renderMarkdown(plan: Plan, coverage?: string): string {
  const s = plan.summary;
  const { changed, notesOnly } = recipientViews(plan);
  const blocks: string[] = [
    "## smimesync plan",
    `**${escapeMarkdown(summaryLine(plan))}**`,
    // Our own words and numbers (report/coverage-line.ts), no directory value: shown as written.
    ...(coverage === undefined ? [] : [oneLine(coverage)]),
    [
      "| | Count |",
      "| :-- | --: |",
      `| To publish | ${s.publish} |`,
      `| To remove | ${s.remove} |`,
      `| Recipients changed | ${s.recipients} of ${s.inScope} in scope |`,
      `| Would remove (prune disabled) | ${s.wouldRemove} |`,
      `| Drift | ${s.drift} |`,
      `| Warnings | ${s.warnings} |`,
    ].join("\n"),
    provenance(plan),
  ];
  if (changed.length > 0) {
    blocks.push("### Changes");
    for (const view of changed) blocks.push(recipientBlock(view, plan));
  }
  if (notesOnly.length > 0) {
    blocks.push("### Kept because prune is disabled");
    for (const view of notesOnly) blocks.push(recipientBlock(view, plan));
  }
  if (plan.drift.length > 0) {
    blocks.push(
      "### Drift",
      "Shown for information; this plan does not change it.",
      plan.drift
        .map((d) => {
          const attribute = d.attribute === undefined ? "" : ` · ${code(d.attribute)}`;
          return `- **${describeDrift(d.kind)}** · ${code(d.address)}${attribute}: ${escapeMarkdown(d.message)}`;
        })
        .join("\n"),
    );
  }
  if (plan.warnings.length > 0) {
    blocks.push(
      "### Warnings",
      plan.warnings
        .map((w) => {
          const where = w.address === undefined ? "" : ` · ${code(w.address)}`;
          return `- **${escapeMarkdown(w.code)}**${where}: ${escapeMarkdown(w.message)}`;
        })
        .join("\n"),
    );
  }
  return `${blocks.join("\n\n")}\n`;
}

function provenance(plan: Plan): string {
  const git = plan.source.git;
  const at =
    git === null ? "" : ` at ${code(shortCommit(git.commit))}${git.dirty ? " (uncommitted changes)" : ""}`;
  return (
    `<sub>Plan ${code(plan.id)} · ${code(plan.source.configPath)}${at} · ` +
    `policy time ${minute(plan.policyTime)} · smimesync ${escapeMarkdown(plan.tool.version)}</sub>`
  );
}

/** A collapsed block: the summary names the recipient and counts; the diff lists every value. */
function recipientBlock(view: RecipientView, plan: Plan): string {
  const symbol = view.changes.length === 0 ? "" : isNewObject(view) ? "+ " : "~ ";
  const authority = view.object === undefined ? "" : ` · ${authorityName(view.object.authority)}`;
  const created = !isNewObject(view)
    ? ""
    : view.object?.authority === "ad"
      ? " (new contact)"
      : " (new mail contact)";
  const summary = `<code>${escapeHtml(symbol + oneLine(view.address))}</code>${escapeHtml(authority + created)} · ${escapeHtml(recipientCounts(view))}`;
  const lines: string[] = [];
  for (const c of view.changes) lines.push(...changeLines(c, plan));
  for (const c of view.notes) lines.push(...noteLines(c, plan));
  // Every line inside the fence starts with +, -, # or spaces then #: none can close the fence.
  return [`<details><summary>${summary}</summary>`, "", "```diff", ...lines, "```", "", "</details>"].join(
    "\n",
  );
}

function changeLines(c: PlannedChange, plan: Plan): string[] {
  const symbol = c.action === "publish" ? "+" : "-";
  return [
    `${symbol} ${c.attribute.padEnd(ATTRIBUTE_WIDTH)} ${valueLabel(c, plan.policyTime)}`,
    `    # ${reasonLabel(c)}`,
  ];
}

function noteLines(c: PlannedChange, plan: Plan): string[] {
  return [
    `# ${c.attribute.padEnd(ATTRIBUTE_WIDTH)} ${valueLabel(c, plan.policyTime)}`,
    `    # ${wouldRemoveLabel(c)}: ${oneLine(c.explanation)}`,
  ];
}

/** For text inside raw HTML (a `<summary>`): markdown is not interpreted there. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * For text from directories and certificates in markdown: no markup, no HTML, one line, and no
 * `@name` that would notify a GitHub user or team (a zero-width space follows a leading `@`).
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(/[\\`*_[\]|~#!{}()]/g, "\\$&")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/(^|[^\w])@/g, "$1@\u200b");
}

/** A code span that holds any text: the fence is longer than any run of backticks inside. */
export function code(text: string): string {
  const t = oneLine(text);
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longest + 1);
  const pad = t.startsWith("`") || t.endsWith("`") ? " " : "";
  return `${fence}${pad}${t}${pad}${fence}`;
}
