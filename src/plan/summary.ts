// The plan's counts, computed in one place so the summary can never disagree with the lists
// (loadPlan recomputes it and refuses a plan whose summary was edited).
import {
  type DriftItem,
  type DriftKind,
  isCertChange,
  type Plan,
  type PlannedChange,
  type PlanSummary,
  type PlanWarning,
} from "./types.js";

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
    if (isCertChange(c)) recipients.add(c.address);
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

/** Recipients left over 15 values after the plan: reconcile's warning code. */
export const BLOCKED_WARNING = "recipient-blocked-over-limit";

// Drift that the next Entra Connect cycle resolves on its own.
const WAITING: ReadonlySet<DriftKind> = new Set(["sync-pending", "mirror-stale-value"]);

/** Distinct recipients per situation, for the closing line and the `drift` command. */
export function driftCounts(plan: Pick<Plan, "drift" | "warnings">): {
  readonly blocked: number;
  readonly waiting: number;
  readonly other: number;
} {
  const blocked = new Set(plan.warnings.filter((w) => w.code === BLOCKED_WARNING).map((w) => w.address));
  const waiting = new Set<string>();
  const other = new Set<string>();
  for (const d of plan.drift) {
    if (blocked.has(d.address)) continue;
    (WAITING.has(d.kind) ? waiting : other).add(d.address);
  }
  for (const a of waiting) other.delete(a);
  return { blocked: blocked.size, waiting: waiting.size, other: other.size };
}

const recipients = (n: number) => `${n} recipient${n === 1 ? "" : "s"}`;

/**
 * The closing line of every rendering, in Terraform's words, plus what stays true after it:
 * recipients still blocked over 15 values, and (with nothing to change) the drift that remains, so
 * "No changes" never reads as "all in sync" while Exchange Online has not caught up.
 */
export function summaryLine(plan: Pick<Plan, "summary" | "drift" | "warnings">): string {
  const { summary } = plan;
  const counts = driftCounts(plan);
  const none = summary.publish === 0 && summary.remove === 0;
  const notes: string[] = [];
  if (counts.blocked > 0)
    notes.push(
      `${recipients(counts.blocked)} ${counts.blocked === 1 ? "stays" : "stay"} blocked over the 15-value limit (see Warnings).`,
    );
  if (none && counts.waiting > 0)
    notes.push(
      `${recipients(counts.waiting)} ${counts.waiting === 1 ? "is" : "are"} waiting for Entra Connect.`,
    );
  if (none && counts.other > 0)
    notes.push(`${recipients(counts.other)} ${counts.other === 1 ? "has" : "have"} other drift (see Drift).`);
  const head = !none
    ? `Plan: ${summary.publish} to publish, ${summary.remove} to remove, across ${recipients(summary.recipients)}.`
    : notes.length === 0
      ? "No changes. Active Directory and Exchange Online match the policy."
      : "No changes to make.";
  return [head, ...notes].join(" ");
}
