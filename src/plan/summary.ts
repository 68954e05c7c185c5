// The plan's counts, computed in one place so the summary can never disagree with the lists
// (loadPlan recomputes it and refuses a plan whose summary was edited).
import type { DriftItem, PlannedChange, PlanSummary, PlanWarning } from "./types.js";

export interface SummaryInput {
  readonly changes: readonly PlannedChange[];
  readonly wouldRemove: readonly PlannedChange[];
  readonly drift: readonly DriftItem[];
  readonly warnings: readonly PlanWarning[];
  /** Recipients in scope; reconcile knows it, the lists do not. */
  readonly inScope: number;
}

export function computeSummary(input: SummaryInput): PlanSummary {
  let publish = 0;
  let remove = 0;
  const recipients = new Set<string>();
  for (const c of input.changes) {
    switch (c.action) {
      case "publish":
        publish++;
        break;
      case "remove":
        remove++;
        break;
      default:
        return c.action satisfies never;
    }
    recipients.add(c.address);
  }
  return {
    publish,
    remove,
    recipients: recipients.size,
    wouldRemove: input.wouldRemove.length,
    drift: input.drift.length,
    warnings: input.warnings.length,
    inScope: input.inScope,
  };
}

/** The closing line of every rendering, in Terraform's words. */
export function summaryLine(summary: PlanSummary): string {
  if (summary.publish === 0 && summary.remove === 0) {
    return "No changes. Active Directory and Exchange Online match the policy.";
  }
  const r = summary.recipients;
  return `Plan: ${summary.publish} to publish, ${summary.remove} to remove, across ${r} recipient${r === 1 ? "" : "s"}.`;
}
