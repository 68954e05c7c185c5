// Stable identifiers for the demo's objects (objectGUIDs, Entra object ids, Exchange Guids), derived
// from a name: the same demo gets the same ids every time, so its files diff cleanly when an
// apply rewrites them and when the demo is regenerated.
import { createHash } from "node:crypto";
import { guidToText } from "../directory/guid.js";

export function stableGuidBytes(label: string): Uint8Array {
  const bytes = createHash("sha256").update(`smimesync-demo:${label}`).digest().subarray(0, 16);
  // Shaped like the random (version 4) GUIDs AD and Entra ID hand out.
  bytes[7] = ((bytes[7] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return new Uint8Array(bytes);
}

export function stableGuid(label: string): string {
  return guidToText(stableGuidBytes(label));
}

/** A user's objectGUID; its base64 is the synced cloud user's onPremisesImmutableId. */
export function objectGuidOf(dn: string): Uint8Array {
  return stableGuidBytes(dn);
}
