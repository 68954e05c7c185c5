// Words and labels every rendering of the report shares, so text, markdown, CSV and HTML say the
// same thing: figure names and meanings, certificate and CA labels, week labels.
import { shortThumbprint } from "../../model/thumbprint.js";
import { commonName, day, oneLine } from "../../plan/render/describe.js";
import type { CertificateRef } from "../../plan/types.js";
import { byText } from "../build.js";
import { percent } from "../coverage-line.js";
import type { CoverageStatus, ForecastWeek, Report } from "../types.js";

export interface FigureRow {
  readonly label: string;
  readonly value: string;
  readonly meaning: string;
}

export function figureRows(r: Report): FigureRow[] {
  const f = r.figures;
  return [
    {
      label: "Coverage",
      value: percent(f.coverage),
      meaning: `${f.covered} of ${f.inScope} recipients in scope can receive encrypted mail now`,
    },
    {
      label: "Covered",
      value: String(f.covered),
      meaning: "a usable certificate is at the authority and in Exchange Online, where Outlook looks",
    },
    {
      label: "Pending",
      value: String(f.pending),
      meaning: "a usable certificate is at the authority, not yet in Exchange Online (Entra Connect)",
    },
    { label: "None", value: String(f.none), meaning: "no usable certificate at the authority" },
    {
      label: "Blocked",
      value: String(f.blocked),
      meaning:
        "AD's certificates cannot reach Exchange Online: over 15 values, a provisioning error or sync off" +
        (f.blockedCovered > 0 ? ` (${f.blockedCovered} still covered by what Exchange Online holds)` : ""),
    },
    ...(
      [
        [30, f.expiring.d30],
        [60, f.expiring.d60],
        [90, f.expiring.d90],
      ] as const
    ).map(([days, n]) => ({
      label: `Expiring within ${days} days`,
      value: String(n),
      meaning: "covered recipients whose last usable certificate lapses by then",
    })),
    {
      label: "To be pruned",
      value: String(f.pruned),
      meaning: `certificate values this plan removes (${f.wouldRemove} more only reported: prune off)`,
    },
  ];
}

export const STATUS_LABEL: Readonly<Record<CoverageStatus, string>> = {
  covered: "covered",
  blocked: "blocked",
  pending: "pending",
  none: "none",
};

/** `Alice Archer, thumbprint 3F2A9C1B`: enough to recognise it. */
export function certLabel(c: CertificateRef): string {
  return oneLine(
    `${commonName(c.subject) ?? (c.subject || "(no subject)")}, thumbprint ${shortThumbprint(c.sha1)}`,
  );
}

/** An issuing CA by its common name, or its whole DN when it has none. */
export function caName(dn: string): string {
  return oneLine(commonName(dn) ?? dn);
}

/** The week's last day, `2025-06-08`: bars are labelled by the day the week ends. */
export function weekEnd(w: ForecastWeek): string {
  return day(w.to);
}

export function recipientName(r: { readonly mail: string | null; readonly address: string }): string {
  return oneLine(r.mail ?? r.address);
}

export const CA_SOURCE_LABEL = {
  "trust-anchor": "trust anchor",
  intermediate: "intermediate",
  "tenant-trust": "tenant S/MIME trust",
} as const;

/** The not-covered recipients, worst first (blocked, pending, none), then by name. */
export function notCovered(r: Report): Report["recipients"] {
  const order: Readonly<Record<CoverageStatus, number>> = { blocked: 0, pending: 1, none: 2, covered: 3 };
  return r.recipients
    .filter((x) => x.status !== "covered")
    .slice()
    .sort((a, b) => order[a.status] - order[b.status] || byText(recipientName(a), recipientName(b)));
}

export function forecastEntries(r: Report): ForecastWeek["recipients"] {
  return r.forecast.flatMap((w) => w.recipients);
}
