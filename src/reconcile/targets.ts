// `--target`: which recipients in scope a partial plan covers (after Terraform's -target). Pure:
// a target names a recipient by any of the names an admin knows it by, case-insensitively.
import type { ObjectRef } from "../plan/types.js";
import { smtpAddresses } from "./addresses.js";

/** What a target is matched against: the parts of a managed recipient that name it. */
export interface TargetCandidate {
  readonly address: string;
  readonly mail: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly proxyAddresses: readonly string[];
  readonly ref: ObjectRef;
}

export interface TargetMatch {
  /** Plan addresses of the recipients some target names. */
  readonly addresses: ReadonlySet<string>;
  /** Targets that name no recipient in scope, as given (normalised). */
  readonly unmatched: readonly string[];
}

/**
 * Targets as a plan records them: trimmed, lower-cased, without duplicates, sorted, so the same
 * targets in another order or case give the same plan.
 */
export function normalizeTargets(raw: readonly string[]): string[] {
  return [...new Set(raw.map((t) => t.trim().toLowerCase()).filter((t) => t !== ""))].sort();
}

/** Every name a target may use for a recipient: plan address, mail, UPN, smtp proxies, DN, GUID. */
export function targetNames(c: TargetCandidate): string[] {
  const names = [c.address, c.mail, c.userPrincipalName, ...smtpAddresses(c.proxyAddresses)];
  const ref = c.ref;
  switch (ref.type) {
    case "ad":
      names.push(ref.dn, ref.objectGuid);
      break;
    case "exchange":
      names.push(ref.identity);
      break;
    case "exchange-new-contact":
      names.push(ref.externalEmailAddress);
      break;
    case "ad-new-contact":
      names.push(ref.mail);
      break;
    case "exchange-smime-config":
      break;
    default:
      return ref satisfies never;
  }
  return [...new Set(names.filter((n): n is string => n !== undefined).map((n) => n.trim().toLowerCase()))];
}

/** The recipients the (normalised) targets name; a target may name several (a shared address). */
export function matchTargets(
  targets: readonly string[],
  candidates: readonly TargetCandidate[],
): TargetMatch {
  const byName = new Map<string, string[]>();
  for (const c of candidates) {
    for (const n of targetNames(c)) byName.set(n, [...(byName.get(n) ?? []), c.address]);
  }
  const addresses = new Set<string>();
  const unmatched: string[] = [];
  for (const t of targets) {
    const hit = byName.get(t);
    if (hit === undefined) unmatched.push(t);
    else for (const a of hit) addresses.add(a);
  }
  return { addresses, unmatched };
}
