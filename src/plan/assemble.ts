// The one way to make a Plan: reconcile hands over what it found and decided, and this puts it in
// its canonical order, names every change, counts, and names the plan. Directory and tenant reads
// come in no particular order; sorting here is what makes "same inputs, same plan id" true.
import { CERT_ATTRIBUTES } from "../model/attributes.js";
import { version as toolVersion } from "../version.js";
import { changeId, planId } from "./ids.js";
import { computeSummary } from "./summary.js";
import {
  type DriftItem,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlannedChange,
  type PlanObject,
  type PlanSource,
  type PlanWarning,
} from "./types.js";

/** A change as reconcile decides it; `assemblePlan` gives it its id. */
export type ChangeInput = Omit<PlannedChange, "id">;

export interface PlanInput {
  /** When the plan was computed (wall clock); not part of the plan id. */
  readonly createdAt: Date | string;
  /** The `now` the policy was evaluated at. */
  readonly policyTime: Date | string;
  readonly source: PlanSource;
  /** A partial plan's targets (`--target`), normalised; absent for a full plan. */
  readonly targets?: readonly string[];
  readonly objects: readonly PlanObject[];
  readonly changes: readonly ChangeInput[];
  readonly wouldRemove: readonly ChangeInput[];
  readonly drift: readonly DriftItem[];
  readonly warnings: readonly PlanWarning[];
  readonly inScope: number;
  /** Defaults to this build's version; tests pin it so golden files do not move on a release. */
  readonly toolVersion?: string;
}

export function assemblePlan(input: PlanInput): Plan {
  const changes = input.changes.map(withId).sort(compareChanges);
  const wouldRemove = input.wouldRemove.map(withId).sort(compareChanges);
  const objects = [...input.objects].sort((a, b) => cmp(a.address, b.address));
  const drift = [...input.drift].sort(
    (a, b) =>
      cmp(a.address, b.address) ||
      cmp(a.kind, b.kind) ||
      cmp(a.attribute ?? "", b.attribute ?? "") ||
      cmp(a.message, b.message),
  );
  const warnings = [...input.warnings].sort(
    (a, b) => cmp(a.address ?? "", b.address ?? "") || cmp(a.code, b.code) || cmp(a.message, b.message),
  );
  const content = {
    formatVersion: PLAN_FORMAT_VERSION as typeof PLAN_FORMAT_VERSION,
    policyTime: isoString(input.policyTime),
    tool: { name: "smimesync", version: input.toolVersion ?? toolVersion } as const,
    source: input.source,
    ...(input.targets !== undefined && input.targets.length > 0 ? { targets: [...input.targets] } : {}),
    objects,
    changes,
    wouldRemove,
    drift,
    warnings,
    summary: computeSummary({ changes, wouldRemove, drift, warnings, inScope: input.inScope }),
  };
  // Key order here is the order of the pretty-printed file: identity first, lists, then counts.
  const { formatVersion, ...rest } = content;
  return { formatVersion, id: planId(content), createdAt: isoString(input.createdAt), ...rest };
}

function withId(c: ChangeInput): PlannedChange {
  // A caller may spread a PlannedChange in; its id is recomputed, never trusted, and kept first.
  const { id: _stale, ...rest } = c as ChangeInput & { id?: string };
  return { id: changeId(c), ...rest };
}

const ATTRIBUTE_ORDER: Readonly<Record<string, number>> = Object.fromEntries(
  CERT_ATTRIBUTES.map((a, i) => [a, i]),
);

/** Address, attribute, removals before publications (room under the 15-value limit), value. */
export function compareChanges(a: PlannedChange, b: PlannedChange): number {
  return (
    cmp(a.address, b.address) ||
    (ATTRIBUTE_ORDER[a.attribute] ?? 0) - (ATTRIBUTE_ORDER[b.attribute] ?? 0) ||
    (a.action === b.action ? 0 : a.action === "remove" ? -1 : 1) ||
    cmp(a.valueSha256, b.valueSha256)
  );
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isoString(t: Date | string): string {
  return typeof t === "string" ? t : t.toISOString();
}
