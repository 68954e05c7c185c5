// The report for a terminal: the coverage line, the figures, breakdowns as aligned tables, a bar
// per forecast week, and the lists of who lapses and who is not covered. Colour comes from the
// caller's chalk instance (level 0 gives plain text).
import type { ChalkInstance } from "chalk";
import { day, minute, oneLine } from "../../plan/render/describe.js";
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

const BAR_WIDTH = 40;

export function renderText(r: Report, color: ChalkInstance): string {
  const out: string[] = [];
  out.push(
    color.dim(
      `smimesync report · policy time ${minute(r.policyTime)} · ${oneLine(r.source.configPath)} · ` +
        `${oneLine(r.source.directory)} · ${oneLine(r.source.tenant)}`,
    ),
    "",
    color.bold(`Coverage: ${coverageLine(r.figures)}.`),
    "",
  );
  out.push(
    ...table(
      ["Figure", "Value", "Meaning"],
      figureRows(r).map((f) => [f.label, f.value, f.meaning]),
      [1],
    ),
  );

  out.push("", color.bold("By OU"), ...breakdownTable("OU", r.byOu));
  out.push("", color.bold("By issuing CA"), ...breakdownTable("Issuing CA", r.byIssuer, caName));

  out.push("", color.bold(`CA certificates expired or expiring within ${r.weeks} weeks`));
  if (r.caExpiring.length === 0) out.push("  none");
  else
    out.push(
      ...table(
        ["Expires", "Days left", "Configured as", "CA"],
        r.caExpiring.map((c) => [
          day(c.certificate.notAfter),
          String(c.daysLeft),
          CA_SOURCE_LABEL[c.source],
          certLabel(c.certificate),
        ]),
        [1],
      ),
    );

  out.push(
    "",
    color.bold(`Forecast: recipients losing encryption per week if nobody renews (next ${r.weeks} weeks)`),
  );
  const max = Math.max(0, ...r.forecast.map((w) => w.losing));
  const countWidth = String(max).length;
  for (const w of r.forecast) {
    const bar = max === 0 ? "" : "█".repeat(Math.ceil((w.losing / max) * BAR_WIDTH));
    const label = `  W${String(w.week).padEnd(3)} ${weekEnd(w)}  ${String(w.losing).padStart(countWidth)} `;
    out.push(`${label}${color.red(bar)}`.trimEnd());
  }
  const lapsing = forecastEntries(r);
  out.push("", color.bold(`Who (${lapsing.length} within ${r.weeks} weeks, by expiry)`));
  if (lapsing.length === 0) out.push("  nobody");
  else
    out.push(
      ...table(
        ["Expires", "Recipient", "Certificate", "OU"],
        lapsing.map((e) => [
          day(e.until) + (e.limitedBy === "issuing-ca" ? " (CA)" : ""),
          recipientName(e),
          certLabel(e.certificate),
          oneLine(e.ou),
        ]),
      ),
    );

  const missing = notCovered(r);
  out.push("", color.bold(`Not covered (${missing.length})`));
  if (missing.length === 0) out.push("  nobody");
  else
    out.push(
      ...table(
        ["Status", "Recipient", "Why", "OU"],
        missing.map((x) => [x.status, recipientName(x), oneLine(x.note ?? ""), oneLine(x.ou)]),
      ),
    );

  if (r.pruned.length > 0) {
    out.push("", color.bold(`To be pruned by the plan (${r.pruned.length})`));
    out.push(
      ...table(
        ["Recipient", "Attribute", "Reason", "Certificate"],
        r.pruned.map((p) => [
          oneLine(p.address),
          p.attribute,
          p.reason,
          p.certificate ? certLabel(p.certificate) : "(not a certificate)",
        ]),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

function breakdownTable(title: string, rows: readonly Breakdown[], name: (k: string) => string = oneLine) {
  if (rows.length === 0) return ["  nobody in scope"];
  return table(
    [title, "In scope", "Covered", "Coverage", "Pending", "Blocked", "None", "≤30d", "≤60d", "≤90d"],
    rows.map((b) => [
      name(b.key),
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
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
}

/** Columns padded to their widest cell, two spaces apart; `right` columns are right-aligned. */
function table(head: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []) {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => [...(row[i] ?? "")].length)));
  const line = (row: readonly string[]) =>
    `  ${row
      .map((cell, i) => {
        const pad = " ".repeat(widths[i]! - [...cell].length);
        return right.includes(i) ? pad + cell : cell + pad;
      })
      .join("  ")}`.trimEnd();
  return [line(head), ...rows.map(line)];
}
