// A plan restricted to some of its changes (an unattended run's listed reasons, a targeted plan):
// made again through assemblePlan, so its ids, counts and consistency are those of any plan.
import { assemblePlan } from "./assemble.js";
import type { Plan, PlannedChange } from "./types.js";

/** The plan with only the changes `keep` accepts; everything else it saw stays as it was. */
export function restrictPlan(plan: Plan, keep: (c: PlannedChange) => boolean): Plan {
  return assemblePlan({
    createdAt: plan.createdAt,
    policyTime: plan.policyTime,
    source: plan.source,
    ...(plan.targets ? { targets: plan.targets } : {}),
    objects: plan.objects,
    changes: plan.changes.filter(keep),
    wouldRemove: plan.wouldRemove,
    drift: plan.drift,
    warnings: plan.warnings,
    inScope: plan.summary.inScope,
    toolVersion: plan.tool.version,
  });
}

/**
 * The partial plan of `--target`: only the recipients at `addresses`, their changes, notes, drift
 * and warnings (warnings about no recipient stay), with the targets recorded so every reader knows
 * the plan is partial. `inScope` stays the whole scope's: the percentage guard keeps its meaning.
 */
export function restrictToRecipients(
  plan: Plan,
  addresses: ReadonlySet<string>,
  targets: readonly string[],
): Plan {
  const mine = (x: { readonly address: string }) => addresses.has(x.address);
  return assemblePlan({
    createdAt: plan.createdAt,
    policyTime: plan.policyTime,
    source: plan.source,
    targets,
    objects: plan.objects.filter(mine),
    changes: plan.changes.filter(mine),
    wouldRemove: plan.wouldRemove.filter(mine),
    drift: plan.drift.filter(mine),
    warnings: plan.warnings.filter((w) => w.address === undefined || addresses.has(w.address)),
    inScope: plan.summary.inScope,
    toolVersion: plan.tool.version,
  });
}
