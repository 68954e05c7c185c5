// PKCS#7 / CMS SignedData: reading the certificates (and CRLs) out of one, and building the
// certs-only form smimesync writes to userSMIMECertificate.
import {
  children,
  compareBytes,
  contents,
  DerError,
  encodeOid,
  encodeTlv,
  expectTag,
  readOid,
  readTlv,
  slice,
  TAG,
} from "./der.js";

export const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
const OID_DATA = "1.2.840.113549.1.7.1";

export interface Pkcs7Contents {
  /** True when the SignedData has signer infos (Outlook's signed blob), false for certs-only. */
  readonly signed: boolean;
  /** DER of each certificate in the `certificates` field, in order; other choices are skipped. */
  readonly certificates: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
}

/** Reads a ContentInfo holding SignedData. Throws DerError; callers wrap it. */
export function readPkcs7(buf: Uint8Array): Pkcs7Contents {
  const ci = expectTag(readTlv(buf, 0), TAG.SEQUENCE, "a ContentInfo SEQUENCE");
  if (ci.end !== buf.length) throw new DerError("trailing bytes after the PKCS#7");
  const [type, explicit] = children(buf, ci);
  const oid = readOid(buf, type);
  if (oid !== OID_SIGNED_DATA) throw new DerError(`PKCS#7 content type ${oid} is not SignedData`);
  const sd = expectTag(
    children(buf, expectTag(explicit, TAG.CTX0, "[0] content"))[0],
    TAG.SEQUENCE,
    "SignedData",
  );
  const fields = children(buf, sd);
  expectTag(fields[0], TAG.INTEGER, "a SignedData version");
  expectTag(fields[1], TAG.SET, "digest algorithms");
  expectTag(fields[2], TAG.SEQUENCE, "encapsulated content info");
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  let signerInfos: number | undefined;
  for (const f of fields.slice(3)) {
    if (f.tag === TAG.CTX0) {
      for (const c of children(buf, f)) if (c.tag === TAG.SEQUENCE) certificates.push(slice(buf, c));
    } else if (f.tag === TAG.CTX1) {
      for (const c of children(buf, f)) if (c.tag === TAG.SEQUENCE) crls.push(slice(buf, c));
    } else if (f.tag === TAG.SET) {
      signerInfos = children(buf, f).length;
    } else {
      throw new DerError("unexpected field in SignedData");
    }
  }
  if (signerInfos === undefined) throw new DerError("SignedData without signerInfos");
  return { signed: signerInfos > 0, certificates, crls };
}

const EMPTY_SET = encodeTlv(TAG.SET);

/**
 * A DER certs-only SignedData (RFC 5652 / "degenerate" PKCS#7) holding `certs`. The certificates
 * are sorted as DER demands for a SET OF, so the same certificates always give the same bytes and
 * re-planning yields an identical value.
 */
export function buildCertsOnlyPkcs7(certs: readonly Uint8Array[]): Uint8Array {
  const unique = [...new Map(certs.map((c) => [Buffer.from(c).toString("base64"), c])).values()];
  unique.sort(compareBytes);
  const signedData = encodeTlv(
    TAG.SEQUENCE,
    encodeTlv(TAG.INTEGER, Uint8Array.of(1)),
    EMPTY_SET,
    encodeTlv(TAG.SEQUENCE, encodeOid(OID_DATA)),
    encodeTlv(TAG.CTX0, ...unique),
    EMPTY_SET,
  );
  return encodeTlv(TAG.SEQUENCE, encodeOid(OID_SIGNED_DATA), encodeTlv(TAG.CTX0, signedData));
}

/** Whether `buf` looks like a ContentInfo (SEQUENCE { OID, [0] ... }) without fully parsing it. */
export function looksLikeContentInfo(buf: Uint8Array): boolean {
  try {
    const top = readTlv(buf, 0);
    const [a, b] = children(buf, top);
    return a?.tag === TAG.OID && b?.tag === TAG.CTX0 && contents(buf, a).length > 0;
  } catch {
    return false;
  }
}
