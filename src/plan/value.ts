// The one place where an attribute value crosses between bytes and the plan's base64 text.
// Reconcile encodes with `valueFields`; apply decodes with `changeValue`, which refuses a value that
// is not exactly what the plan's hash and length say, so apply never writes bytes nobody reviewed.
import { SmimesyncError } from "../errors.js";
import { MAX_VALUE_BYTES } from "../model/attributes.js";
import { sha256Hex as sha256 } from "../model/digest.js";
import type { PlannedChange } from "./types.js";

export interface ValueFields {
  readonly valueSha256: string;
  readonly valueBytes: number;
  readonly value: string;
}

/** What a `publish` change records of the bytes it writes. */
export function valueFields(bytes: Uint8Array): ValueFields {
  return {
    valueSha256: sha256(bytes),
    valueBytes: bytes.length,
    value: Buffer.from(bytes).toString("base64"),
  };
}

/** `valueSha256` and `valueBytes` only: what a `remove` (or would-remove) change records. */
export function valueDigest(bytes: Uint8Array): Omit<ValueFields, "value"> {
  return { valueSha256: sha256(bytes), valueBytes: bytes.length };
}

/**
 * The bytes a `publish` change writes. Throws PLAN_INVALID when the change carries no value or a
 * value that does not decode to exactly `valueBytes` bytes hashing to `valueSha256`.
 */
export function changeValue(change: PlannedChange): Uint8Array {
  const problem = change.action === "publish" ? valueProblem(change) : "a removal has no value to write";
  if (problem !== undefined)
    throw new SmimesyncError("PLAN_INVALID", `change ${change.id} (${change.address}): ${problem}`);
  return new Uint8Array(Buffer.from(change.value as string, "base64"));
}

/** Why `changeValue` would refuse this change, or undefined; used by loadPlan to check every value up front. */
export function valueProblem(change: PlannedChange): string | undefined {
  if (change.value === undefined) {
    return change.action === "publish" ? "a publish change carries no value" : undefined;
  }
  if (change.action !== "publish") return "a removal must not carry a value";
  const bytes = Buffer.from(change.value, "base64");
  // Node's decoder skips characters it does not know; re-encoding shows whether it had to.
  if (bytes.toString("base64") !== change.value) return "the value is not canonical base64";
  if (bytes.length !== change.valueBytes) {
    return `the value is ${bytes.length} bytes long but the plan says ${change.valueBytes}`;
  }
  if (bytes.length > MAX_VALUE_BYTES)
    return `the value is ${bytes.length} bytes, over the ${MAX_VALUE_BYTES}-byte limit`;
  if (sha256(bytes) !== change.valueSha256) return "the value does not match its SHA-256";
  return undefined;
}
