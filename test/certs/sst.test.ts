// The serialized certificate store (SST) Exchange Online's trust collection is made of: written
// from certificates and read back, byte-exact round trips (with Windows-style properties, CRLs),
// and hostile input (every malformed shape answered with a located, typed error; never a throw).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  readSst,
  type SerializedStore,
  SST_LIMITS,
  sstCertificates,
  sstFromCertificates,
  writeSst,
} from "../../src/certs/sst.js";
import { makeCrl, makeIntermediate, makeRoot } from "../fixtures/pki.js";

let root: Uint8Array;
let intermediate: Uint8Array;
let crl: Uint8Array;

beforeAll(async () => {
  const r = await makeRoot({ name: "CN=SST Test Root" });
  const i = await makeIntermediate(r, { name: "CN=SST Test Issuing CA" });
  root = r.der;
  intermediate = i.der;
  crl = await makeCrl(i, []);
});

/** One little-endian field triple, built independently of the writer. */
function field(id: number, encoding: number, value: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32LE(id, 0);
  head.writeUInt32LE(encoding, 4);
  head.writeUInt32LE(value.length, 8);
  return Buffer.concat([head, value]);
}
const HEADER = Buffer.from([0, 0, 0, 0, 0x43, 0x45, 0x52, 0x54]); // version 0, "CERT"
const END = Buffer.alloc(12);

const ok = (bytes: Uint8Array): SerializedStore => {
  const r = readSst(bytes);
  if (!r.ok) throw new Error(`expected a store, got ${r.error.message} at ${r.error.offset}`);
  return r.store;
};
const errorOf = (bytes: Uint8Array) => {
  const r = readSst(bytes);
  if (r.ok) throw new Error("expected an error");
  return r.error;
};

describe("SST from certificates", () => {
  it("is the header, one certificate element per certificate, and the end marker", () => {
    const sst = sstFromCertificates([root, intermediate]);
    const expected = Buffer.concat([HEADER, field(0x20, 1, root), field(0x20, 1, intermediate), END]);
    expect(Buffer.from(sst).equals(expected)).toBe(true);
  });

  it("reads back the same certificates in the same order", () => {
    const store = ok(sstFromCertificates([intermediate, root]));
    expect(sstCertificates(store).map((d) => Buffer.from(d).toString("hex"))).toEqual([
      Buffer.from(intermediate).toString("hex"),
      Buffer.from(root).toString("hex"),
    ]);
    expect(store.entries.every((e) => e.kind === "certificate" && e.encodingType === 1)).toBe(true);
  });

  it("an empty collection is the header and the end marker (20 bytes)", () => {
    const sst = sstFromCertificates([]);
    expect(Buffer.from(sst).equals(Buffer.concat([HEADER, END]))).toBe(true);
    expect(ok(sst).entries).toEqual([]);
  });
});

describe("round trip", () => {
  it("keeps Windows' properties, their order, CRLs and unusual encoding types byte for byte", () => {
    // The shape Export-Certificate writes: friendly name (11), SHA-256 (98), EKU (9), key id (20),
    // subject-name MD5 (29), SHA-1 (3) before each certificate.
    const friendly = Buffer.from("Corp Root\0", "utf16le");
    const bytes = Buffer.concat([
      HEADER,
      field(11, 1, friendly),
      field(98, 1, Buffer.alloc(32, 7)),
      field(20, 1, Buffer.alloc(20, 3)),
      field(3, 1, Buffer.alloc(20, 9)),
      field(0x20, 1, root),
      field(0x21, 0x10001, crl),
      field(29, 1, Buffer.alloc(16, 1)),
      field(0x20, 0x10001, intermediate),
      END,
    ]);
    const store = ok(bytes);
    expect(store.entries.map((e) => [e.kind, e.properties.map((p) => p.id)])).toEqual([
      ["certificate", [11, 98, 20, 3]],
      ["crl", []],
      ["certificate", [29]],
    ]);
    expect(Buffer.from(store.entries[0]!.properties[0]!.value).toString("utf16le")).toBe("Corp Root\0");
    expect(Buffer.from(writeSst(store)).equals(bytes)).toBe(true);
    expect(sstCertificates(store)).toHaveLength(2);
  });

  it("does not alias the input buffer", () => {
    const bytes = new Uint8Array(sstFromCertificates([root]));
    const store = ok(bytes);
    bytes.fill(0);
    expect(Buffer.from(sstCertificates(store)[0]!).equals(Buffer.from(root))).toBe(true);
  });

  it("reads a store embedded in a larger buffer exactly as the store alone", () => {
    const sst = sstFromCertificates([root, intermediate]);
    const big = new Uint8Array(sst.length + 100).fill(0xee);
    big.set(sst, 50);
    const inner = big.subarray(50, 50 + sst.length);
    expect(Buffer.from(writeSst(ok(inner))).equals(Buffer.from(sst))).toBe(true);
  });
});

