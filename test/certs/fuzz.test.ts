// Hostile bytes: random and mutated inputs to every parser. None may throw, hang, or answer with
// anything but a typed result; and each must read only the bytes it was given (a value embedded
// in a larger buffer parses exactly as the same value alone).
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildCertsOnlyPkcs7,
  buildOutlookBlob,
  CertCache,
  type ParseResult,
  parseCertificateFile,
  parseCertificates,
  parseCrlFile,
  summarizeCertificate,
  summarizeCrl,
} from "../../src/certs/index.js";
import { evaluate } from "../../src/policy/index.js";
import { makeCrl, makeUser, NOW, pem } from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

const KINDS = new Set(["empty", "private-key", "malformed", "unsupported"]);
let seeds: Uint8Array[] = [];

beforeAll(async () => {
  const { pki } = await testPolicy();
  const user = await makeUser(pki.intermediate, { emails: ["fuzz@example.com"] });
  const crl = await makeCrl(pki.intermediate, [{ serial: user.serial }]);
  seeds = [
    user.der,
    crl,
    buildCertsOnlyPkcs7([user.der, pki.intermediate.der]),
    buildOutlookBlob([
      { tag: 3, data: user.der },
      { tag: 4, data: pki.intermediate.der },
    ]),
    Buffer.from(pem("CERTIFICATE", user.der) + pem("X509 CRL", crl)),
  ];
});

function typed(r: ParseResult | { ok: boolean; error?: { kind: string; message: string } }): void {
  if (!r.ok) {
    expect(KINDS.has(r.error!.kind)).toBe(true);
    expect(typeof r.error!.message).toBe("string");
  }
}

/** A seed with a few bytes overwritten, inserted, or cut off. */
const mutated = () =>
  fc
    .record({
      seed: fc.nat(),
      edits: fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")),
        {
          maxLength: 6,
        },
      ),
      cut: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ seed, edits, cut }) => {
      const bytes = [...seeds[seed % seeds.length]!];
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
    fc.uint8Array({ maxLength: 512 }),
    fc.uint8Array({ maxLength: 64 }).map((b) => Uint8Array.from([0x30, ...b])),
    fc
      .string({ maxLength: 200 })
      .map((s) => Buffer.from(`-----BEGIN CERTIFICATE-----\n${s}\n-----END CERTIFICATE-----`)),
    mutated(),
  );

function embedded(bytes: Uint8Array): Uint8Array {
  const big = new Uint8Array(bytes.length + 64).fill(0x30);
  big.set(bytes, 16);
  return big.subarray(16, 16 + bytes.length);
}

const strip = (r: ParseResult) =>
  r.ok ? { form: r.form, certs: r.certs.map((c) => c.sha256), crls: r.crls.map((c) => c.sha256) } : r.error;

describe("parsers under random and mutated bytes", () => {
  it("never throw and return only typed errors", () => {
    fc.assert(
      fc.property(inputs(), (bytes) => {
        typed(parseCertificates(bytes));
        typed(parseCertificateFile(bytes));
        typed(parseCrlFile(bytes));
        const c = summarizeCertificate(bytes);
        const l = summarizeCrl(bytes);
        expect(typeof c.ok).toBe("boolean");
        expect(typeof l.ok).toBe("boolean");
      }),
      { numRuns: 400 },
    );
  });

  it("read only the bytes they are given", () => {
    fc.assert(
      fc.property(inputs(), (bytes) => {
        expect(strip(parseCertificates(embedded(bytes)))).toEqual(strip(parseCertificates(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  it("keep the policy engine total on hostile candidates", async () => {
    const { policy } = await testPolicy({ publish: { userSMIMECertificate: "keep" } });
    fc.assert(
      fc.property(fc.array(inputs(), { maxLength: 4 }), (values) => {
        const cache = new CertCache();
        for (const attribute of ["userCertificate", "userSMIMECertificate"] as const) {
          const d = evaluate(
            policy,
            { mail: "fuzz@example.com", proxyAddresses: [] },
            attribute,
            values.map((bytes) => ({ bytes, source: "authority" as const })),
            NOW,
            cache,
          );
          expect(d.verdicts).toHaveLength(values.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("does not hang on deeply nested indefinite-length input", () => {
    const deep = new Uint8Array(200_000);
    for (let i = 0; i < deep.length; i += 2) {
      deep[i] = 0x30;
      deep[i + 1] = 0x80;
    }
    const started = performance.now();
    typed(parseCertificates(deep));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
