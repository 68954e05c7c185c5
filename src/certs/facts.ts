// The facts of one value's analysis as plain JSON, so that a later run can rebuild the same
// ParseResult (and the chain search's result) without parsing or verifying again. Facts only,
// never a decision: every check is judged again from them, at the run's `now`, under its policy.
// Decoding is strict: anything not exactly of this shape is refused (undefined), never guessed.
import type { HashName, KeyInfo, SignatureAlgorithm } from "./algorithms.js";
import type { ChainBound, PathResult } from "./chain.js";
import type { ParseErrorKind, ParseResult, ValueForm } from "./parse.js";
import { type CertSummary, KEY_USAGES, type KeyUsageName } from "./summary.js";

/** The configured-only chain search of one certificate: the path by SHA-256, or why none. */
export type PathFacts =
  | { readonly ok: true; readonly path: readonly string[]; readonly checks: number }
  | {
      readonly ok: false;
      readonly problem: string;
      readonly checks: number;
      readonly exceeded: ChainBound | null;
    };

export interface CertFacts {
  /** Where the certificate's DER sits in the value's bytes. */
  readonly offset: number;
  readonly length: number;
  readonly sha256: string;
  readonly sha1: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  /** Milliseconds since the epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  readonly emails: readonly string[];
  readonly eku: readonly string[] | null;
  readonly keyUsage: readonly KeyUsageName[] | null;
  readonly isCA: boolean;
  readonly key: KeyInfo;
  readonly signature: SignatureAlgorithm;
  readonly issuerId: string;
  readonly subjectId: string;
  readonly subjectKeyId: string | null;
  readonly authorityKeyId: string | null;
  /** Path to a configured anchor, when this run's policy searched one. */
  readonly path: PathFacts | null;
}

export type ValueFacts =
  | { readonly ok: true; readonly form: ValueForm; readonly certs: readonly CertFacts[] }
  | { readonly ok: false; readonly kind: ParseErrorKind; readonly message: string };

/** Where facts recorded earlier come from (a file store, in src/engine); lookups must be cheap. */
export interface FactSource {
  /** Facts recorded for the value whose bytes have this SHA-256, under the run's policy material. */
  lookup(valueSha256: string): ValueFacts | undefined;
  /** Whether lookup() may answer, without decoding; a source without it is asked by lookup only. */
  has?(valueSha256: string): boolean;
}

/**
 * The facts of a parse, or undefined when they cannot be expressed as offsets into the bytes
 * (PEM decodes to new bytes) or hold CRLs (rare in a value; parsed again each run).
 */
export function valueFacts(
  bytes: Uint8Array,
  parse: ParseResult,
  pathOf: (cert: CertSummary) => PathFacts | null,
): ValueFacts | undefined {
  if (!parse.ok) return { ok: false, kind: parse.error.kind, message: parse.error.message };
  if (parse.crls.length > 0) return undefined;
  const certs: CertFacts[] = [];
  for (const c of parse.certs) {
    const offset = c.der.byteOffset - bytes.byteOffset;
    if (c.der.buffer !== bytes.buffer || offset < 0 || offset + c.der.length > bytes.length) return undefined;
    certs.push({
      offset,
      length: c.der.length,
      sha256: c.sha256,
      sha1: c.sha1,
      subject: c.subject,
      issuer: c.issuer,
      serial: c.serial,
      notBefore: c.notBefore.getTime(),
      notAfter: c.notAfter.getTime(),
      emails: c.emails,
      eku: c.eku ?? null,
      keyUsage: c.keyUsage ?? null,
      isCA: c.isCA,
      key: c.key,
      signature: c.signature,
      issuerId: c.issuerId,
      subjectId: c.subjectId,
      subjectKeyId: c.subjectKeyId ?? null,
      authorityKeyId: c.authorityKeyId ?? null,
      path: pathOf(c),
    });
  }
  return { ok: true, form: parse.form, certs };
}

/** The ParseResult the facts describe, the DER as views of `bytes`; undefined if they do not fit them. */
export function parseFromFacts(bytes: Uint8Array, facts: ValueFacts): ParseResult | undefined {
  if (!facts.ok) return { ok: false, error: { kind: facts.kind, message: facts.message } };
  const certs: CertSummary[] = [];
  for (const f of facts.certs) {
    if (f.offset + f.length > bytes.length) return undefined;
    certs.push({
      sha256: f.sha256,
      sha1: f.sha1,
      subject: f.subject,
      issuer: f.issuer,
      serial: f.serial,
      notBefore: new Date(f.notBefore),
      notAfter: new Date(f.notAfter),
      emails: f.emails,
      eku: f.eku ?? undefined,
      keyUsage: f.keyUsage ?? undefined,
      isCA: f.isCA,
      key: f.key,
      signature: f.signature,
      issuerId: f.issuerId,
      subjectId: f.subjectId,
      subjectKeyId: f.subjectKeyId ?? undefined,
      authorityKeyId: f.authorityKeyId ?? undefined,
      der: bytes.subarray(f.offset, f.offset + f.length),
    });
  }
  return { ok: true, form: facts.form, certs, crls: [] };
}

export function pathFacts(r: PathResult): PathFacts {
  return r.ok
    ? { ok: true, path: r.path.slice(1).map((c) => c.sha256), checks: r.checks }
    : { ok: false, problem: r.problem, checks: r.checks, exceeded: r.exceeded ?? null };
}

// ---- strict decoding of JSON read back ----

