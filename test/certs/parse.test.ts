import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeOid, encodeTlv, TAG } from "../../src/certs/der.js";
import {
  buildCertsOnlyPkcs7,
  buildOutlookBlob,
  CertCache,
  parseCertificateFile,
  parseCertificates,
  parseCrlFile,
} from "../../src/certs/index.js";
import {
  type Issued,
  makeCrl,
  makeUser,
  pem,
  privateKeyPkcs8,
  type TestPki,
  testPki,
} from "../fixtures/pki.js";

let pki: TestPki;
let alice: Issued;
let bob: Issued;
let dir: string;

beforeAll(async () => {
  pki = await testPki();
  alice = await makeUser(pki.intermediate, { emails: ["Alice@Example.com"] });
  bob = await makeUser(pki.intermediate, { emails: ["bob@example.com"], kind: "rsa-2048" });
  dir = mkdtempSync(join(tmpdir(), "smimesync-parse-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ok(bytes: Uint8Array) {
  const r = parseCertificates(bytes);
  if (!r.ok) throw new Error(`expected a parse, got ${r.error.kind}: ${r.error.message}`);
  return r;
}

describe("parseCertificates", () => {
  it("reads one DER certificate and summarises it", () => {
    const r = ok(alice.der);
    expect(r.form).toBe("der");
    const c = r.certs[0]!;
    expect(c.emails).toEqual(["alice@example.com"]);
    expect(c.eku).toEqual(["1.3.6.1.5.5.7.3.4"]);
    expect(c.key).toEqual({ type: "EC", curve: "P-256" });
    expect(c.issuer).toBe("CN=Test Issuing CA, O=smimesync tests");
    expect(c.serial).toBe(alice.serial.replace(/^0+/, "").toUpperCase());
    expect(c.sha1).toMatch(/^[0-9A-F]{40}$/);
    expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("reports RSA key size and the signature algorithm", () => {
    const c = ok(bob.der).certs[0]!;
    expect(c.key).toEqual({ type: "RSA", bits: 2048 });
    expect(c.signature.name).toBe("ecdsa-with-SHA256");
    expect(c.keyUsage).toEqual(["digitalSignature", "keyEncipherment"]);
  });

  it("reads several PEM blocks, skipping free text and non-certificate blocks", () => {
    const text = `subject=CN=alice\n${pem("CERTIFICATE", alice.der)}junk\n${pem("PUBLIC KEY", Uint8Array.of(0x30, 0))}${pem("CERTIFICATE", bob.der)}`;
    const r = ok(Buffer.from(text));
    expect(r.form).toBe("pem");
    expect(r.certs.map((c) => c.sha256)).toHaveLength(2);
  });

  it("reads PEM text whose free text opens with the digit 0 (0x30, the DER SEQUENCE tag)", () => {
    const r = ok(Buffer.from(`0 errors\n${pem("CERTIFICATE", alice.der)}`));
    expect(r.form).toBe("pem");
    expect(r.certs.map((c) => c.sha1)).toEqual([ok(alice.der).certs[0]?.sha1]);
    const bad = parseCertificates(Buffer.from("0 errors, no armour at all"));
    expect(bad.ok).toBe(false);
  });

  it("reads a certs-only PKCS#7 it built, and a PEM PKCS7 block", () => {
    const p7 = buildCertsOnlyPkcs7([alice.der, pki.intermediate.der]);
    const r = ok(p7);
    expect(r.form).toBe("pkcs7-certs-only");
    expect(r.certs).toHaveLength(2);
    expect(ok(Buffer.from(pem("PKCS7", p7))).certs).toHaveLength(2);
  });

  it("builds deterministic bytes whatever the order of the certificates", () => {
    expect(buildCertsOnlyPkcs7([alice.der, pki.intermediate.der])).toEqual(
      buildCertsOnlyPkcs7([pki.intermediate.der, alice.der, alice.der]),
    );
  });

  it("reads an Outlook security-settings blob (MS-OXOABK 2.2.4.36)", () => {
    const blob = buildOutlookBlob([
      { tag: 0x0001, data: Uint8Array.of(1, 0, 0, 0) },
      { tag: 0x0003, data: alice.der },
      { tag: 0x0008, data: bob.der },
      { tag: 0x0004, data: pki.intermediate.der },
    ]);
    const r = ok(blob);
    expect(r.form).toBe("outlook-blob");
    expect(r.certs.map((c) => c.isCA)).toEqual([false, false, true]);
  });

  it("refuses an Outlook blob whose LENGTH runs past the value", () => {
    const blob = buildOutlookBlob([{ tag: 0x0003, data: alice.der }]);
    blob[2] = 0xff;
    blob[3] = 0xff;
    const r = parseCertificates(blob);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatchObject({ kind: "malformed", message: expect.stringContaining("bad length") });
  });

  it("refuses truncated DER and trailing bytes as malformed", () => {
    for (const bytes of [
      alice.der.subarray(0, alice.der.length - 1),
      Buffer.concat([alice.der, Uint8Array.of(0)]),
    ]) {
      const r = parseCertificates(bytes);
      expect(r.ok ? "parsed" : r.error.kind).toBe("malformed");
    }
  });

  it("refuses empty values", () => {
    const r = parseCertificates(new Uint8Array());
    expect(r.ok ? "parsed" : r.error.kind).toBe("empty");
  });

  it("refuses PEM private keys, PKCS#8 DER and encrypted keys with a distinct error", async () => {
    const pkcs8 = await privateKeyPkcs8(alice.keys);
    const cases = [
      Buffer.from(pem("CERTIFICATE", alice.der) + pem("PRIVATE KEY", pkcs8)),
      Buffer.from(pem("EC PRIVATE KEY", Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01))),
      Buffer.from(pem("ENCRYPTED PRIVATE KEY", Uint8Array.of(0x30, 0))),
      pkcs8,
      encodeTlv(
        TAG.SEQUENCE,
        encodeTlv(TAG.SEQUENCE, encodeOid("1.2.840.113549.1.5.13")),
        encodeTlv(TAG.OCTET_STRING, Uint8Array.of(1)),
      ),
    ];
    for (const bytes of cases) {
      const r = parseCertificates(bytes);
      expect(r.ok ? "parsed" : r.error.kind).toBe("private-key");
    }
  });

  it("refuses a PKCS#12 file made by openssl as holding a private key", async () => {
    writeFileSync(join(dir, "key.pem"), pem("PRIVATE KEY", await privateKeyPkcs8(alice.keys)));
    writeFileSync(join(dir, "cert.pem"), pem("CERTIFICATE", alice.der));
    const p12 = execFileSync("openssl", [
      "pkcs12",
      "-export",
      "-inkey",
      join(dir, "key.pem"),
      "-in",
      join(dir, "cert.pem"),
      "-passout",
      "pass:x",
    ]);
    const r = parseCertificateFile(new Uint8Array(p12));
    expect(r.ok ? "parsed" : r.error.kind).toBe("private-key");
    if (!r.ok) expect(r.error.message).toContain("PKCS#12");
  });

  it("reads a signed PKCS#7 (as Outlook publishes) made by openssl cms", async () => {
    writeFileSync(join(dir, "key.pem"), pem("PRIVATE KEY", await privateKeyPkcs8(alice.keys)));
    writeFileSync(join(dir, "cert.pem"), pem("CERTIFICATE", alice.der));
    writeFileSync(join(dir, "chain.pem"), pem("CERTIFICATE", pki.intermediate.der));
    writeFileSync(join(dir, "msg.txt"), "hello");
    const signed = execFileSync("openssl", [
      "cms",
      "-sign",
      "-binary",
      "-nodetach",
      "-outform",
      "DER",
      "-in",
      join(dir, "msg.txt"),
      "-signer",
      join(dir, "cert.pem"),
      "-inkey",
      join(dir, "key.pem"),
      "-certfile",
      join(dir, "chain.pem"),
    ]);
    const r = ok(new Uint8Array(signed));
    expect(r.form).toBe("pkcs7-signed");
    expect(r.certs.map((c) => c.isCA).sort()).toEqual([false, true]);
  });
});

describe("file-level parsers", () => {
  it("parseCertificateFile returns certificates or a typed error", () => {
    expect(parseCertificateFile(Buffer.from(pem("CERTIFICATE", pki.root.der)))).toMatchObject({ ok: true });
    expect(parseCertificateFile(Buffer.from("hello world"))).toMatchObject({
      ok: false,
      error: { kind: "malformed" },
    });
  });

  it("parseCrlFile reads DER and PEM CRLs and says when a file holds none", async () => {
    const crl = await makeCrl(pki.intermediate, [{ serial: alice.serial, reason: 1 }]);
    const der = parseCrlFile(crl);
    expect(der.ok && der.crls[0]!.revoked.get(alice.serial.replace(/^0+/, "").toUpperCase())?.reason).toBe(
      "keyCompromise",
    );
    expect(parseCrlFile(Buffer.from(pem("X509 CRL", crl)))).toMatchObject({ ok: true });
    expect(parseCrlFile(alice.der)).toMatchObject({ ok: false, error: { kind: "unsupported" } });
  });
});

describe("CertCache", () => {
  it("parses a certificate once however often it appears", () => {
    const cache = new CertCache();
    const a = cache.value(alice.der);
    const p7 = buildCertsOnlyPkcs7([alice.der]);
    const inP7 = cache.value(p7);
    if (!a.ok || !inP7.ok) throw new Error("expected both to parse");
    // The summary is shared; its `der` is a view of the bytes it was met in (the verdict cache
    // records where each certificate sits in its value).
    const { der: derA, ...summaryA } = a.certs[0]!;
    const { der: derP7, ...summaryP7 } = inP7.certs[0]!;
    expect(summaryP7).toEqual(summaryA);
    expect(derP7.buffer).toBe(p7.buffer);
    expect(Buffer.from(derP7).equals(Buffer.from(derA))).toBe(true);
    expect(cache.value(new Uint8Array(alice.der))).toBe(a);
    expect(cache.size).toEqual({ certificates: 1, values: 2 });
  });
});
