// The report as one self-contained HTML page that opens in any browser: inline CSS, the forecast as
// an inline SVG bar chart, no script, no font, no image, nothing fetched (a Content-Security-Policy
// of default-src 'none' says so to the browser too). Every directory value is HTML-escaped.

import { day, minute, oneLine } from "../../plan/render/describe.js";
import { escapeHtml } from "../../plan/render/markdown.js";
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

const esc = (s: string): string => escapeHtml(oneLine(s));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
.meta{color:#59636e;font-size:.85rem}.headline{font-size:1.2rem;font-weight:600;margin:1rem 0}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}.card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .9rem;min-width:7.5rem}
.card b{display:block;font-size:1.5rem}.card span{color:#59636e;font-size:.8rem}
.covered b{color:#1a7f37}.pending b{color:#9a6700}.blocked b{color:#cf222e}.none b{color:#59636e}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr:nth-child(even) td{background:#fbfcfd}
.chart{width:100%;height:auto;max-width:60rem}.chart .bar{fill:#cf222e}.chart .zero{fill:#d0d7de}.chart text{font-size:11px;fill:#59636e}
.chart .axis{stroke:#8c959f;stroke-width:1}.muted{color:#59636e}
`.trim();

export function renderHtml(r: Report): string {
  const f = r.figures;
  const lapsing = forecastEntries(r);
  const missing = notCovered(r);
  const cards = [
    ["covered", "Covered", f.covered],
    ["pending", "Pending", f.pending],
    ["blocked", "Blocked", f.blocked],
    ["none", "None", f.none],
    ["", "Expiring ≤30 days", f.expiring.d30],
    ["", "Expiring ≤90 days", f.expiring.d90],
    ["", "To be pruned", f.pruned],
  ] as const;
  const body = [
    `<h1>smimesync report</h1>`,
    `<p class="meta">Policy time ${esc(minute(r.policyTime))} · ${esc(r.source.configPath)} · ${esc(r.source.directory)} · ${esc(r.source.tenant)}</p>`,
    `<p class="headline">Coverage: ${esc(coverageLine(f))}.</p>`,
    `<div class="cards">${cards
      .map(([cls, label, n]) => `<div class="card ${cls}"><b>${n}</b><span>${esc(label)}</span></div>`)
      .join("")}</div>`,
    `<h2>What the figures mean</h2>`,
    table(
      ["Figure", "Value", "Meaning"],
      figureRows(r).map((x) => [esc(x.label), esc(x.value), esc(x.meaning)]),
      [1],
    ),
    `<h2>Forecast: recipients losing encryption per week (next ${r.weeks} weeks)</h2>`,
    chart(r),
    `<h2>Who loses encryption if nobody renews (${lapsing.length})</h2>`,
    lapsing.length === 0
      ? `<p class="muted">Nobody within ${r.weeks} weeks.</p>`
      : table(
          ["Expires", "Recipient", "Certificate", "OU"],
          lapsing.map((e) => [
            esc(day(e.until) + (e.limitedBy === "issuing-ca" ? " (issuing CA)" : "")),
            esc(recipientName(e)),
            esc(certLabel(e.certificate)),
            esc(e.ou),
          ]),
        ),
    `<h2>By OU</h2>`,
    breakdownTable("OU", r.byOu, (k) => k),
    `<h2>By issuing CA</h2>`,
    breakdownTable("Issuing CA", r.byIssuer, caName),
    `<h2>CA certificates expired or expiring within ${r.weeks} weeks</h2>`,
    r.caExpiring.length === 0
      ? `<p class="muted">None.</p>`
      : table(
          ["Expires", "Days left", "Configured as", "CA"],
          r.caExpiring.map((c) => [
            esc(day(c.certificate.notAfter)),
            String(c.daysLeft),
            esc(CA_SOURCE_LABEL[c.source]),
            esc(certLabel(c.certificate)),
          ]),
          [1],
        ),
    `<h2>Not covered (${missing.length})</h2>`,
    missing.length === 0
      ? `<p class="muted">Every recipient in scope can receive encrypted mail.</p>`
      : table(
          ["Status", "Recipient", "Why", "OU"],
          missing.map((x) => [esc(x.status), esc(recipientName(x)), esc(x.note ?? ""), esc(x.ou)]),
        ),
    ...(r.pruned.length === 0
      ? []
      : [
          `<h2>To be pruned by the plan (${r.pruned.length})</h2>`,
          table(
            ["Recipient", "Attribute", "Reason", "Certificate"],
            r.pruned.map((p) => [
              esc(p.address),
              esc(p.attribute),
              esc(p.reason),
              p.certificate ? esc(certLabel(p.certificate)) : "(not a certificate)",
            ]),
          ),
        ]),
  ];
  return [
    "<!DOCTYPE html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>smimesync report · ${esc(day(r.policyTime))}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

const W = 760;
const H = 240;
const PAD = { left: 40, right: 10, top: 12, bottom: 34 };

/** One `rect.bar` per week (a thin grey one for a week where nobody lapses), with a tooltip. */
function chart(r: Report): string {
  const n = Math.max(1, r.forecast.length);
  const max = Math.max(1, ...r.forecast.map((w) => w.losing));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / n;
  const barW = Math.max(1, slot * 0.7);
  const every = Math.ceil(n / 13);
  const parts: string[] = [
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}"/>`,
    `<line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}"/>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${max}</text>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + plotH}" text-anchor="end">0</text>`,
  ];
  r.forecast.forEach((w, i) => {
    const h = w.losing === 0 ? 1 : (w.losing / max) * plotH;
    const x = PAD.left + i * slot + (slot - barW) / 2;
    const y = PAD.top + plotH - h;
    const tip = `Week ${w.week}, ending ${weekEnd(w)}: ${w.losing} recipient${w.losing === 1 ? "" : "s"} lose encryption`;
    parts.push(
      `<rect class="bar${w.losing === 0 ? " zero" : ""}" data-week="${w.week}" data-losing="${w.losing}" ` +
        `x="${fix(x)}" y="${fix(y)}" width="${fix(barW)}" height="${fix(h)}"><title>${esc(tip)}</title></rect>`,
    );
    if (w.losing > 0)
      parts.push(`<text x="${fix(x + barW / 2)}" y="${fix(y - 3)}" text-anchor="middle">${w.losing}</text>`);
    if (i % every === 0)
      parts.push(
        `<text x="${fix(x + barW / 2)}" y="${PAD.top + plotH + 14}" text-anchor="middle">${esc(weekEnd(w).slice(5))}</text>`,
      );
  });
  parts.push(
    `<text x="${PAD.left + plotW / 2}" y="${H - 4}" text-anchor="middle">week ending (month-day)</text>`,
  );
  return (
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" ` +
    `aria-label="Recipients losing encryption per week">${parts.join("")}</svg>`
  );
}

const fix = (v: number): string => v.toFixed(1);

function breakdownTable(title: string, rows: readonly Breakdown[], name: (k: string) => string): string {
  if (rows.length === 0) return `<p class="muted">Nobody in scope.</p>`;
  return table(
    [title, "In scope", "Covered", "Coverage", "Pending", "Blocked", "None", "≤30d", "≤60d", "≤90d"],
    rows.map((b) => [
      esc(name(b.key)),
      String(b.inScope),
      String(b.covered),
      esc(percent(b.coverage)),
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

/** Cells are already escaped HTML. */
function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string {
  const cls = (i: number) => (right.includes(i) ? ` class="n"` : "");
  return [
    "<table>",
    `<thead><tr>${head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join("")}</tr></thead>`,
    "<tbody>",
    ...rows.map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${c}</td>`).join("")}</tr>`),
    "</tbody>",
    "</table>",
  ].join("\n");
}
