// Drift: where the mirror (Exchange Online, fed by Entra Connect) differs from the authority (AD).
// Reported beside the plan, never acted on: smimesync writes only at the authority.
import { type AttributeValues, CERT_ATTRIBUTES, MAX_VALUES_PER_ATTRIBUTE } from "../model/attributes.js";
import { sha256Hex as digest } from "../model/digest.js";
import type { DriftItem } from "../plan/types.js";

export function mirrorDrift(
  address: string,
  authority: AttributeValues,
  mirror: AttributeValues,
): DriftItem[] {
  const out: DriftItem[] = [];
  for (const attribute of CERT_ATTRIBUTES) {
    const a = new Set(authority[attribute].map(digest));
    const m = new Set(mirror[attribute].map(digest));
    const missing = [...a].filter((d) => !m.has(d)).length;
    const stale = [...m].filter((d) => !a.has(d)).length;
    if (missing === 0 && stale === 0) continue;
    if (a.size > MAX_VALUES_PER_ATTRIBUTE) {
      out.push({
        kind: "sync-blocked-over-limit",
        address,
        attribute,
        message: `AD holds ${a.size} values; Entra Connect does not export an attribute with more than ${MAX_VALUES_PER_ATTRIBUTE}, so Exchange Online keeps ${m.size}`,
      });
      continue;
    }
    if (missing > 0) {
      out.push({
        kind: "sync-pending",
        address,
        attribute,
        message: `${missing} value${missing === 1 ? "" : "s"} in AD not yet in Exchange Online (waiting for Entra Connect)`,
      });
    }
    if (stale > 0) {
      out.push({
        kind: "mirror-stale-value",
        address,
        attribute,
        message: `Exchange Online still shows ${stale} value${stale === 1 ? "" : "s"} that AD no longer holds`,
      });
    }
  }
  return out;
}
