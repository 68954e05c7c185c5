// "Re-plan and check the result is identical": after a squash or rebase merge the approved plan's
// commit is not in main's history, so the apply job plans again on the merged commit and executes
// only if that plan makes exactly the changes reviewers approved. Change ids are stable (the same
// change planned twice has the same id), so identity is compared on them; the explanation, the
// timestamps and the object fingerprints may differ without changing what is written.
import type { Plan } from "../plan/types.js";

export type PlanComparison =
  | { readonly same: true; readonly changes: number }
  | {
      readonly same: false;
      /** Approved but no longer planned. */
      readonly onlyApproved: readonly string[];
      /** Planned now but never approved. */
      readonly onlyFresh: readonly string[];
    };

export function comparePlans(approved: Pick<Plan, "changes">, fresh: Pick<Plan, "changes">): PlanComparison {
  const key = (c: Plan["changes"][number]) =>
    `${c.id} ${c.action} ${c.address} ${c.attribute} ${c.valueSha256}`;
  const a = new Map(approved.changes.map((c) => [key(c), c.id]));
  const f = new Map(fresh.changes.map((c) => [key(c), c.id]));
  const onlyApproved = [...a.entries()].filter(([k]) => !f.has(k)).map(([, id]) => id);
  const onlyFresh = [...f.entries()].filter(([k]) => !a.has(k)).map(([, id]) => id);
  if (onlyApproved.length === 0 && onlyFresh.length === 0) return { same: true, changes: a.size };
  return { same: false, onlyApproved, onlyFresh };
}