type Json = unknown;
const isObj = (x: Json): x is Record<string, Json> =>
  typeof x === "object" && x !== null && !Array.isArray(x);
const isStr = (x: Json): x is string => typeof x === "string";
const isHex = (x: Json, len?: number): x is string =>
  isStr(x) && /^[0-9a-fA-F]*$/.test(x) && (len === undefined || x.length === len);
const isNat = (x: Json): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
const isTime = (x: Json): x is number => typeof x === "number" && Number.isSafeInteger(x);
const isStrList = (x: Json): x is string[] => Array.isArray(x) && x.every(isStr);
const oneOf = <T extends string>(x: Json, list: readonly T[]): x is T => isStr(x) && list.includes(x as T);
const hasExactly = (o: Record<string, Json>, keys: readonly string[]): boolean => {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.hasOwn(o, k));
};

const FORMS: readonly ValueForm[] = ["der", "pem", "pkcs7-certs-only", "pkcs7-signed", "outlook-blob"];
const ERROR_KINDS: readonly ParseErrorKind[] = ["empty", "private-key", "malformed", "unsupported"];
const BOUNDS: readonly ChainBound[] = [
  "signature checks per certificate",
  "signature checks per value",
  "candidate issuers per step",
];
const HASHES: readonly HashName[] = ["md2", "md5", "sha1", "sha224", "sha256", "sha384", "sha512"];
const FAMILIES: readonly SignatureAlgorithm["family"][] = [
  "rsa",
  "rsa-pss",
  "ecdsa",
  "dsa",
  "ed25519",
  "ed448",
  "unknown",
];
const CERT_KEYS = [
  "offset",
  "length",
  "sha256",
  "sha1",
  "subject",
  "issuer",
  "serial",
  "notBefore",
  "notAfter",
  "emails",
  "eku",
  "keyUsage",
  "isCA",
  "key",
  "signature",
  "issuerId",
  "subjectId",
  "subjectKeyId",
  "authorityKeyId",
  "path",
] as const;

function isKey(x: Json): x is KeyInfo {
  if (!isObj(x)) return false;
  switch (x.type) {
    case "RSA":
    case "DSA":
      return hasExactly(x, ["type", "bits"]) && isNat(x.bits);
    case "EC":
      return hasExactly(x, ["type", "curve"]) && isStr(x.curve);
    case "Ed25519":
    case "Ed448":
    case "X25519":
    case "X448":
      return hasExactly(x, ["type"]);
    case "unknown":
      return hasExactly(x, ["type", "oid"]) && isStr(x.oid);
    default:
      return false;
  }
}

function isSignature(x: Json): x is SignatureAlgorithm {
  // `hash` undefined is left out by JSON.stringify.
  if (!isObj(x) || !isStr(x.oid) || !isStr(x.name) || !oneOf(x.family, FAMILIES)) return false;
  return Object.hasOwn(x, "hash")
    ? hasExactly(x, ["oid", "name", "hash", "family"]) && oneOf(x.hash, HASHES)
    : hasExactly(x, ["oid", "name", "family"]);
}

function isPath(x: Json): x is PathFacts {
  if (!isObj(x)) return false;
  if (x.ok === true)
    return (
      hasExactly(x, ["ok", "path", "checks"]) &&
      Array.isArray(x.path) &&
      x.path.every((s) => isHex(s, 64)) &&
      isNat(x.checks)
    );
  return (
    x.ok === false &&
    hasExactly(x, ["ok", "problem", "checks", "exceeded"]) &&
    isStr(x.problem) &&
    isNat(x.checks) &&
    (x.exceeded === null || oneOf(x.exceeded, BOUNDS))
  );
}

function isCert(x: Json): x is CertFacts {
  if (!isObj(x) || !hasExactly(x, CERT_KEYS)) return false;
  return (
    isNat(x.offset) &&
    isNat(x.length) &&
    x.length > 0 &&
    isHex(x.sha256, 64) &&
    isHex(x.sha1, 40) &&
    isStr(x.subject) &&
    isStr(x.issuer) &&
    isHex(x.serial) &&
    isTime(x.notBefore) &&
    isTime(x.notAfter) &&
    isStrList(x.emails) &&
    (x.eku === null || isStrList(x.eku)) &&
    (x.keyUsage === null || (Array.isArray(x.keyUsage) && x.keyUsage.every((k) => oneOf(k, KEY_USAGES)))) &&
    typeof x.isCA === "boolean" &&
    isKey(x.key) &&
    isSignature(x.signature) &&
    isHex(x.issuerId) &&
    isHex(x.subjectId) &&
    (x.subjectKeyId === null || isHex(x.subjectKeyId)) &&
    (x.authorityKeyId === null || isHex(x.authorityKeyId)) &&
    (x.path === null || isPath(x.path))
  );
}

/** `x` as ValueFacts when it has exactly that shape; undefined otherwise. */
export function decodeValueFacts(x: Json): ValueFacts | undefined {
  if (!isObj(x)) return undefined;
  if (x.ok === true)
    return hasExactly(x, ["ok", "form", "certs"]) &&
      oneOf(x.form, FORMS) &&
      Array.isArray(x.certs) &&
      x.certs.every(isCert)
      ? (x as ValueFacts)
      : undefined;
  return x.ok === false &&
    hasExactly(x, ["ok", "kind", "message"]) &&
    oneOf(x.kind, ERROR_KINDS) &&
    isStr(x.message)
    ? (x as ValueFacts)
    : undefined;
}
