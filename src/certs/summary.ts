// The small parsed view of one X.509 certificate: what policy decides on and what rendering shows.
// Parsed with the bounded TLV reader (der.ts) rather than a full ASN.1 object model: it is several
// times cheaper per certificate, which matters at 100,000 users, and every length is checked.

import { createHash } from "node:crypto";
import { sha256Hex } from "../model/digest.js";
import {
  CURVES,
  HASH_OIDS,
  KEY_OIDS,
  type KeyInfo,
  type SignatureAlgorithm,
  signatureAlgorithm,
} from "./algorithms.js";
import { children, contents, DerError, expectTag, readOid, readTlv, slice, TAG, type Tlv } from "./der.js";
import { nameText } from "./name.js";

export const KEY_USAGES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsageName = (typeof KEY_USAGES)[number];

export const OID_EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";
const OID_EMAIL_ADDRESS = "1.2.840.113549.1.9.1";
const OID_SAN = "2.5.29.17";
const OID_EKU = "2.5.29.37";
const OID_KEY_USAGE = "2.5.29.15";
const OID_BASIC_CONSTRAINTS = "2.5.29.19";
const OID_SKI = "2.5.29.14";
const OID_AKI = "2.5.29.35";

export interface CertSummary {
  /** SHA-256 of the DER, lower-case hex: the key of every cache and of identity. */
  readonly sha256: string;
  /** SHA-1 of the DER, upper-case hex: the "thumbprint" Windows and Exchange show. */
  readonly sha1: string;
  /** RFC 4514-style, control characters escaped (safe to print). */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex of the serial number's contents, as `openssl x509 -serial` prints it. */
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SAN rfc822Names, then subject emailAddress values; lower-cased, de-duplicated. */
  readonly emails: readonly string[];
  /** Extended key usage OIDs; undefined when the extension is absent. */
  readonly eku: readonly string[] | undefined;
  /** Key usage bits set; undefined when the extension is absent. */
  readonly keyUsage: readonly KeyUsageName[] | undefined;
  /** basicConstraints cA. */
  readonly isCA: boolean;
  readonly key: KeyInfo;
  readonly signature: SignatureAlgorithm;
  /** Hex of the raw issuer / subject Name DER, for chain building. */
  readonly issuerId: string;
  readonly subjectId: string;
  readonly subjectKeyId: string | undefined;
  readonly authorityKeyId: string | undefined;
  /** The certificate's DER (a view, not a copy, of the bytes it was found in). */
  readonly der: Uint8Array;
}

/**
 * The certificates of a value that policy judges: its end-entity ones, or a lone CA certificate
 * (judged, and refused, as a user certificate). Empty: the value holds no user certificate.
 */
export function judgedCertificates(certs: readonly CertSummary[]): readonly CertSummary[] {
  const ee = certs.filter((c) => !c.isCA);
  return ee.length === 0 && certs.length === 1 ? certs : ee;
}

export type CertParseResult =
  | { readonly ok: true; readonly cert: CertSummary }
  | { readonly ok: false; readonly message: string };

export { sha256Hex };

/** Parses one DER certificate. Never throws: anything wrong becomes `{ok:false}`. */
export function summarizeCertificate(der: Uint8Array): CertParseResult {
  try {
    return { ok: true, cert: parse(der) };
  } catch (e) {
    return {
      ok: false,
      message: e instanceof DerError ? e.message : `unreadable certificate (${String(e)})`,
    };
  }
}

/** The three parts a signature check needs, cut from the DER of a certificate or a CRL. */
export interface SignedParts {
  readonly tbs: Uint8Array;
  readonly algorithm: SignatureAlgorithm;
  /** RSASSA-PSS parameters, when the algorithm is PSS. */
  readonly pss: { readonly hash: string; readonly saltLength: number } | undefined;
  readonly signature: Uint8Array;
}

export function signedParts(der: Uint8Array): SignedParts {
  const outer = expectTag(readTlv(der, 0), TAG.SEQUENCE, "a SEQUENCE");
  if (outer.end !== der.length) throw new DerError("trailing bytes after the structure");
  const [tbs, alg, sig] = children(der, outer);
  expectTag(tbs, TAG.SEQUENCE, "the signed part");
  const { algorithm, pss } = readSignatureAlgorithm(
    der,
    expectTag(alg, TAG.SEQUENCE, "a signature algorithm"),
  );
  const bits = contents(der, expectTag(sig, TAG.BIT_STRING, "a signature BIT STRING"));
  if (bits.length < 1 || bits[0] !== 0) throw new DerError("signature BIT STRING has unused bits");
  return { tbs: slice(der, tbs!), algorithm, pss, signature: bits.subarray(1) };
}

