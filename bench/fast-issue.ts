// Certificates for the benchmark's organisation, made fast: a real user certificate is issued once
// with @peculiar/x509 (src/demo/pki.ts) as the template, then each user's is that TBS with its own
// serial, subject, validity and SAN re-encoded with the project's DER writer and signed by the CA
// key with node:crypto (synchronous, native). 100,000 users in seconds instead of many minutes;
// the certificates are as real as the template's (same extensions, a valid signature).
import { KeyObject, randomBytes, sign } from "node:crypto";
import { children, encodeOid, encodeTlv, readOid, readTlv, slice, TAG } from "../src/certs/der.js";
import { type Authority, issueUserCertificate } from "../src/demo/pki.js";

const OID_SAN = "2.5.29.17";

function time(d: Date): Uint8Array {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = d.getUTCFullYear();
  return year < 2050
    ? encodeTlv(0x17, Buffer.from(`${digits.slice(2)}Z`, "latin1"))
    : encodeTlv(0x18, Buffer.from(`${digits}Z`, "latin1"));
}

export interface FastIssuer {
  issue(spec: { cn: string; emails: readonly string[]; notBefore: Date; notAfter: Date }): Uint8Array;
}

export async function fastIssuer(ca: Authority): Promise<FastIssuer> {
  const now = new Date();
  const template = (
    await issueUserCertificate(ca, {
      cn: "template",
      emails: ["t@example.com"],
      notBefore: now,
      notAfter: now,
    })
  ).der;
  const cert = readTlv(template, 0);
  const [tbsTlv, sigAlg] = children(template, cert);
  const tbsParts = children(template, tbsTlv!);
  // version [0], serial, signature, issuer, validity, subject, spki, extensions [3]
  const [version, , signature, issuer, , , spki, extsWrapper] = tbsParts;
  const exts = children(template, children(template, extsWrapper!)[0]!);
  const key = KeyObject.from(ca.keys.privateKey);
  const sigAlgDer = slice(template, sigAlg!);
  const fixedExts = exts
    .filter((e) => readOid(template, children(template, e)[0]) !== OID_SAN)
    .map((e) => slice(template, e));
  return {
    issue(spec) {
      const serial = randomBytes(16);
      serial[0]! &= 0x7f;
      serial[0]! |= 0x01;
      const san = encodeTlv(
        TAG.SEQUENCE,
        encodeOid(OID_SAN),
        encodeTlv(
          TAG.OCTET_STRING,
          encodeTlv(TAG.SEQUENCE, ...spec.emails.map((e) => encodeTlv(0x81, Buffer.from(e, "latin1")))),
        ),
      );
      const subject = encodeTlv(
        TAG.SEQUENCE,
        encodeTlv(
          TAG.SET,
          encodeTlv(TAG.SEQUENCE, encodeOid("2.5.4.3"), encodeTlv(TAG.UTF8, Buffer.from(spec.cn, "utf8"))),
        ),
      );
      const tbs = encodeTlv(
        TAG.SEQUENCE,
        slice(template, version!),
        encodeTlv(TAG.INTEGER, serial),
        slice(template, signature!),
        slice(template, issuer!),
        encodeTlv(TAG.SEQUENCE, time(spec.notBefore), time(spec.notAfter)),
        subject,
        slice(template, spki!),
        encodeTlv(TAG.CTX3, encodeTlv(TAG.SEQUENCE, ...fixedExts, san)),
      );
      const sig = sign("sha256", tbs, { key, dsaEncoding: "der" });
      return encodeTlv(TAG.SEQUENCE, tbs, sigAlgDer, encodeTlv(TAG.BIT_STRING, Uint8Array.of(0), sig));
    },
  };
}
