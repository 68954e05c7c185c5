// Exchange recipient change tracking: a cursor is the service's own clock (an answer's Date
// header) minus a margin, and changes since it are asked for with an OPATH -Filter on
// WhenChangedUTC. Reading a change twice is harmless (the caller replaces whole records), missing
// one is not, so every rounding here goes earlier.
import type { ExchangeCursor } from "../types.js";

/**
 * Subtracted from the server's time: covers the replication lag between the Exchange servers
 * that answer successive calls, and a change committed while the read was running.
 */
export const CURSOR_MARGIN_MS = 15 * 60 * 1000;

/** The cursor for a read whose first answer carried this Date header; undefined without a usable one. */
export function cursorFromDate(dateHeader: string | null | undefined): ExchangeCursor | undefined {
  if (dateHeader === null || dateHeader === undefined) return undefined;
  const ms = Date.parse(dateHeader);
  if (!Number.isFinite(ms)) return undefined;
  return { since: new Date(ms - CURSOR_MARGIN_MS).toISOString() };
}

/** The cursor's time in ms, or undefined when it is not an ISO 8601 date (a corrupted state file). */
export function cursorTime(cursor: ExchangeCursor): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(cursor.since)) return undefined;
  const ms = Date.parse(cursor.since);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * `WhenChangedUTC -gt 'MM/dd/yyyy HH:mm:ss'`. The filter's date literal is parsed with the
 * service's culture (en-US), not as ISO 8601: Microsoft's filterable-properties page writes
 * `"WhenChanged -gt '8/1/2017 2:00:00 PM'"`, and public scripts interpolate a [DateTime] into the
 * string (`"WhenChangedUTC -gt '$LastImportUTC'"`), which PowerShell formats with the invariant
 * culture as `MM/dd/yyyy HH:mm:ss`. That form is read the same way by en-US and the invariant
 * culture (month first, 24-hour clock, no AM/PM designator to localise). WhenChangedUTC rather
 * than WhenChanged (the same stamp, both filterable on Get-Mailbox/-MailUser/-MailContact): a
 * WhenChanged literal is read as local time of wherever the cmdlet runs, a WhenChangedUTC literal
 * as UTC, so the instant sent here (UTC) cannot shift by a time-zone offset, which the margin
 * would not cover. Seconds are truncated: the filter asks from slightly earlier, never later.
 */
export function whenChangedFilter(sinceMs: number): string {
  const d = new Date(sinceMs);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())}/${d.getUTCFullYear()}`;
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  return `WhenChangedUTC -gt '${date} ${time}'`;
}

/** `${kind}/${identity}`: how a caller names the recipients it knows (readRecipientChanges' `known`). */
export function recipientKey(ref: { readonly kind: string; readonly identity: string }): string {
  return `${ref.kind}/${ref.identity}`;
}
