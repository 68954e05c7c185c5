import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePattern, passesPatterns } from "../../src/directory/pattern.js";
import type { DirectoryRecipient } from "../../src/directory/types.js";

const user = (patch: Partial<DirectoryRecipient>): DirectoryRecipient => ({
  kind: "user",
  dn: "CN=x,DC=x",
  objectGuid: "00000000-0000-0000-0000-000000000000",
  sourceAnchor: undefined,
  sAMAccountName: "alice",
  userPrincipalName: "Alice@Corp.Example",
  mail: "alice.archer@corp.example",
  proxyAddresses: [],
  disabled: false,
  usnChanged: "1",
  values: { userCertificate: [], userSMIMECertificate: [] },
  ...patch,
});

describe("scope patterns", () => {
  it("matches * as any run and ? as exactly one character, case-insensitively", () => {
    expect(compilePattern("a*").test("ALICE")).toBe(true);
    expect(compilePattern("a?ice").test("alice")).toBe(true);
    expect(compilePattern("a?ice").test("aice")).toBe(false);
    expect(compilePattern("a?ice").test("allice")).toBe(false);
    expect(compilePattern("j?rgen").test("jürgen")).toBe(true);
    expect(compilePattern("*").test("")).toBe(true);
  });

  it("treats every other character literally", () => {
    expect(compilePattern("a.b").test("axb")).toBe(false);
    expect(compilePattern("(x)+[y]$").test("(x)+[y]$")).toBe(true);
    expect(compilePattern("a\\b").test("a\\b")).toBe(true);
    expect(compilePattern("svc-smime.{x}/1").test("svc-smime.{x}/1")).toBe(true);
  });

  it("matches any literal text (no * or ?) against itself and nothing longer", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        (s) => {
          expect(compilePattern(s).test(s)).toBe(true);
          expect(compilePattern(s).test(`${s}x`)).toBe(false);
        },
      ),
    );
  });

  it("needs one include (when any) and no exclude; a missing attribute matches nothing", () => {
    const r = user({});
    expect(passesPatterns(r, [], [])).toBe(true);
    expect(passesPatterns(r, [{ attribute: "mail", match: "*@corp.example" }], [])).toBe(true);
    expect(passesPatterns(r, [{ attribute: "mail", match: "*@other.example" }], [])).toBe(false);
    expect(passesPatterns(r, [], [{ attribute: "userPrincipalName", match: "alice@*" }])).toBe(false);
    expect(passesPatterns(user({ mail: undefined }), [{ attribute: "mail", match: "*" }], [])).toBe(false);
    expect(passesPatterns(user({ mail: undefined }), [], [{ attribute: "mail", match: "*" }])).toBe(true);
  });
});
