import fc from "fast-check";
import {
  EqualityFilter,
  ExtensibleFilter,
  FilterParser,
  GreaterThanEqualsFilter,
  type SubstringFilter,
} from "ldapts";
import { describe, expect, it } from "vitest";
import {
  and,
  eq,
  escapeFilterBytes,
  escapeFilterValue,
  filterToString,
  ge,
  IN_CHAIN,
  not,
  or,
  toLdapts,
} from "../../src/directory/filter.js";
import { patternFilter } from "../../src/directory/pattern.js";
import { RECIPIENT_FILTER, scopeSearches } from "../../src/directory/scope.js";

describe("escapeFilterValue (RFC 4515)", () => {
  it("escapes the RFC's examples", () => {
    // RFC 4515 section 4
    expect(escapeFilterValue("Parens R Us (for all your parenthetical needs)")).toBe(
      "Parens R Us \\28for all your parenthetical needs\\29",
    );
    expect(escapeFilterValue("*")).toBe("\\2a");
    expect(escapeFilterValue("C:\\MyFile")).toBe("C:\\5cMyFile");
    expect(escapeFilterValue("a\0b")).toBe("a\\00b");
    expect(escapeFilterValue("Lučić")).toBe("Lučić");
  });

  it("escapes binary values byte by byte", () => {
    expect(escapeFilterBytes(Uint8Array.from([0x04, 0x02, 0x48, 0x65, 0x6c, 0x6c, 0x6f]))).toBe(
      "\\04\\02\\48\\65\\6c\\6c\\6f",
    );
  });

  it("leaves no unescaped metacharacter, and ldapts parses it back to the same value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii" }), (value) => {
        const escaped = escapeFilterValue(value);
        expect(escaped.replace(/\\[0-9a-f]{2}/g, "")).not.toMatch(/[*()\\\0]/);
        const parsed = FilterParser.parseString(`(cn=${escaped})`);
        expect(parsed).toBeInstanceOf(EqualityFilter);
        expect((parsed as EqualityFilter).value).toBe(value);
      }),
    );
  });
});

describe("filters as data", () => {
  it("renders an injection attempt as a literal value", () => {
    const hostile = "x)(objectClass=*))(|(cn=*";
    expect(filterToString(and(RECIPIENT_FILTER, eq("sAMAccountName", hostile)))).toBe(
      "(&(|(&(objectClass=user)(!(objectClass=computer)))(objectClass=contact))(sAMAccountName=x\\29\\28objectClass=\\2a\\29\\29\\28|\\28cn=\\2a))",
    );
    const wire = toLdapts(eq("sAMAccountName", hostile)) as EqualityFilter;
    expect(wire.value).toBe(hostile); // raw in the BER octet string: no parsing involved
  });

  it("sends a >= term (the change read's uSNChanged) as an ordering match, its value escaped", () => {
    expect(filterToString(and(RECIPIENT_FILTER, ge("uSNChanged", "12345678901234567890")))).toBe(
      "(&(|(&(objectClass=user)(!(objectClass=computer)))(objectClass=contact))(uSNChanged>=12345678901234567890))",
    );
    expect(filterToString(ge("cn", "a*)"))).toBe("(cn>=a\\2a\\29)");
    const wire = toLdapts(ge("uSNChanged", "42"));
    expect(wire).toBeInstanceOf(GreaterThanEqualsFilter);
    expect((wire as GreaterThanEqualsFilter).value).toBe("42");
  });

  it("keeps a group DN with ':' '*' '(' '\\' intact in the in-chain match", () => {
    const group = 'CN=Ops: (north)* \\5c \\"x\\", y,OU=Groups,DC=corp,DC=example';
    const [search] = scopeSearches(
      { ous: [], groups: [{ dn: group, nested: true }], include: [], exclude: [], includeDisabled: false },
      "DC=corp,DC=example",
    );
    expect(search?.base).toBe("DC=corp,DC=example");
    expect(filterToString(search?.filter ?? not(eq("x", "y")))).toContain(
      `(memberOf:${IN_CHAIN}:=CN=Ops: \\28north\\29\\2a \\5c5c \\5c"x\\5c", y,OU=Groups,DC=corp,DC=example)`,
    );
    const wire = toLdapts(search?.filter ?? eq("x", "y"));
    const ext = (wire as unknown as { filters: unknown[] }).filters[1] as ExtensibleFilter;
    expect(ext).toBeInstanceOf(ExtensibleFilter);
    expect(ext.value).toBe(group);
    expect(ext.rule).toBe(IN_CHAIN);
    expect(ext.matchType).toBe("memberOf");
  });

  it("uses memberOf equality for direct membership and one search per OU", () => {
    const searches = scopeSearches(
      {
        ous: [
          { dn: "OU=A,DC=x", scope: "subtree" },
          { dn: "OU=B,DC=x", scope: "one-level" },
        ],
        groups: [{ dn: "CN=G,DC=x", nested: false }],
        include: [],
        exclude: [],
        includeDisabled: false,
      },
      "DC=x",
    );
    expect(searches.map((s) => [s.base, s.scope])).toEqual([
      ["OU=A,DC=x", "sub"],
      ["OU=B,DC=x", "one"],
      ["DC=x", "sub"],
    ]);
    expect(filterToString(searches[2]?.filter ?? eq("x", "y"))).toContain("(memberOf=CN=G,DC=x)");
  });

  it("refuses a scope with neither OU nor group", () => {
    expect(() =>
      scopeSearches({ ous: [], groups: [], include: [], exclude: [], includeDisabled: false }, "DC=x"),
    ).toThrow(/no OU and no group/);
  });

  it("narrows include patterns to a superset substring filter, escaping the literal parts", () => {
    expect(filterToString(patternFilter({ attribute: "mail", match: "*@corp(1).example" }))).toBe(
      "(mail=*@corp\\281\\29.example)",
    );
    expect(filterToString(patternFilter({ attribute: "sAMAccountName", match: "a?ice" }))).toBe(
      "(sAMAccountName=a*ice)",
    );
    expect(filterToString(patternFilter({ attribute: "mail", match: "exact@x" }))).toBe("(mail=exact@x)");
    const sub = toLdapts(
      patternFilter({ attribute: "userPrincipalName", match: "j*o?n*@x" }),
    ) as SubstringFilter;
    expect([sub.initial, sub.any, sub.final]).toEqual(["j", ["o", "n"], "@x"]);
    expect(filterToString(or(patternFilter({ attribute: "mail", match: "*" })))).toBe("(mail=*)");
  });
});
