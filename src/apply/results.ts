// Apply's result per recipient (after Argo CD's result record per resource): one write per object
// means all of an object's changes share one outcome, so an admin reads one line per recipient.
import type { ChangeOutcome, ChangeOutcomeKind } from "../gitops/audit-record.js";
import type { Plan } from "../plan/types.js";

export type RecipientResult =
  | {
      readonly address: string;
      readonly outcome: "applied";
      readonly published: number;
      readonly removed: number;
    }
  | {
      readonly address: string;
      readonly outcome: "unconfirmed" | "stale" | "failed" | "skipped";
      /** Why, from the first change of the object that was not applied. */
      readonly message: string;
      /** Changes of the object that were not applied. */
      readonly notApplied: number;
    };

/** One result per recipient with changes, in the plan's order (by address). */
export function recipientResults(plan: Plan, outcomes: readonly ChangeOutcome[]): RecipientResult[] {
  const byChange = new Map(outcomes.map((x) => [x.changeId, x]));
  const out: RecipientResult[] = [];
  for (const object of plan.objects) {
    const changes = plan.changes.filter((c) => c.address === object.address);
    if (changes.length === 0) continue;
    const results = changes.map((c) => ({ c, x: byChange.get(c.id) }));
    const missed = results.filter(({ x }) => x === undefined || x.outcome !== "applied");
    const first = missed[0]?.x;
    if (missed.length === 0) {
      out.push({
        address: object.address,
        outcome: "applied",
        published: changes.filter((c) => c.action === "publish").length,
        removed: changes.filter((c) => c.action === "remove").length,
      });
    } else if (first === undefined || first.outcome === "applied") {
      // No outcome recorded for a change (cannot happen with executePlan): say so, never "applied".
      out.push({
        address: object.address,
        outcome: "skipped",
        message: "no outcome was recorded",
        notApplied: missed.length,
      });
    } else {
      out.push({
        address: object.address,
        outcome: first.outcome,
        message: first.message,
        notApplied: missed.length,
      });
    }
  }
  return out;
}

/** How many changes ended in each outcome: the summary line and `apply --json` count alike. */
export function outcomeCounts(
  outcomes: readonly Pick<ChangeOutcome, "outcome">[],
): Record<ChangeOutcomeKind, number> {
  const counts: Record<ChangeOutcomeKind, number> = {
    applied: 0,
    unconfirmed: 0,
    stale: 0,
    failed: 0,
    skipped: 0,
  };
  for (const x of outcomes) counts[x.outcome]++;
  return counts;
}
