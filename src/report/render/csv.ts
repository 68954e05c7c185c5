// The report as CSV for a spreadsheet (what the CA team asks for): one row per recipient in scope.
// RFC 4180: CRLF line ends, fields holding a comma, quote or line break in double quotes, quotes
// doubled. Directory values are hostile: a cell a spreadsheet would read as a formula (starting
// with = + - @, tab or CR) gets a leading apostrophe, so it stays text (OWASP "CSV Injection").
import { DAY_MS, weekOf } from "../build.js";
import type { Report } from "../types.js";

export const CSV_COLUMNS = [
  "address",
  "mail",
  "authority",
  "kind",
  "ou",
  "status",
  "blockers",
  "note",
  "certificate_subject",
  "certificate_issuer",
  "certificate_sha1",
  "certificate_not_after",
  "usable_until",
  "limited_by",
  "days_left",
  "forecast_week",
] as const;

export function renderCsv(r: Report): string {
  const now = Date.parse(r.policyTime);
  const rows = r.recipients.map((x) => {
    const best = x.best;
    const ms = best ? Date.parse(best.until) - now : undefined;
    const week =
      x.status === "covered" && ms !== undefined && weekOf(ms) <= r.weeks ? String(weekOf(ms)) : "";
    return [
      text(x.address),
      text(x.mail ?? ""),
      x.authority,
      x.kind,
      text(x.ou),
      x.status,
      x.blockers.join(" "),
      text(x.note ?? ""),
      text(best?.certificate.subject ?? ""),
      text(best?.certificate.issuer ?? ""),
      best?.certificate.sha1.toUpperCase() ?? "",
      best?.certificate.notAfter ?? "",
      best?.until ?? "",
      best?.limitedBy ?? "",
      ms === undefined ? "" : String(Math.floor(ms / DAY_MS)),
      week,
    ];
  });
  return [[...CSV_COLUMNS], ...rows].map((row) => `${row.map(field).join(",")}\r\n`).join("");
}

/** A value from a directory or certificate: never read as a formula. */
export function text(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** RFC 4180 quoting. */
export function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
