// Turning bytes into certificates: attribute values (DER, PKCS#7, Outlook blobs, PEM from the
// repository) and files (trust anchors, intermediates, CRLs). Nothing here throws on hostile input:
// every failure is a typed ParseError. Anything that holds a private key is refused outright.
import { type CrlSummary, summarizeCrl } from "./crl.js";
import { children, DerError, readTlv, TAG, type Tlv } from "./der.js";
import { type FactSource, type PathFacts, parseFromFacts, type ValueFacts } from "./facts.js";
import { readOutlookBlob } from "./outlook.js";
import { readPkcs7 } from "./pkcs7.js";
import { type CertParseResult, type CertSummary, sha256Hex, summarizeCertificate } from "./summary.js";

export type ValueForm = "der" | "pem" | "pkcs7-certs-only" | "pkcs7-signed" | "outlook-blob";

export type ParseErrorKind = "empty" | "private-key" | "malformed" | "unsupported";

export interface ParseError {
  readonly kind: ParseErrorKind;
  /** One line for the admin, e.g. "PKCS#12 file: holds a private key". */
  readonly message: string;
}

export type ParseResult =
  | {
      readonly ok: true;
      readonly form: ValueForm;
      readonly certs: readonly CertSummary[];
      /** CRLs met on the way (PKCS#7 `crls`, PEM `X509 CRL`, a DER CRL). */
      readonly crls: readonly CrlSummary[];
    }
  | { readonly ok: false; readonly error: ParseError };

/** Something that turns one certificate's DER into a summary; CertCache memoises it. */
export type CertSummarizer = (der: Uint8Array) => CertParseResult;

class Refusal extends Error {
  constructor(readonly error: ParseError) {
    super(error.message);
  }
}

const refuse = (kind: ParseErrorKind, message: string): never => {
  throw new Refusal({ kind, message });
};

interface Found {
  certs: CertSummary[];
  crls: CrlSummary[];
}

/**
 * Parses anything smimesync accepts: one DER certificate, a DER CRL, a PKCS#7 SignedData (certs-only
 * or signed), an Outlook security-settings blob, or PEM text holding any of these.
 */
export function parseCertificates(
  bytes: Uint8Array,
  summarize: CertSummarizer = summarizeCertificate,
): ParseResult {
  try {
    if (bytes.length === 0) refuse("empty", "empty value");
    const found: Found = { certs: [], crls: [] };
    let form: ValueForm;
    if (bytes[0] === TAG.SEQUENCE) {
      try {
        form = parseDer(bytes, found, summarize);
      } catch (e) {
        // The digit "0" is 0x30 too: text that opens with it and holds PEM armour is PEM, not
        // broken DER. A private key found as DER stays refused as one.
        if ((e instanceof Refusal && e.error.kind === "private-key") || !isPemText(bytes)) throw e;
        found.certs.length = 0;
        found.crls.length = 0;
        parsePem(bytes, found, summarize);
        form = "pem";
      }
    } else if (isPemText(bytes)) {
      parsePem(bytes, found, summarize);
      form = "pem";
    } else {
      parseOutlook(bytes, found, summarize);
      form = "outlook-blob";
    }
    return { ok: true, form, certs: found.certs, crls: found.crls };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, error: e.error };
    // DerError and anything unforeseen (e.g. a RangeError from a decoder) are malformed input.
    return { ok: false, error: { kind: "malformed", message: e instanceof Error ? e.message : String(e) } };
  }
}

type DerKind = "certificate" | "crl" | "pkcs7" | "private-key" | "unknown";

/** Classifies a DER SEQUENCE by the shape of its first children, before decoding it fully. */
function classify(buf: Uint8Array): { kind: DerKind; what: string } {
  const top = readTlv(buf, 0);
  if (top.end !== buf.length)
    refuse("malformed", `${buf.length - top.end} trailing bytes after the DER structure`);
  const kids = children(buf, top);
  const tags = kids.map((k) => k.tag);
  const [a, b, c] = tags;
  if (a === TAG.SEQUENCE && b === TAG.SEQUENCE && c === TAG.BIT_STRING && kids.length === 3) {
    return signedThingKind(buf, kids[0]!);
  }
  if (a === TAG.OID && b === TAG.CTX0) return { kind: "pkcs7", what: "ContentInfo" };
  if (a === TAG.INTEGER) {
    const version = buf[kids[0]!.contentStart];
    if (b === TAG.SEQUENCE && c === TAG.SEQUENCE && version === 3)
      return { kind: "private-key", what: "PKCS#12 (PFX) file" };
    if (b === TAG.SEQUENCE && c === TAG.OCTET_STRING)
      return { kind: "private-key", what: "PKCS#8 private key" };
    if (b === TAG.OCTET_STRING) return { kind: "private-key", what: "EC private key" };
    if (tags.length >= 6 && tags.every((t) => t === TAG.INTEGER))
      return { kind: "private-key", what: "RSA or DSA private key" };
  }
  if (a === TAG.SEQUENCE && b === TAG.OCTET_STRING && kids.length === 2) {
    return { kind: "private-key", what: "encrypted PKCS#8 private key" };
  }
  return { kind: "unknown", what: "unrecognised DER structure" };
}

