// What an unattended run (`apply --unattended`, a scheduled workflow) may write: only changes whose
// reason `reconcile.autoApply` lists. Pure: the caller plans, this picks, apply writes the pick.
import { restrictPlan } from "../plan/subset.js";
import type { ChangeReason, Plan, PlannedChange } from "../plan/types.js";

export interface UnattendedSelection {
  /** The plan holding only the changes to write now. */
  readonly plan: Plan;
  /** Changes whose reason is not listed: they wait for a reviewed pull request. */
  readonly notListed: readonly PlannedChange[];
  /**
   * Publications of a listed reason held back because a removal at the same recipient and
   * attribute is not listed: written alone they could leave more values than the plan ends with
   * (reconcile keeps the plan as a whole within maxPerUser and Entra Connect's 15, not its parts).
   */
  readonly heldBack: readonly PlannedChange[];
}

export function selectUnattended(plan: Plan, reasons: readonly ChangeReason[]): UnattendedSelection {
  const listed = new Set<ChangeReason>(reasons);
  const slot = (c: PlannedChange) => `${c.address}\u0000${c.attribute}`;
  // A slot where some removal is not listed: publications there would outrun their removals.
  const removalsLeft = new Set(
    plan.changes.filter((c) => c.action === "remove" && !listed.has(c.reason)).map(slot),
  );
  const notListed: PlannedChange[] = [];
  const heldBack: PlannedChange[] = [];
  const keep = new Set<string>();
  for (const c of plan.changes) {
    if (!listed.has(c.reason)) notListed.push(c);
    else if (c.action === "publish" && removalsLeft.has(slot(c))) heldBack.push(c);
    else keep.add(c.id);
  }
  return { plan: restrictPlan(plan, (c) => keep.has(c.id)), notListed, heldBack };
}