function readSignatureAlgorithm(
  buf: Uint8Array,
  alg: Tlv,
): { algorithm: SignatureAlgorithm; pss: SignedParts["pss"] } {
  const [oidTlv, params] = children(buf, alg);
  const base = signatureAlgorithm(readOid(buf, oidTlv));
  if (base.family !== "rsa-pss") return { algorithm: base, pss: undefined };
  // RSASSA-PSS-params: [0] hashAlgorithm (default sha1), [1] maskGen, [2] saltLength (default 20).
  let hash = "sha1";
  let saltLength = 20;
  if (params !== undefined && params.tag === TAG.SEQUENCE) {
    for (const p of children(buf, params)) {
      if (p.tag === TAG.CTX0) {
        const hashAlg = expectTag(children(buf, p)[0], TAG.SEQUENCE, "a hash algorithm");
        hash = HASH_OIDS[readOid(buf, children(buf, hashAlg)[0])] ?? "unknown";
      } else if (p.tag === 0xa2) {
        saltLength = readSmallInt(buf, children(buf, p)[0]);
      }
    }
  }
  const named = hash === "unknown" ? undefined : (hash as SignatureAlgorithm["hash"]);
  return {
    algorithm: { ...base, name: `rsassaPss(${hash})`, hash: named },
    pss: { hash, saltLength },
  };
}