/** Certificate or CRL: in a CRL the issuer is followed by a time, in a certificate by a validity SEQUENCE. */
function signedThingKind(buf: Uint8Array, tbs: Tlv): { kind: DerKind; what: string } {
  const f = children(buf, tbs).map((t) => t.tag);
  const afterIssuer =
    f[0] === TAG.CTX0
      ? f[4]
      : f[0] === TAG.INTEGER && f[1] === TAG.SEQUENCE && f[2] === TAG.SEQUENCE
        ? f[3]
        : f[2];
  if (afterIssuer === 0x17 || afterIssuer === 0x18) return { kind: "crl", what: "CRL" };
  return { kind: "certificate", what: "certificate" };
}

function parseDer(buf: Uint8Array, found: Found, summarize: CertSummarizer): ValueForm {
  const { kind, what } = classify(buf);
  switch (kind) {
    case "private-key":
      return refuse("private-key", `${what}: holds a private key, which must never be published or stored`);
    case "certificate":
      addCert(buf, found, summarize);
      return "der";
    case "crl":
      addCrl(buf, found);
      return "der";
    case "pkcs7": {
      const p7 = readPkcs7(buf);
      for (const c of p7.certificates) addCert(c, found, summarize);
      for (const c of p7.crls) addCrl(c, found);
      return p7.signed ? "pkcs7-signed" : "pkcs7-certs-only";
    }
    case "unknown":
      return refuse("unsupported", `${what}: not a certificate, CRL or PKCS#7`);
  }
}

function addCert(der: Uint8Array, found: Found, summarize: CertSummarizer): void {
  const r = summarize(der);
  if (!r.ok) refuse("malformed", `bad certificate: ${r.message}`);
  else found.certs.push(r.cert);
}

function addCrl(der: Uint8Array, found: Found): void {
  const r = summarizeCrl(der);
  if (!r.ok) refuse("malformed", `bad CRL: ${r.message}`);
  else found.crls.push(r.crl);
}

function parseOutlook(buf: Uint8Array, found: Found, summarize: CertSummarizer): void {
  let settings: ReturnType<typeof readOutlookBlob> = [];
  try {
    settings = readOutlookBlob(buf);
  } catch (e) {
    refuse(
      "malformed",
      `neither DER (first byte 0x30), PEM, nor an Outlook security-settings blob: ${(e as DerError).message}`,
    );
  }
  for (const s of settings) {
    if (s.der[0] !== TAG.SEQUENCE) refuse("malformed", `Outlook ${s.role} certificate is not DER`);
    addCert(s.der, found, summarize);
  }
  if (found.certs.length === 0) refuse("malformed", "Outlook security-settings blob holds no certificate");
}

// ---- PEM ----

const PEM_SCAN_LIMIT = 64;

function isPemText(buf: Uint8Array): boolean {
  // PEM may follow free text (`openssl x509 -text` output); look for the armour anywhere.
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).includes("-----BEGIN ");
}

interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** A linear scan (no backtracking regex over hostile text): BEGIN, label, matching END. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  let pos = 0;
  for (;;) {
    const begin = text.indexOf("-----BEGIN ", pos);
    if (begin < 0) return out;
    const labelEnd = text.indexOf("-----", begin + 11);
    if (labelEnd < 0 || labelEnd - begin - 11 > PEM_SCAN_LIMIT)
      refuse("malformed", "PEM: unterminated BEGIN line");
    const label = text.slice(begin + 11, labelEnd);
    if (!/^[A-Z0-9 #]+$/.test(label)) refuse("malformed", "PEM: bad label");
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, labelEnd + 5);
    if (end < 0) refuse("malformed", `PEM: no END line for ${label}`);
    const body = text.slice(labelEnd + 5, end);
    out.push({ label, der: decodePemBody(label, body) });
    pos = end + endMarker.length;
  }
}

