// The machine-readable rendering (like `terraform show -json`): the plan document itself, exactly
// the plan file's bytes, so `smimesync plan --format json > plan.json` can be applied as well.
import { serializePlan } from "../plan-file.js";
import type { Plan } from "../types.js";

export function renderJson(plan: Plan): string {
  return serializePlan(plan);
}
