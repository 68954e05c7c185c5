// Stable identifiers. A change id names "this value, this attribute, this recipient, this action",
// so the same change planned twice (or by two runs on the same inputs) has the same id; the plan id
// names the plan's content, independent of when it was computed.

import { sha256Hex } from "../model/digest.js";
import { canonicalSha256Hex } from "./canonical-json.js";
import type { ChangeAction, ChangeAttribute, Plan } from "./types.js";

/** Hex digits kept of the SHA-256: 64 bits, ample for the ~10^5 changes of one plan. */
export const CHANGE_ID_LENGTH = 16;
export const PLAN_ID_LENGTH = 16;

export interface ChangeKey {
  readonly address: string;
  readonly attribute: ChangeAttribute;
  readonly action: ChangeAction;
  readonly valueSha256: string;
}

/** `sha256("address|attribute|action|valueSha256")`, first 16 hex digits. */
export function changeId(key: ChangeKey): string {
  return sha256Hex(`${key.address}|${key.attribute}|${key.action}|${key.valueSha256}`).slice(
    0,
    CHANGE_ID_LENGTH,
  );
}

/**
 * SHA-256 of the canonical JSON of the plan without `id`, `createdAt` (and `integrity`, when given
 * a plan document), first 16 hex digits: planning again from the same inputs and policy time
 * gives the same id.
 */
export function planId(
  plan: Omit<Plan, "id" | "createdAt"> & { readonly id?: string; readonly createdAt?: string },
): string {
  const {
    id: _id,
    createdAt: _createdAt,
    integrity: _integrity,
    ...content
  } = plan as Record<string, unknown>;
  return canonicalSha256Hex(content).slice(0, PLAN_ID_LENGTH);
}

export { sha256Hex };
