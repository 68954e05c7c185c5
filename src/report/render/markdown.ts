// The report for GitHub (an issue body, a comment, a job summary): the coverage line, the figures,
// a Mermaid bar chart of the forecast (GitHub renders ```mermaid blocks), breakdown tables and
// collapsed lists. Always one document under GitHub's 65,536-character limit: long lists are cut
// (saying how many rows are left out) until it fits. The layout is stable for the scheduled
// workflow that posts it to its tracking issue; every directory value is escaped.

import { day, minute } from "../../plan/render/describe.js";
import { code, escapeHtml, escapeMarkdown } from "../../plan/render/markdown.js";
import { MARKDOWN_PART_BUDGET } from "../../plan/render/markdown-split.js";
import { coverageLine, percent } from "../coverage-line.js";
import type { Breakdown, Report } from "../types.js";
import {
  CA_SOURCE_LABEL,
  caName,
  certLabel,
  figureRows,
  forecastEntries,
  notCovered,
  recipientName,
  weekEnd,
} from "./describe.js";

/** Rows a list shows at first; halved until the document fits the budget. */
const FIRST_ROW_LIMIT = 200;
/** Longest cell text, in characters, before it is cut with an ellipsis. */
const CELL_LIMIT = 200;

export function renderMarkdown(r: Report): string {
  for (let limit = FIRST_ROW_LIMIT; ; limit = Math.floor(limit / 2)) {
    const md = render(r, limit);
    if (md.length <= MARKDOWN_PART_BUDGET || limit === 0) return md;
  }
}

function render(r: Report, limit: number): string {
  const blocks: string[] = [
    "## smimesync report",
    `**Coverage: ${escapeMarkdown(coverageLine(r.figures))}**`,
    [
      "| Figure | Value | Meaning |",
      "| :-- | --: | :-- |",
      ...figureRows(r).map((f) => `| ${f.label} | ${f.value} | ${escapeMarkdown(f.meaning)} |`),
    ].join("\n"),
    `<sub>Policy time ${minute(r.policyTime)} · ${code(r.source.configPath)} · ` +
      `${escapeMarkdown(r.source.directory)} · ${escapeMarkdown(r.source.tenant)}</sub>`,
  ];

  const lapsing = forecastEntries(r);
  blocks.push(
    `### Forecast: recipients losing encryption per week (next ${r.weeks} weeks)`,
    mermaidChart(r),
    collapsed(
      `${lapsing.length} recipient${lapsing.length === 1 ? "" : "s"} lose encryption within ${r.weeks} weeks if nobody renews`,
      ["Expires", "Recipient", "Certificate", "OU"],
      lapsing.map((e) => [
        day(e.until) + (e.limitedBy === "issuing-ca" ? " (issuing CA)" : ""),
        escapeMarkdown(cut(recipientName(e))),
        escapeMarkdown(cut(certLabel(e.certificate))),
        escapeMarkdown(cut(e.ou)),
      ]),
      limit,
    ),
  );

  blocks.push(
    "### By OU",
    breakdownTable("OU", r.byOu, (k) => k, limit),
  );
  blocks.push("### By issuing CA", breakdownTable("Issuing CA", r.byIssuer, caName, limit));

  blocks.push(`### CA certificates expired or expiring within ${r.weeks} weeks`);
  blocks.push(
    r.caExpiring.length === 0
      ? "None."
      : table(
          ["Expires", "Days left", "Configured as", "CA"],
          r.caExpiring.map((c) => [
            day(c.certificate.notAfter),
            String(c.daysLeft),
            CA_SOURCE_LABEL[c.source],
            escapeMarkdown(cut(certLabel(c.certificate))),
          ]),
          limit,
          [1],
        ),
  );

  const missing = notCovered(r);
  blocks.push(
    "### Not covered",
    missing.length === 0
      ? "Every recipient in scope can receive encrypted mail."
      : collapsed(
          `${missing.length} recipient${missing.length === 1 ? "" : "s"} cannot receive encrypted mail now`,
          ["Status", "Recipient", "Why", "OU"],
          missing.map((x) => [
            x.status,
            escapeMarkdown(cut(recipientName(x))),
            escapeMarkdown(cut(x.note ?? "")),
            escapeMarkdown(cut(x.ou)),
          ]),
          limit,
        ),
  );
  if (r.pruned.length > 0) {
    blocks.push(
      "### To be pruned by the plan",
      collapsed(
        `${r.pruned.length} certificate value${r.pruned.length === 1 ? "" : "s"} removed by the plan`,
        ["Recipient", "Attribute", "Reason", "Certificate"],
        r.pruned.map((p) => [
          escapeMarkdown(cut(p.address)),
          p.attribute,
          p.reason,
          p.certificate ? escapeMarkdown(cut(certLabel(p.certificate))) : "(not a certificate)",
        ]),
        limit,
      ),
    );
  }
  return `${blocks.join("\n\n")}\n`;
}

/**
 * Mermaid's xychart-beta: one bar per week, labelled by the day the week ends. Only numbers and
 * dates the report computes go in here, never a directory value.
 */
export function mermaidChart(r: Report): string {
  const max = Math.max(1, ...r.forecast.map((w) => w.losing));
  return [
    "```mermaid",
    "xychart-beta",
    `    title "Recipients losing encryption per week if nobody renews"`,
    `    x-axis "Week ending" [${r.forecast.map((w) => `"${weekEnd(w).slice(5)}"`).join(", ")}]`,
    `    y-axis "Recipients" 0 --> ${max}`,
    `    bar [${r.forecast.map((w) => w.losing).join(", ")}]`,
    "```",
  ].join("\n");
}

function breakdownTable(
  title: string,
  rows: readonly Breakdown[],
  name: (k: string) => string,
  limit: number,
) {
  if (rows.length === 0) return "Nobody in scope.";
  return table(
    [title, "In scope", "Covered", "Coverage", "Pending", "Blocked", "None", "≤30d", "≤60d", "≤90d"],
    rows.map((b) => [
      escapeMarkdown(cut(name(b.key))),
      String(b.inScope),
      String(b.covered),
      percent(b.coverage),
      String(b.pending),
      String(b.blocked),
      String(b.none),
      String(b.expiring.d30),
      String(b.expiring.d60),
      String(b.expiring.d90),
    ]),
    limit,
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
}

/** A table whose rows are already escaped; past `limit` rows, one line says how many are left out. */
function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  limit: number,
  right: readonly number[] = [],
): string {
  const shown = rows.slice(0, limit);
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (right.includes(i) ? "--:" : ":--")).join(" | ")} |`,
    ...shown.map((row) => `| ${row.join(" | ")} |`),
  ];
  const left = rows.length - shown.length;
  if (left > 0) lines.push("", `…and ${left} more (the JSON and CSV formats list every row).`);
  return lines.join("\n");
}

function collapsed(
  summary: string,
  head: readonly string[],
  rows: readonly (readonly string[])[],
  limit: number,
): string {
  if (rows.length === 0) return `${escapeMarkdown(summary.replace(/^0 /, "No "))}.`;
  return [
    `<details><summary>${escapeHtml(summary)}</summary>`,
    "",
    table(head, rows, limit),
    "",
    "</details>",
  ].join("\n");
}

function cut(text: string): string {
  const chars = [...text];
  return chars.length <= CELL_LIMIT ? text : `${chars.slice(0, CELL_LIMIT - 1).join("")}…`;
}
