// `smimesync status` for humans (one line per recipient and a summary) and as one JSON document.
import type { ChalkInstance } from "chalk";
import { oneLine } from "../plan/render/describe.js";
import type {
  HealthSelection,
  HealthStatus,
  HealthSummary,
  RecipientHealth,
  StatusDocument,
} from "./types.js";
import { formatDuration } from "./wait.js";

export function selectionLine(selection: HealthSelection, checked: number): string {
  if (selection.kind === "all")
    return `Checking all ${checked} recipient${checked === 1 ? "" : "s"} in scope.`;
  const when = selection.appliedAt.replace(/\.\d{3}Z$/, "Z");
  return (
    `Checking the ${checked} recipient${checked === 1 ? "" : "s"} the last apply wrote ` +
    `(audit commit ${selection.auditCommit.slice(0, 12)}, applied ${when}, plan ${selection.planId.slice(0, 12)}).`
  );
}

export function recipientLines(list: readonly RecipientHealth[], color: ChalkInstance): string[] {
  const paint: Record<HealthStatus, (s: string) => string> = {
    synced: color.green,
    pending: color.yellow,
    blocked: color.red,
  };
  return list.map((r) => `${paint[r.status](r.status.padEnd(8))}${oneLine(r.address)}: ${oneLine(r.detail)}`);
}

export function summaryLine(s: HealthSummary): string {
  if (s.recipients === 0) return "Status: no recipient to check.";
  if (s.synced === s.recipients)
    return `Status: all ${s.recipients} recipient${s.recipients === 1 ? "" : "s"} synced: Exchange Online holds what the authority holds.`;
  return `Status: ${s.synced} synced, ${s.pending} pending, ${s.blocked} blocked, of ${s.recipients} recipient${s.recipients === 1 ? "" : "s"}.`;
}

export function pollLine(poll: number, elapsedMs: number, s: HealthSummary, nextInMs: number | null): string {
  const next = nextInMs === null ? "" : `; next check in ${formatDuration(nextInMs)}`;
  return `Check ${poll} after ${formatDuration(elapsedMs)}: ${s.synced} synced, ${s.pending} pending, ${s.blocked} blocked${next}.`;
}

export function statusJson(doc: StatusDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