function readSmallInt(buf: Uint8Array, t: Tlv | undefined): number {
  const c = contents(buf, expectTag(t, TAG.INTEGER, "an INTEGER"));
  if (c.length === 0 || c.length > 4) throw new DerError("integer out of range");
  let n = 0;
  for (const b of c) n = n * 256 + b;
  return n;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function parse(der: Uint8Array): CertSummary {
  const parts = signedParts(der);
  const tbsTlv = readTlv(parts.tbs, 0);
  const tbs = parts.tbs;
  const fields = children(tbs, tbsTlv);
  let i = 0;
  if (fields[0]?.tag === TAG.CTX0) i++; // explicit version
  const serialTlv = expectTag(fields[i++], TAG.INTEGER, "a serial number");
  i++; // inner signature algorithm: the outer one is what is verified
  const issuer = expectTag(fields[i++], TAG.SEQUENCE, "an issuer name");
  const validity = expectTag(fields[i++], TAG.SEQUENCE, "a validity");
  const subject = expectTag(fields[i++], TAG.SEQUENCE, "a subject name");
  const spki = expectTag(fields[i++], TAG.SEQUENCE, "a public key");
  const [nb, na] = children(tbs, validity);
  const notBefore = readTime(tbs, nb);
  const notAfter = readTime(tbs, na);

  const ext = readExtensions(tbs, fields.slice(i));
  const emails = new Set<string>(ext.sanEmails);
  for (const e of nameEmails(tbs, subject)) emails.add(e);

  const serialBytes = contents(tbs, serialTlv);
  const serial = hex(serialBytes.length > 1 && serialBytes[0] === 0 ? serialBytes.subarray(1) : serialBytes);
  return {
    sha256: sha256Hex(der),
    sha1: createHash("sha1").update(der).digest("hex").toUpperCase(),
    subject: nameString(slice(tbs, subject)),
    issuer: nameString(slice(tbs, issuer)),
    serial: serial.toUpperCase(),
    notBefore,
    notAfter,
    emails: [...emails],
    eku: ext.eku,
    keyUsage: ext.keyUsage,
    isCA: ext.isCA,
    key: readKey(tbs, spki),
    signature: parts.algorithm,
    issuerId: hex(slice(tbs, issuer)),
    subjectId: hex(slice(tbs, subject)),
    subjectKeyId: ext.ski,
    authorityKeyId: ext.aki,
    der,
  };
}

/** Escapes control and bidirectional-override characters so a hostile name cannot steer a terminal. */
export function safeText(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

function nameString(raw: Uint8Array): string {
  try {
    return safeText(nameText(raw));
  } catch {
    return `(unreadable name ${hex(raw).slice(0, 32)})`;
  }
}

function readTime(buf: Uint8Array, t: Tlv | undefined): Date {
  if (t === undefined) throw new DerError("missing validity time");
  const s = Buffer.from(contents(buf, t)).toString("latin1");
  let m: RegExpMatchArray | null;
  let year: number;
  if (t.tag === 0x17) {
    m = s.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/);
    if (!m) throw new DerError("bad UTCTime");
    const yy = Number(m[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (t.tag === 0x18) {
    m = s.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/);
    if (!m) throw new DerError("bad GeneralizedTime");
    year = Number(m[1]);
  } else {
    throw new DerError("expected a time");
  }
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  if (Number.isNaN(ms)) throw new DerError("invalid time");
  return new Date(ms);
}

export { readTime };

interface Extensions {
  sanEmails: string[];
  eku: string[] | undefined;
  keyUsage: KeyUsageName[] | undefined;
  isCA: boolean;
  ski: string | undefined;
  aki: string | undefined;
}

function readExtensions(buf: Uint8Array, rest: readonly Tlv[]): Extensions {
  const out: Extensions = {
    sanEmails: [],
    eku: undefined,
    keyUsage: undefined,
    isCA: false,
    ski: undefined,
    aki: undefined,
  };
  const wrapper = rest.find((t) => t.tag === TAG.CTX3);
  if (wrapper === undefined) return out;
  const list = expectTag(children(buf, wrapper)[0], TAG.SEQUENCE, "an extension list");
  for (const extTlv of children(buf, list)) {
    const parts = children(buf, expectTag(extTlv, TAG.SEQUENCE, "an extension"));
    const oid = readOid(buf, parts[0]);
    const valueTlv = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, "an extension value");
    const value = contents(buf, valueTlv);
    const inner = () => readTlv(value, 0);
    switch (oid) {
      case OID_SAN:
        for (const gn of children(value, expectTag(inner(), TAG.SEQUENCE, "GeneralNames"))) {
          // rfc822Name is [1] IMPLICIT IA5String.
          if (gn.tag === 0x81)
            out.sanEmails.push(Buffer.from(contents(value, gn)).toString("latin1").toLowerCase());
        }
        break;
      case OID_EKU:
        out.eku = children(value, expectTag(inner(), TAG.SEQUENCE, "ExtKeyUsageSyntax")).map((t) =>
          readOid(value, t),
        );
        break;
      case OID_KEY_USAGE:
        out.keyUsage = readKeyUsage(contents(value, expectTag(inner(), TAG.BIT_STRING, "KeyUsage")));
        break;
      case OID_BASIC_CONSTRAINTS: {
        const first = children(value, expectTag(inner(), TAG.SEQUENCE, "BasicConstraints"))[0];
        out.isCA = first !== undefined && first.tag === 0x01 && value[first.contentStart] !== 0;
        break;
      }
      case OID_SKI:
        out.ski = hex(contents(value, expectTag(inner(), TAG.OCTET_STRING, "a key identifier")));
        break;
      case OID_AKI: {
        const keyId = children(value, expectTag(inner(), TAG.SEQUENCE, "AuthorityKeyIdentifier")).find(
          (t) => t.tag === 0x80,
        );
        out.aki = keyId ? hex(contents(value, keyId)) : undefined;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function readKeyUsage(bits: Uint8Array): KeyUsageName[] {
  if (bits.length < 1) throw new DerError("empty KeyUsage");
  const out: KeyUsageName[] = [];
  KEY_USAGES.forEach((name, i) => {
    const byte = bits[1 + (i >> 3)];
    if (byte !== undefined && (byte & (0x80 >> (i & 7))) !== 0) out.push(name);
  });
  return out;
}

function nameEmails(buf: Uint8Array, name: Tlv): string[] {
  const out: string[] = [];
  for (const rdn of children(buf, name)) {
    for (const atv of children(buf, expectTag(rdn, TAG.SET, "an RDN"))) {
      const [type, value] = children(buf, expectTag(atv, TAG.SEQUENCE, "an attribute"));
      if (value !== undefined && readOid(buf, type) === OID_EMAIL_ADDRESS) {
        out.push(
          Buffer.from(contents(buf, value))
            .toString(value.tag === TAG.UTF8 ? "utf8" : "latin1")
            .toLowerCase(),
        );
      }
    }
  }
  return out;
}

function readKey(buf: Uint8Array, spki: Tlv): KeyInfo {
  const [algTlv, keyTlv] = children(buf, spki);
  const [oidTlv, params] = children(buf, expectTag(algTlv, TAG.SEQUENCE, "a key algorithm"));
  const oid = readOid(buf, oidTlv);
  const keyBits = contents(buf, expectTag(keyTlv, TAG.BIT_STRING, "a public key BIT STRING")).subarray(1);
  switch (oid) {
    case KEY_OIDS.rsa:
    case KEY_OIDS.rsaPss: {
      const modulus = children(keyBits, expectTag(readTlv(keyBits, 0), TAG.SEQUENCE, "RSAPublicKey"))[0];
      return {
        type: "RSA",
        bits: integerBits(contents(keyBits, expectTag(modulus, TAG.INTEGER, "a modulus"))),
      };
    }
    case KEY_OIDS.ec: {
      const curveOid = params?.tag === TAG.OID ? readOid(buf, params) : "explicit parameters";
      return { type: "EC", curve: CURVES[curveOid] ?? curveOid };
    }
    case KEY_OIDS.dsa: {
      const p = params?.tag === TAG.SEQUENCE ? children(buf, params)[0] : undefined;
      return { type: "DSA", bits: p ? integerBits(contents(buf, expectTag(p, TAG.INTEGER, "DSA p"))) : 0 };
    }
    case KEY_OIDS.ed25519:
      return { type: "Ed25519" };
    case KEY_OIDS.ed448:
      return { type: "Ed448" };
    case KEY_OIDS.x25519:
      return { type: "X25519" };
    case KEY_OIDS.x448:
      return { type: "X448" };
    default:
      return { type: "unknown", oid };
  }
}

function integerBits(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

/** The SubjectPublicKeyInfo DER of a certificate, for signature checks of what it issued. */
export function publicKeyInfo(der: Uint8Array): Uint8Array {
  const tbs = children(der, readTlv(der, 0))[0]!;
  const fields = children(der, tbs);
  const offset = fields[0]?.tag === TAG.CTX0 ? 1 : 0;
  return slice(der, expectTag(fields[offset + 5], TAG.SEQUENCE, "a public key"));
}
