// X.509 CRLs (RFC 5280 section 5): issuer, validity window and the revoked serial numbers.

import { children, contents, DerError, expectTag, readOid, readTlv, slice, TAG, type Tlv } from "./der.js";
import { nameText } from "./name.js";
import { readTime, safeText, sha256Hex, signedParts } from "./summary.js";

const OID_CRL_REASON = "2.5.29.21";
const REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "(unused)",
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
] as const;

export interface RevokedEntry {
  readonly date: Date;
  readonly reason: string | undefined;
}

export interface CrlSummary {
  readonly sha256: string;
  readonly issuer: string;
  /** Hex of the raw issuer Name DER, matched against certificates' issuerId. */
  readonly issuerId: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Upper-case hex serial (as CertSummary.serial) -> entry. */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  readonly der: Uint8Array;
}

export type CrlParseResult =
  | { readonly ok: true; readonly crl: CrlSummary }
  | { readonly ok: false; readonly message: string };

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function summarizeCrl(der: Uint8Array): CrlParseResult {
  try {
    return { ok: true, crl: parse(der) };
  } catch (e) {
    return { ok: false, message: e instanceof DerError ? e.message : `unreadable CRL (${String(e)})` };
  }
}

function parse(der: Uint8Array): CrlSummary {
  const { tbs } = signedParts(der);
  const fields = children(tbs, readTlv(tbs, 0));
  let i = fields[0]?.tag === TAG.INTEGER ? 1 : 0;
  expectTag(fields[i++], TAG.SEQUENCE, "a signature algorithm");
  const issuer = expectTag(fields[i++], TAG.SEQUENCE, "an issuer name");
  const thisUpdate = readTime(tbs, fields[i++]);
  let nextUpdate: Date | undefined;
  const maybeNext = fields[i];
  if (maybeNext !== undefined && (maybeNext.tag === 0x17 || maybeNext.tag === 0x18)) {
    nextUpdate = readTime(tbs, maybeNext);
    i++;
  }
  const revoked = new Map<string, RevokedEntry>();
  const list = fields[i];
  if (list !== undefined && list.tag === TAG.SEQUENCE) {
    for (const entry of children(tbs, list)) {
      const [serialTlv, dateTlv, extTlv] = children(tbs, expectTag(entry, TAG.SEQUENCE, "a revoked entry"));
      const s = contents(tbs, expectTag(serialTlv, TAG.INTEGER, "a serial"));
      const serial = hex(s.length > 1 && s[0] === 0 ? s.subarray(1) : s).toUpperCase();
      revoked.set(serial, {
        date: readTime(tbs, dateTlv),
        reason: extTlv ? entryReason(tbs, extTlv) : undefined,
      });
    }
  }
  let issuerName: string;
  try {
    issuerName = safeText(nameText(slice(tbs, issuer)));
  } catch {
    issuerName = "(unreadable name)";
  }
  return {
    sha256: sha256Hex(der),
    issuer: issuerName,
    issuerId: hex(slice(tbs, issuer)),
    thisUpdate,
    nextUpdate,
    revoked,
    der,
  };
}

function entryReason(buf: Uint8Array, exts: Tlv): string | undefined {
  for (const ext of children(buf, expectTag(exts, TAG.SEQUENCE, "entry extensions"))) {
    const parts = children(buf, ext);
    if (readOid(buf, parts[0]) !== OID_CRL_REASON) continue;
    const value = contents(buf, expectTag(parts[parts.length - 1], TAG.OCTET_STRING, "an extension value"));
    const code = contents(value, readTlv(value, 0))[0];
    return code === undefined ? undefined : (REASONS[code] ?? `reason ${code}`);
  }
  return undefined;
}
