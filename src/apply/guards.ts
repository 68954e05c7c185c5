// Safety guards (architecture.md, "Safety"): checked when planning and again before apply writes
// anything, from the plan's own numbers, so that a plan that was fine under one config cannot be
// applied under a stricter one.
import type { ReadTally } from "../directory/types.js";
import { isCertChange, type Plan } from "../plan/types.js";

export interface SafetySettings {
  readonly maxRemovals: number;
  readonly maxRemovalPercent: number;
  readonly allowEmptyScope: boolean;
}

export type GuardName = "empty-scope" | "empty-directory" | "max-removals" | "max-removal-percent";

export interface GuardTrip {
  readonly guard: GuardName;
  readonly message: string;
  /** How to proceed, for the admin. */
  readonly hint: string;
}

export interface GuardFacts {
  /** Objects the directory read returned, or null when no directory is configured. */
  readonly directoryObjects: number | null;
  /** What the directory read looked at and each filter removed, to say why nothing is in scope. */
  readonly directoryRead?: ReadTally | null;
}

const FILTERS: readonly (readonly [Exclude<keyof ReadTally, "read">, string])[] = [
  ["outOfScope", "outside scope.ous and scope.groups"],
  ["objectClass", "not a user or contact"],
  ["disabled", "disabled"],
  ["notIncluded", "matching no scope.include pattern"],
  ["excluded", "matching scope.exclude"],
];

/** `(11 read: 11 disabled)`: what the read found, and what each filter took away. */
export function describeRead(t: ReadTally): string {
  const parts = FILTERS.filter(([k]) => t[k] > 0).map(([k, label]) => `${t[k]} ${label}`);
  return `(${t.read} read${parts.length > 0 ? `: ${parts.join(", ")}` : ""})`;
}

function emptyDirectoryHint(t: ReadTally | null | undefined): string {
  const hints: string[] = [];
  if (t && t.disabled > 0) hints.push("set scope.includeDisabled: true to manage disabled accounts");
  if (t && t.notIncluded + t.excluded > 0) hints.push("check scope.include / scope.exclude");
  // Nothing recipient-like under the configured OUs and groups: the scope or the rights are wrong.
  if (!t || t.read - t.outOfScope - t.objectClass === 0)
    hints.push("check scope.ous / scope.groups and the bind account's read rights");
  const first = hints.join("; ");
  return `${first.charAt(0).toUpperCase()}${first.slice(1)}; set safety.allowEmptyScope: true only if an empty scope is intended.`;
}

export function checkGuards(plan: Plan, safety: SafetySettings, facts: GuardFacts): GuardTrip[] {
  const trips: GuardTrip[] = [];
  const inScope = plan.summary.inScope;
  if (facts.directoryObjects === 0 && !safety.allowEmptyScope) {
    trips.push({
      guard: "empty-directory",
      message: `the directory read returned no object in scope${facts.directoryRead ? ` ${describeRead(facts.directoryRead)}` : ""}`,
      hint: emptyDirectoryHint(facts.directoryRead),
    });
  } else if (inScope === 0 && !safety.allowEmptyScope) {
    trips.push({
      guard: "empty-scope",
      message: "the scope selects no recipient",
      hint: "Check the scope section; set safety.allowEmptyScope: true only if that is intended.",
    });
  }
  // Recipients' values only: the trust collection's CAs are no recipient's certificates.
  const removals = plan.changes.filter((c) => isCertChange(c) && c.action === "remove");
  if (removals.length > safety.maxRemovals) {
    trips.push({
      guard: "max-removals",
      message: `the plan removes ${removals.length} certificate values, more than safety.maxRemovals (${safety.maxRemovals})`,
      hint: "Review the removals; if they are right, raise safety.maxRemovals in a reviewed change, or prune fewer reasons at a time.",
    });
  }
  const touched = new Set(removals.map((c) => c.address)).size;
  const percent = inScope === 0 ? 0 : (touched / inScope) * 100;
  if (percent > safety.maxRemovalPercent) {
    trips.push({
      guard: "max-removal-percent",
      message: `the plan removes values from ${touched} of ${inScope} recipients (${percent.toFixed(1)}%), more than safety.maxRemovalPercent (${safety.maxRemovalPercent}%)`,
      hint: "Review the removals; if they are right, raise safety.maxRemovalPercent in a reviewed change.",
    });
  }
  return trips;
}
