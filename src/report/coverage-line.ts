// The one-line coverage figure that plan's markdown, the demo and the report itself print, and the
// before/after pair for a plan (its changes applied to the observed recipients, purely).
import type { Plan } from "../plan/types.js";
import type { Managed } from "../reconcile/reconcile.js";
import { recipientsAfter } from "./after-plan.js";
import { figuresOf } from "./build.js";
import { recipientCoverage } from "./coverage.js";
import type { CoverageJudge } from "./ports.js";
import type { Figures } from "./types.js";

export interface CoverageChange {
  readonly before: Figures;
  readonly after: Figures;
}

export function planCoverage(
  recipients: readonly Managed[],
  plan: Plan,
  judge: CoverageJudge,
): CoverageChange {
  const now = Date.parse(plan.policyTime);
  return {
    before: figuresOf(recipientCoverage(recipients, plan, judge), now),
    after: figuresOf(recipientCoverage(recipientsAfter(recipients, plan), plan, judge), now),
  };
}

/** `70.0%`, or `n/a` when nothing is in scope. */
export function percent(coverage: number | null): string {
  return coverage === null ? "n/a" : `${(Math.floor(coverage * 1000) / 10).toFixed(1)}%`;
}

/** `7 of 10 recipients (70.0%) can receive encrypted mail; 1 pending, 1 with none, 2 blocked (1 still covered)` */
export function coverageLine(f: Figures): string {
  const stillCovered = f.blockedCovered > 0 ? ` (${f.blockedCovered} still covered)` : "";
  const rest = [
    f.pending > 0 ? `${f.pending} pending` : "",
    f.none > 0 ? `${f.none} with none` : "",
    f.blocked > 0 ? `${f.blocked} blocked${stillCovered}` : "",
  ].filter((s) => s !== "");
  return (
    `${f.covered} of ${f.inScope} recipient${f.inScope === 1 ? "" : "s"} (${percent(f.coverage)}) ` +
    `can receive encrypted mail${rest.length > 0 ? `; ${rest.join(", ")}` : ""}`
  );
}

/** `Coverage: 7 of 10 … → after this plan: 8 of 10 …` */
export function coverageChangeLine(c: CoverageChange): string {
  return `Coverage: ${coverageLine(c.before)} → after this plan: ${coverageLine(c.after)}`;
}
