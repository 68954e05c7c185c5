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
    objects: plan.objects,
    changes: plan.changes.filter(keep),
    wouldRemove: plan.wouldRemove,
    drift: plan.drift,
    warnings: plan.warnings,
    inScope: plan.summary.inScope,
    toolVersion: plan.tool.version,
  });
}