function decodePemBody(label: string, body: string): Uint8Array {
  // RFC 7468 bodies are base64 only; the legacy encrypted-key headers (Proc-Type:) are tolerated
  // only so that such a block is recognised and refused as a private key.
  const lines = body.split(/\r?\n/).filter((l) => !l.includes(":"));
  const b64 = lines.join("").replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) refuse("malformed", `PEM ${label}: body is not base64`);
  return Buffer.from(b64, "base64");
}

function parsePem(buf: Uint8Array, found: Found, summarize: CertSummarizer): void {
  const blocks = pemBlocks(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("latin1"));
  if (blocks.length === 0) refuse("malformed", "PEM without a complete block");
  const keyBlock = blocks.find((b) => b.label.includes("PRIVATE KEY"));
  if (keyBlock)
    refuse(
      "private-key",
      `PEM ${keyBlock.label} block: holds a private key, which must never be published or stored`,
    );
  for (const b of blocks) {
    switch (b.label) {
      case "CERTIFICATE":
      case "X509 CERTIFICATE":
      case "X509 CRL":
      case "PKCS7":
      case "PKCS #7 SIGNED DATA":
      case "CMS":
        if (b.der[0] !== TAG.SEQUENCE) refuse("malformed", `PEM ${b.label}: not DER`);
        parseDer(b.der, found, summarize);
        break;
      case "TRUSTED CERTIFICATE": {
        // OpenSSL's trusted form: a certificate followed by trust settings; take the certificate.
        const cert = readTlv(b.der, 0);
        addCert(b.der.subarray(0, cert.end), found, summarize);
        break;
      }
      default:
        // Other blocks (PUBLIC KEY, CERTIFICATE REQUEST, ...) carry no certificate; skipped.
        break;
    }
  }
  if (found.certs.length === 0 && found.crls.length === 0)
    refuse("unsupported", "PEM holds no certificate or CRL block");
}

// ---- the file-level API ----

export type FileParseResult =
  | { readonly ok: true; readonly certs: readonly CertSummary[] }
  | { readonly ok: false; readonly error: ParseError };

/** A certificate file of the repository or config (anchors, intermediates, declared certificates). */
export function parseCertificateFile(bytes: Uint8Array, summarize?: CertSummarizer): FileParseResult {
  const r = parseCertificates(bytes, summarize);
  if (!r.ok) return r;
  if (r.certs.length === 0)
    return { ok: false, error: { kind: "unsupported", message: "holds no certificate" } };
  return { ok: true, certs: r.certs };
}

export type CrlFileParseResult =
  | { readonly ok: true; readonly crls: readonly CrlSummary[] }
  | { readonly ok: false; readonly error: ParseError };

/** A CRL file (DER, PEM `X509 CRL`, or a PKCS#7 carrying CRLs). */
export function parseCrlFile(bytes: Uint8Array): CrlFileParseResult {
  const r = parseCertificates(bytes);
  if (!r.ok) return r;
  if (r.crls.length === 0) return { ok: false, error: { kind: "unsupported", message: "holds no CRL" } };
  return { ok: true, crls: r.crls };
}

/** One value the cache has seen this run, for a store of facts to record (src/certs/facts.ts). */
export interface SeenValue {
  readonly sha256: string;
  readonly bytes: Uint8Array;
  readonly parse: ParseResult;
  /** True when the result was rebuilt from recorded facts rather than parsed. */
  readonly recorded: boolean;
}

/**
 * Parses once per run, however often the same bytes appear (userCertificate, inside PKCS#7, in the
 * tenant): results are keyed by the SHA-256 of the bytes (3 µs, against ~0.1 ms to parse). Given a
 * FactSource (facts recorded by an earlier run), a value found there is rebuilt from its facts.
 */
/** A value handed to a store by `settle`: only that it was seen, and how, is kept. */
interface SettledValue {
  readonly settled: true;
  readonly recorded: boolean;
}

const isSettled = (v: SeenValue | SettledValue): v is SettledValue => "settled" in v;