describe("malformed stores are refused with where and why", () => {
  const cert = () => field(0x20, 1, root);
  it.each([
    ["empty", Buffer.alloc(0), 0, /too short/],
    [
      "wrong version",
      Buffer.concat([Buffer.from([1, 0, 0, 0, 0x43, 0x45, 0x52, 0x54]), END]),
      0,
      /version 1/,
    ],
    ["no magic (a DER certificate)", () => Buffer.from(root), 4, /no "CERT" magic/],
    ["no end marker", () => Buffer.concat([HEADER, cert()]), (b: Buffer) => b.length, /missing end marker/],
    [
      "truncated header",
      () => Buffer.concat([HEADER, cert(), Buffer.alloc(5)]),
      (b: Buffer) => b.length - 5,
      /truncated element header/,
    ],
    [
      "length past the end",
      () => Buffer.concat([HEADER, cert()]).subarray(0, 40),
      8,
      /claims .* bytes, only/,
    ],
    [
      "junk after the end marker",
      () => Buffer.concat([HEADER, END, Buffer.from([1])]),
      20,
      /after the end marker/,
    ],
    [
      "malformed end marker",
      Buffer.concat([HEADER, Buffer.from([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])]),
      8,
      /end marker/,
    ],
    [
      "a property without its certificate",
      () => Buffer.concat([HEADER, field(3, 1, Buffer.alloc(20)), END]),
      40,
      /properties without a certificate/,
    ],
  ] as const)("%s", (_name, input, offset, message) => {
    const bytes = typeof input === "function" ? input() : input;
    const e = errorOf(bytes);
    expect(e.message).toMatch(message);
    expect(e.offset).toBe(typeof offset === "function" ? offset(bytes) : offset);
  });

  it("caps entries, properties per entry, and the store's size", () => {
    const tiny = Buffer.from([0x30, 0]);
    const many = Buffer.concat([HEADER, ...Array.from({ length: 4 }, () => field(0x20, 1, tiny)), END]);
    expect(readSst(many, { ...SST_LIMITS, maxEntries: 3 })).toMatchObject({
      ok: false,
      error: { message: "more than 3 entries" },
    });
    expect(readSst(many, { ...SST_LIMITS, maxEntries: 4 }).ok).toBe(true);
    const props = Buffer.concat([
      HEADER,
      ...Array.from({ length: 3 }, () => field(3, 1, tiny)),
      field(0x20, 1, tiny),
      END,
    ]);
    expect(readSst(props, { ...SST_LIMITS, maxProperties: 2 })).toMatchObject({
      ok: false,
      error: { message: "more than 2 properties before one element" },
    });
    expect(readSst(props, { ...SST_LIMITS, maxBytes: props.length - 1 })).toMatchObject({
      ok: false,
      error: { offset: 0 },
    });
  });

  it("a length field of 0xFFFFFFFF is refused, not allocated", () => {
    const huge = Buffer.concat([
      HEADER,
      Buffer.from([0x20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      END,
    ]);
    expect(errorOf(huge).message).toMatch(/claims 4294967295 bytes/);
  });
});

describe("under random and mutated bytes", () => {
  const mutated = () =>
    fc
      .record({
        seed: fc.constantFrom(0, 1, 2),
        edits: fc.array(
          fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")),
          {
            maxLength: 6,
          },
        ),
        cut: fc.option(fc.nat(), { nil: undefined }),
      })
      .map(({ seed, edits, cut }) => {
        const seeds = [
          sstFromCertificates([root, intermediate]),
          sstFromCertificates([]),
          Buffer.concat([
            HEADER,
            field(3, 1, Buffer.alloc(20, 1)),
            field(0x20, 1, root),
            field(0x21, 1, crl),
            END,
          ]),
        ];
        const bytes = [...seeds[seed]!];
        for (const [pos, value, op] of edits) {
          const at = pos % (bytes.length + 1);
          if (op === "set" && at < bytes.length) bytes[at] = value;
          else if (op === "insert") bytes.splice(at, 0, value);
          else if (op === "delete") bytes.splice(at, 1);
        }
        return Uint8Array.from(cut === undefined ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
      });
  const inputs = () =>
    fc.oneof(
      fc.uint8Array({ maxLength: 256 }),
      fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([...HEADER, ...b])),
      mutated(),
    );

  it("never throws; whatever reads as a store writes back to exactly the same bytes", () => {
    fc.assert(
      fc.property(inputs(), (bytes) => {
        const r = readSst(bytes);
        if (r.ok) {
          expect(Buffer.from(writeSst(r.store)).equals(Buffer.from(bytes))).toBe(true);
        } else {
          expect(typeof r.error.message).toBe("string");
          expect(r.error.offset).toBeGreaterThanOrEqual(0);
          expect(r.error.offset).toBeLessThanOrEqual(bytes.length);
        }
      }),
      { numRuns: Number(process.env.SMIMESYNC_FUZZ_RUNS ?? 2_000) },
    );
  });

  it("stores written from any list of byte strings read back to the same list", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }), (values) => {
        const store = ok(sstFromCertificates(values));
        expect(sstCertificates(store).map((v) => [...v])).toEqual(values.map((v) => [...v]));
      }),
      { numRuns: 500 },
    );
  });
});
