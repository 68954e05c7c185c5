// Approved plans against the plan computed now. A plan file is an approval, never an instruction:
// apply plans again from the current config and directories and may write a change only when an
// approved plan showed it. A change is identified by what it writes — (address, attribute, action,
// valueSha256), the inputs of `changeId` — never by its reason, explanation, timestamps or object
// fingerprints, which may differ between the two plans without changing what is written.
import type { Plan, PlannedChange } from "../plan/types.js";

/** The identity of a change: the full tuple, not the 64-bit id derived from it. */
export function changeKey(
  c: Pick<PlannedChange, "address" | "attribute" | "action" | "valueSha256">,
): string {
  return `${c.address}|${c.attribute}|${c.action}|${c.valueSha256.toLowerCase()}`;
}

/** One approved plan, and the pull request it was posted on when the caller knows it. */
export interface Approval {
  readonly plan: Pick<Plan, "id" | "changes">;
  readonly pullRequest: number | null;
}

export interface Intersection<A extends Approval = Approval> {
  /** Every change of the recomputed plan that some approval showed, in plan order, with which ones. */
  readonly approved: readonly { readonly change: PlannedChange; readonly approvedBy: readonly A[] }[];
  /** Changes of the recomputed plan that no approval showed: apply must write nothing. */
  readonly unapproved: readonly PlannedChange[];
  /** Approved changes the recomputed plan no longer holds (already applied, or moot): reported only. */
  readonly noLongerPlanned: readonly { readonly change: PlannedChange; readonly approvedBy: readonly A[] }[];
}

export function intersectPlans<A extends Approval>(
  recomputed: Pick<Plan, "changes">,
  approvals: readonly A[],
): Intersection<A> {
  const byKey = new Map<string, { change: PlannedChange; approvedBy: A[] }>();
  for (const a of approvals) {
    for (const c of a.plan.changes) {
      const k = changeKey(c);
      const entry = byKey.get(k) ?? { change: c, approvedBy: [] };
      if (!entry.approvedBy.includes(a)) entry.approvedBy.push(a);
      byKey.set(k, entry);
    }
  }
  const approved: { change: PlannedChange; approvedBy: A[] }[] = [];
  const unapproved: PlannedChange[] = [];
  const planned = new Set<string>();
  for (const c of recomputed.changes) {
    const k = changeKey(c);
    planned.add(k);
    const entry = byKey.get(k);
    if (entry) approved.push({ change: c, approvedBy: entry.approvedBy });
    else unapproved.push(c);
  }
  const noLongerPlanned = [...byKey.entries()].filter(([k]) => !planned.has(k)).map(([, e]) => e);
  return { approved, unapproved, noLongerPlanned };
}
