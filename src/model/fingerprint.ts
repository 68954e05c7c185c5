import { createHash } from "node:crypto";
import { type AttributeValues, CERT_ATTRIBUTES } from "./attributes.js";
import { sha256Hex } from "./digest.js";

/**
 * What a plan saw of one object, so apply can tell whether it changed since. `version` is AD's
 * uSNChanged where there is one (absent for the cloud and offline backends); `valuesHash` covers
 * the managed attributes' values, independent of their order.
 */
export interface ObjectFingerprint {
  readonly version?: string;
  readonly valuesHash: string;
}

export function valuesHash(values: AttributeValues): string {
  const h = createHash("sha256");
  for (const attribute of CERT_ATTRIBUTES) {
    const digests = values[attribute].map(sha256Hex).sort();
    h.update(`${attribute}:${digests.join(",")};`);
  }
  return h.digest("hex");
}

export function fingerprintOf(values: AttributeValues, version?: string): ObjectFingerprint {
  return version === undefined
    ? { valuesHash: valuesHash(values) }
    : { version, valuesHash: valuesHash(values) };
}

export function sameFingerprint(a: ObjectFingerprint, b: ObjectFingerprint): boolean {
  return (
    a.valuesHash === b.valuesHash &&
    (a.version === undefined || b.version === undefined || a.version === b.version)
  );
}
