// What a DirectoryScope means, in one place for both backends: the object classes read, the
// searches the LDAP backend runs (one per OU, one per group; their union is the scope), and the
// checks applied to every entry found (patterns, disabled).
import { SmimesyncError } from "../errors.js";
import { and, eq, IN_CHAIN, type LdapFilter, not, or } from "./filter.js";
import { passesPatterns, patternFilter } from "./pattern.js";
import type { DirectoryRecipient, DirectoryScope, ReadTally } from "./types.js";

/** Users that are not computers (computers are users in AD's schema), and contacts. */
export const RECIPIENT_FILTER: LdapFilter = or(
  and(eq("objectClass", "user"), not(eq("objectClass", "computer"))),
  eq("objectClass", "contact"),
);

export interface ScopeSearch {
  readonly base: string;
  readonly scope: "sub" | "one";
  readonly filter: LdapFilter;
  /** For messages: `OU=Staff,... (subtree)` or `members of CN=... (nested)`. */
  readonly label: string;
}

export function assertScopeNotEmpty(scope: DirectoryScope): void {
  if (scope.ous.length === 0 && scope.groups.length === 0) {
    throw new SmimesyncError(
      "CONFIG_INVALID",
      "the scope names no OU and no group: nothing would be managed",
      {
        hint: "Add at least one entry under scope.ous or scope.groups.",
      },
    );
  }
}

/**
 * The LDAP searches whose union is the scope. Include patterns narrow each search on the server
 * (a superset: LDAP has no one-character wildcard); `acceptRecipient` decides exactly.
 */
export function scopeSearches(scope: DirectoryScope, baseDn: string): ScopeSearch[] {
  assertScopeNotEmpty(scope);
  const parts: LdapFilter[] = [RECIPIENT_FILTER];
  if (scope.include.length > 0) parts.push(or(...scope.include.map(patternFilter)));
  const searches: ScopeSearch[] = scope.ous.map((ou) => ({
    base: ou.dn,
    scope: ou.scope === "one-level" ? "one" : "sub",
    filter: and(...parts),
    label: `${ou.dn} (${ou.scope})`,
  }));
  for (const group of scope.groups) {
    const member: LdapFilter = group.nested
      ? { kind: "extensible", attribute: "memberOf", rule: IN_CHAIN, value: group.dn }
      : eq("memberOf", group.dn);
    searches.push({
      base: baseDn,
      scope: "sub",
      filter: and(...parts, member),
      label: `members of ${group.dn}${group.nested ? " (nested)" : ""}`,
    });
  }
  return searches;
}

/** The checks every backend applies to an object found in scope. */
export function acceptRecipient(recipient: DirectoryRecipient, scope: DirectoryScope): boolean {
  return rejection(recipient, scope) === undefined;
}

/** Which of those checks turns the object down, the first that does; undefined when it is in scope. */
export function rejection(
  recipient: DirectoryRecipient,
  scope: DirectoryScope,
): "disabled" | "notIncluded" | "excluded" | undefined {
  if (recipient.disabled && !scope.includeDisabled) return "disabled";
  if (!passesPatterns(recipient, scope.include, [])) return "notIncluded";
  if (!passesPatterns(recipient, [], scope.exclude)) return "excluded";
  return undefined;
}

/** `acceptRecipient`, counting in `tally` what it turns down. */
export function tallyRecipient(
  recipient: DirectoryRecipient,
  scope: DirectoryScope,
  tally: ReadTally | undefined,
): boolean {
  const why = rejection(recipient, scope);
  if (why !== undefined && tally !== undefined) tally[why]++;
  return why === undefined;
}
