// The plan as a GitHub pull-request comment: the summary first (what a reviewer needs to approve or
// not), then one collapsed block per recipient holding a compact table of its changes (attribute,
// action, certificate, expiry, reason: columns, so nothing runs off the comment's width), then
// drift and warnings. Long plans are cut into comments by splitMarkdown (markdown-split.ts), which
// relies on the block layout written here: blocks separated by one blank line, `<details>` blocks
// ending with a `</details>` line.
import { describeDrift } from "../reasons.js";
import { summaryLine } from "../summary.js";
import type { Plan, PlannedChange } from "../types.js";
import {
  authorityName,
  isNewObject,
  minute,
  oneLine,
  partialPlanWarning,
  type RecipientView,
  reasonLabel,
  recipientCounts,
  recipientViews,
  shortCommit,
  valueParts,
  wouldRemoveLabel,
} from "./describe.js";

export interface MarkdownOptions {
  /** One line (report/coverage-line.ts) shown under the summary, when the caller has it. */
  readonly coverage?: string;
  /** The CI run that made the plan (GitHub Actions' run URL), linked beside the plan's id. */
  readonly runUrl?: string;
}

export function renderMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const { coverage } = options;
  const s = plan.summary;
  const { changed, notesOnly } = recipientViews(plan);
  const blocks: string[] = [
    "## smimesync plan",
    `**${escapeMarkdown(summaryLine(plan))}**`,
    ...partialBlock(plan),
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
    provenance(plan, options.runUrl),
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

/** A GitHub alert, so a reviewer cannot miss that the plan approves only some recipients. */
function partialBlock(plan: Plan): string[] {
  const partial = partialPlanWarning(plan);
  if (partial === undefined) return [];
  const targets = (plan.targets ?? []).map(code).join(", ");
  return [`> [!WARNING]\n> **Partial plan** (\`--target\` ${targets}). ${escapeMarkdown(partial)}`];
}

function provenance(plan: Plan, runUrl: string | undefined): string {
  const git = plan.source.git;
  const at =
    git === null ? "" : ` at ${code(shortCommit(git.commit))}${git.dirty ? " (uncommitted changes)" : ""}`;
  // Only an http(s) URL from the CI environment becomes a link; anything else is left out.
  const run = runUrl !== undefined && /^https?:\/\/[^\s()<>]+$/.test(runUrl) ? ` · [run](${runUrl})` : "";
  return (
    `<sub>Plan ${code(plan.id)} · ${code(plan.source.configPath)}${at} · ` +
    `policy time ${minute(plan.policyTime)} · smimesync ${escapeMarkdown(plan.tool.version)}${run}</sub>`
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
  const rows: string[] = [];
  for (const c of view.changes)
    rows.push(row(c, c.action === "publish" ? "➕ publish" : "➖ remove", reasonLabel(c), plan));
  for (const c of view.notes)
    rows.push(row(c, "⏸ kept", `${wouldRemoveLabel(c)}: ${oneLine(c.explanation)}`, plan));
  return [
    `<details><summary>${summary}</summary>`,
    "",
    TABLE_HEAD,
    TABLE_RULE,
    ...rows,
    "",
    "</details>",
  ].join("\n");
}

const TABLE_HEAD = "| Attribute | Action | Certificate | Expires | Reason |";
const TABLE_RULE = "| :-- | :-- | :-- | :-- | :-- |";

/** One change as a table row; every cell from a directory or certificate is escaped (`|` too). */
function row(c: PlannedChange, action: string, reason: string, plan: Plan): string {
  const v = valueParts(c, plan.policyTime);
  const cells = [
    code(c.attribute),
    action,
    `${escapeMarkdown(v.name)}<br>${escapeMarkdown(v.hash)}`,
    escapeMarkdown(v.validity) || "—",
    escapeMarkdown(reason),
  ];
  return `| ${cells.join(" | ")} |`;
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
