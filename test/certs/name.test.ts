// Names as text are read with the project's own DER reader; @peculiar/x509 (whose text the plans
// have always shown) is the oracle, on crafted names and on random ones.
import { Name } from "@peculiar/x509";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DerError, encodeOid, encodeTlv, TAG } from "../../src/certs/der.js";
import { nameText } from "../../src/certs/name.js";

const oracle = (der: Uint8Array) => new Name(der).toString();

function utf16be(s: string): Uint8Array {
  const out = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    out[2 * i] = s.charCodeAt(i) >> 8;
    out[2 * i + 1] = s.charCodeAt(i) & 0xff;
  }
  return out;
}

type Value = { tag: number; bytes: Uint8Array };
const atv = (oid: string, v: Value) => encodeTlv(TAG.SEQUENCE, encodeOid(oid), encodeTlv(v.tag, v.bytes));
const name = (rdns: readonly (readonly [string, Value][])[]) =>
  encodeTlv(TAG.SEQUENCE, ...rdns.map((rdn) => encodeTlv(TAG.SET, ...rdn.map(([oid, v]) => atv(oid, v)))));
const utf8 = (s: string): Value => ({ tag: TAG.UTF8, bytes: new TextEncoder().encode(s) });
const latin1 = (tag: number, s: string): Value => ({
  tag,
  bytes: Uint8Array.from(s, (c) => c.charCodeAt(0)),
});

describe("nameText", () => {
  it.each([
    [
      "plain",
      [[["2.5.4.6", latin1(0x13, "DE")]], [["2.5.4.10", utf8("Corp")]], [["2.5.4.3", utf8("Alice")]]],
    ],
    ["escapes", [[["2.5.4.3", utf8('#a, "b"+c;<d>\\e ')]], [["2.5.4.11", utf8(" lead\nline\ttab\r")]]]],
    [
      "multi-valued RDN",
      [
        [
          ["2.5.4.3", utf8("A")],
          ["2.5.4.4", utf8("B")],
        ],
      ],
    ],
    [
      "e-mail and DC as IA5",
      [
        [["1.2.840.113549.1.9.1", latin1(0x16, "a@b.example")]],
        [["0.9.2342.19200300.100.1.25", latin1(0x16, "corp")]],
      ],
    ],
    [
      "BMP and Teletex",
      [[["2.5.4.3", { tag: 0x1e, bytes: utf16be("Zoë Ωmega") }]], [["2.5.4.7", latin1(0x14, "Köln")]]],
    ],
    [
      "unknown OID, non-string value",
      [[["1.2.3.4.5", { tag: 0x02, bytes: Uint8Array.of(1, 2) }]], [["2.5.4.5", latin1(0x13, "123")]]],
    ],
    ["empty", []],
  ] as const)("%s: the text @peculiar/x509 gives", (_label, rdns) => {
    const der = name(rdns as unknown as [string, Value][][]);
    expect(nameText(der)).toBe(oracle(der));
  });

  it("random names read as @peculiar/x509 reads them", () => {
    const value = fc.oneof(
      fc.string({ unit: "binary", maxLength: 12 }).map(utf8),
      fc.string({ maxLength: 12 }).map((s) => latin1(0x13, s)),
      fc.string({ maxLength: 12 }).map((s) => latin1(0x16, s)),
      fc.string({ unit: "binary", maxLength: 8 }).map((s) => ({ tag: 0x1e, bytes: utf16be(s) })),
    );
    const oid = fc.constantFrom(
      "2.5.4.3",
      "2.5.4.10",
      "2.5.4.11",
      "1.2.840.113549.1.9.1",
      "2.5.4.65",
      "1.3.6.1.4.1.311.60.2.1.3",
    );
    const rdn = fc.array(fc.tuple(oid, value), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(rdn, { maxLength: 5 }), (rdns) => {
        const der = name(rdns);
        expect(nameText(der)).toBe(oracle(der));
      }),
      { numRuns: 500 },
    );
  });

  it("refuses what is not a Name", () => {
    expect(() => nameText(encodeTlv(TAG.SET))).toThrow(DerError);
    expect(() => nameText(Uint8Array.of(0x30, 0x05, 0x31))).toThrow(DerError);
    expect(() =>
      nameText(encodeTlv(TAG.SEQUENCE, encodeTlv(TAG.SET, encodeTlv(TAG.SEQUENCE, encodeOid("2.5.4.3"))))),
    ).toThrow(DerError);
  });
});