export class CertCache {
  readonly #certs = new Map<string, CertParseResult>();
  readonly #values = new Map<string, SeenValue | SettledValue>();
  // Seen since the last settle(): their bytes and parses are held until then.
  #unsettled: string[] = [];
  #unsettledCerts: string[] = [];
  readonly #paths = new Map<string, PathFacts>();
  readonly #facts: FactSource | undefined;
  // Facts of this run's own analysis made elsewhere (worker threads): used like recorded ones, but
  // the values count as analysed this run, not as served from the store.
  readonly #seeded = new Map<string, ValueFacts>();
  // A certificate met before in other bytes is summarised once; its `der` is made a view of these
  // bytes, so that the value's facts can name where it sits (facts.ts).
  readonly #summarize: CertSummarizer = (der) => {
    const r = this.certificate(der);
    return r.ok && r.cert.der !== der ? { ok: true, cert: { ...r.cert, der } } : r;
  };
  #recorded = 0;

  constructor(facts?: FactSource) {
    this.#facts = facts;
  }

  certificate(der: Uint8Array): CertParseResult {
    const key = sha256Hex(der);
    let r = this.#certs.get(key);
    if (r === undefined) {
      r = summarizeCertificate(der);
      this.#certs.set(key, r);
      this.#unsettledCerts.push(key);
    }
    return r;
  }

  value(bytes: Uint8Array): ParseResult {
    const key = sha256Hex(bytes);
    const seen = this.#values.get(key);
    if (seen !== undefined) return isSettled(seen) ? this.#again(bytes, key) : seen.parse;
    const stored = this.#facts?.lookup(key);
    const facts = stored ?? this.#seeded.get(key);
    this.#seeded.delete(key);
    const rebuilt = facts === undefined ? undefined : parseFromFacts(bytes, facts);
    if (rebuilt !== undefined && facts?.ok) {
      for (const c of facts.certs) if (c.path !== null) this.#paths.set(c.sha256, c.path);
    }
    const parse = rebuilt ?? parseCertificates(bytes, this.#summarize);
    const recorded = rebuilt !== undefined && stored !== undefined;
    if (recorded) this.#recorded++;
    this.#values.set(key, { sha256: key, bytes, parse, recorded });
    this.#unsettled.push(key);
    return parse;
  }

  /** A value met again after it was settled: rebuilt from its facts (or parsed), nothing kept. */
  #again(bytes: Uint8Array, key: string): ParseResult {
    const facts = this.#facts?.lookup(key);
    return (facts && parseFromFacts(bytes, facts)) ?? parseCertificates(bytes, this.#summarize);
  }

  /**
   * Hands each value seen since the last call to `record` (a store of facts, verdict-cache.ts),
   * then lets go of its bytes and parse, and of the end-entity certificates summarised with it:
   * a plan streaming a large directory holds only what it has not recorded yet.
   */
  settle(record: (seen: SeenValue) => void): void {
    for (const key of this.#unsettled) {
      const seen = this.#values.get(key);
      if (seen === undefined || isSettled(seen)) continue;
      record(seen);
      this.#values.set(key, { settled: true, recorded: seen.recorded });
    }
    this.#unsettled = [];
    for (const key of this.#unsettledCerts) {
      const r = this.#certs.get(key);
      if (r?.ok && !r.cert.isCA) this.#certs.delete(key);
    }
    this.#unsettledCerts = [];
  }

  /**
   * Whether value() would answer `valueSha256` without parsing: seen this run, recorded in the
   * fact source, or seeded. A pre-analysis skips these.
   */
  holds(valueSha256: string): boolean {
    return (
      this.#values.has(valueSha256) ||
      this.#seeded.has(valueSha256) ||
      (this.#facts?.has?.(valueSha256) ?? false)
    );
  }

  /** Facts of a value analysed this run outside this cache (facts.ts `valueFacts`, same policy material). */
  seed(valueSha256: string, facts: ValueFacts): void {
    if (!this.#values.has(valueSha256)) this.#seeded.set(valueSha256, facts);
  }

  /** The chain search recorded with a certificate rebuilt from facts (TrustStore consults it). */
  pathFacts(leafSha256: string): PathFacts | undefined {
    return this.#paths.get(leafSha256);
  }

  /** Every value seen this run and not settled yet, in the order first seen. */
  *seen(): Generator<SeenValue> {
    for (const v of this.#values.values()) if (!isSettled(v)) yield v;
  }

  get size(): { certificates: number; values: number } {
    return { certificates: this.#certs.size, values: this.#values.size };
  }

  /** Values rebuilt from recorded facts rather than parsed, this run. */
  get fromFacts(): number {
    return this.#recorded;
  }
}

export { DerError };
