// Include / exclude patterns of the scope: case-insensitive wildcards, `*` any run (also empty),
// `?` exactly one character, everything else literal. The LDAP backend narrows its search with a
// superset filter (LDAP has no one-character wildcard) and both backends decide with `matches`.

import { eq, type LdapFilter } from "./filter.js";
import type { ScopePatternAttribute } from "./types.js";

export interface ScopePattern {
  readonly attribute: ScopePatternAttribute;
  readonly match: string;
}

const compiled = new Map<string, RegExp>();

export function compilePattern(match: string): RegExp {
  const cached = compiled.get(match);
  if (cached !== undefined) return cached;
  // only syntax characters may be escaped under the `u` flag (`\-` is an error there)
  const body = Array.from(match, (c) =>
    c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"),
  ).join("");
  const re = new RegExp(`^${body}$`, "isu");
  if (compiled.size < 1000) compiled.set(match, re);
  return re;
}

/** What patterns look at: a directory user, or a cloud-only recipient (no sAMAccountName). */
export type PatternSubject = Readonly<Partial<Record<ScopePatternAttribute, string | undefined>>>;

export function patternMatches(pattern: ScopePattern, recipient: PatternSubject): boolean {
  const value = recipient[pattern.attribute];
  return value !== undefined && compilePattern(pattern.match).test(value);
}

/** In scope as far as patterns go: matches one `include` (when any) and no `exclude`. */
export function passesPatterns(
  recipient: PatternSubject,
  include: readonly ScopePattern[],
  exclude: readonly ScopePattern[],
): boolean {
  if (include.length > 0 && !include.some((p) => patternMatches(p, recipient))) return false;
  return !exclude.some((p) => patternMatches(p, recipient));
}

/** A filter matching at least every value the pattern matches (`?` widened to `*`). */
export function patternFilter(pattern: ScopePattern): LdapFilter {
  const parts = pattern.match.split(/[*?]+/);
  if (parts.length === 1) return eq(pattern.attribute, pattern.match);
  return {
    kind: "substring",
    attribute: pattern.attribute,
    initial: parts[0] as string,
    any: parts.slice(1, -1).filter((p) => p !== ""),
    final: parts[parts.length - 1] as string,
  };
}
