// Checks both backends make before changing an object's values, and the value arithmetic the
// LDIF backend performs the way an LDAP server would (add of a present value, delete of an absent
// one: a concurrent change).
import { type AttributeEdit, MAX_VALUE_BYTES, MAX_VALUES_PER_ATTRIBUTE } from "../model/attributes.js";
import { type ObjectFingerprint, sameFingerprint } from "../model/fingerprint.js";
import type { WriteResult } from "../model/write-result.js";
import type { DirectoryRecipient } from "./types.js";

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

const has = (list: readonly Uint8Array[], v: Uint8Array): boolean => list.some((x) => sameBytes(x, v));

/**
 * undefined when the write may go ahead; otherwise the result to report without writing.
 * `current` is the object as re-read just now, `fingerprint` how its backend fingerprints it.
 */
export function guardWrite(
  current: DirectoryRecipient,
  currentFingerprint: ObjectFingerprint,
  edits: readonly AttributeEdit[],
  expected: ObjectFingerprint,
): WriteResult | undefined {
  if (!sameFingerprint(currentFingerprint, expected)) {
    return {
      ok: false,
      reason: "stale",
      message: `${current.dn} changed since the plan was made (uSNChanged or certificate values differ)`,
    };
  }
  for (const { attribute, add, remove } of edits) {
    if (add.some((v) => has(remove, v))) {
      return {
        ok: false,
        reason: "error",
        message: `the same value is both added to and removed from ${attribute}`,
      };
    }
    const big = add.find((v) => v.length > MAX_VALUE_BYTES);
    if (big !== undefined) {
      return {
        ok: false,
        reason: "refused",
        message: `a value of ${big.length} bytes exceeds ${attribute}'s limit of ${MAX_VALUE_BYTES} bytes`,
      };
    }
    const after = current.values[attribute].length - remove.length + add.length;
    if (add.length > 0 && after > MAX_VALUES_PER_ATTRIBUTE) {
      return {
        ok: false,
        reason: "refused",
        message: `${current.dn} would hold ${after} values of ${attribute}; the cloud syncs at most ${MAX_VALUES_PER_ATTRIBUTE}`,
      };
    }
  }
  return undefined;
}

export type ApplyValues =
  | { readonly ok: true; readonly values: Uint8Array[] }
  | { readonly ok: false; readonly message: string };

/** add/delete of exact values with LDAP's semantics: all or nothing. */
export function applyValueChanges(
  values: readonly Uint8Array[],
  add: readonly Uint8Array[],
  remove: readonly Uint8Array[],
): ApplyValues {
  if (remove.some((v) => !has(values, v)))
    return { ok: false, message: "a value to remove is not present (noSuchAttribute)" };
  const kept = values.filter((v) => !has(remove, v));
  if (add.some((v) => has(kept, v)))
    return { ok: false, message: "a value to add is already present (attributeOrValueExists)" };
  return { ok: true, values: [...kept, ...add.map((v) => Uint8Array.from(v))] };
}
