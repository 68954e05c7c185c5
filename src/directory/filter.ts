// LDAP search filters as data. Values stay raw in the tree and go to the server as BER octet
// strings through ldapts's filter classes, so no value can change a filter's structure (no
// injection); `filterToString` renders RFC 4515 text with every value escaped, for messages, logs
// and tests. ldapts's own string parser is not used: it splits extensible matches on ":" (a DN
// may contain one) and decodes \XX escapes byte by byte (breaking UTF-8).
import {
  AndFilter,
  EqualityFilter,
  ExtensibleFilter,
  type Filter,
  GreaterThanEqualsFilter,
  NotFilter,
  OrFilter,
  PresenceFilter,
  SubstringFilter,
} from "ldapts";

export type LdapFilter =
  | { readonly kind: "and"; readonly filters: readonly LdapFilter[] }
  | { readonly kind: "or"; readonly filters: readonly LdapFilter[] }
  | { readonly kind: "not"; readonly filter: LdapFilter }
  | { readonly kind: "present"; readonly attribute: string }
  | { readonly kind: "eq"; readonly attribute: string; readonly value: string | Uint8Array }
  /** attribute>=value, in the attribute's ordering rule (integers for uSNChanged). */
  | { readonly kind: "ge"; readonly attribute: string; readonly value: string }
  /** attribute=initial*any1*any2*final; empty parts are left out. */
  | {
      readonly kind: "substring";
      readonly attribute: string;
      readonly initial: string;
      readonly any: readonly string[];
      readonly final: string;
    }
  /** attribute:rule:=value, e.g. memberOf:1.2.840.113556.1.4.1941:=<group DN>. */
  | {
      readonly kind: "extensible";
      readonly attribute: string;
      readonly rule: string;
      readonly value: string;
    };

export const and = (...filters: LdapFilter[]): LdapFilter =>
  filters.length === 1 ? (filters[0] as LdapFilter) : { kind: "and", filters };
export const or = (...filters: LdapFilter[]): LdapFilter =>
  filters.length === 1 ? (filters[0] as LdapFilter) : { kind: "or", filters };
export const not = (filter: LdapFilter): LdapFilter => ({ kind: "not", filter });
export const eq = (attribute: string, value: string | Uint8Array): LdapFilter => ({
  kind: "eq",
  attribute,
  value,
});
export const ge = (attribute: string, value: string): LdapFilter => ({ kind: "ge", attribute, value });
export const present = (attribute: string): LdapFilter => ({ kind: "present", attribute });

/** LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of nested groups (AD, Samba). */
export const IN_CHAIN = "1.2.840.113556.1.4.1941";

/**
 * RFC 4515 section 3: escapes `*`, `(`, `)`, `\` and NUL as `\XX`. Other characters, UTF-8
 * included, are valid in a filter string as they are.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Every byte as `\XX` (binary values such as objectGUID). */
export function escapeFilterBytes(value: Uint8Array): string {
  return Array.from(value, (b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
}

export function filterToString(f: LdapFilter): string {
  switch (f.kind) {
    case "and":
      return `(&${f.filters.map(filterToString).join("")})`;
    case "or":
      return `(|${f.filters.map(filterToString).join("")})`;
    case "not":
      return `(!${filterToString(f.filter)})`;
    case "present":
      return `(${f.attribute}=*)`;
    case "eq":
      return `(${f.attribute}=${typeof f.value === "string" ? escapeFilterValue(f.value) : escapeFilterBytes(f.value)})`;
    case "ge":
      return `(${f.attribute}>=${escapeFilterValue(f.value)})`;
    case "substring":
      return `(${f.attribute}=${[f.initial, ...f.any, f.final].map(escapeFilterValue).join("*")})`;
    case "extensible":
      return `(${f.attribute}:${f.rule}:=${escapeFilterValue(f.value)})`;
  }
}

export function toLdapts(f: LdapFilter): Filter {
  switch (f.kind) {
    case "and":
      return new AndFilter({ filters: f.filters.map(toLdapts) });
    case "or":
      return new OrFilter({ filters: f.filters.map(toLdapts) });
    case "not":
      return new NotFilter({ filter: toLdapts(f.filter) });
    case "present":
      return new PresenceFilter({ attribute: f.attribute });
    case "eq":
      return new EqualityFilter({
        attribute: f.attribute,
        value: typeof f.value === "string" ? f.value : Buffer.from(f.value),
      });
    case "ge":
      return new GreaterThanEqualsFilter({ attribute: f.attribute, value: f.value });
    case "substring":
      return new SubstringFilter({
        attribute: f.attribute,
        // ldapts writes only the non-empty parts, as the substring grammar wants
        initial: f.initial,
        any: f.any.filter((a) => a !== ""),
        final: f.final,
      });
    case "extensible":
      return new ExtensibleFilter({ matchType: f.attribute, rule: f.rule, value: f.value });
  }
}
