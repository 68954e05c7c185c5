// Every bound smimesync puts on hostile input, in one place. Directory values are written by the
// users they belong to, and a pull request's files by its author: no input may make a run hang,
// run out of memory or do unbounded work. Each limit is named in the error or verdict it causes.

/** Chain building, per certificate and per attribute value (src/certs/chain.ts). */
export const CHAIN_LIMITS = {
  /** Longest path considered, anchors included (RFC 5280 has no limit; real S/MIME PKIs are 2–4). */
  maxPathLength: 8,
  /** Candidate issuers tried at one step of the path (anchors and configured CAs first). */
  maxCandidateIssuers: 8,
  /** Signature checks one certificate's chain building may ask for (Go's crypto/x509 allows 100). */
  maxSignatureChecksPerCertificate: 100,
  /** Signature checks for all the certificates of one attribute value together. */
  maxSignatureChecksPerValue: 250,
} as const;

/** Certificates (and CRLs) one value or file may hold: a PKCS#7, an Outlook blob, a PEM bundle. */
export const MAX_CERTIFICATES_PER_PARSE = 1_000;

const MiB = 1024 * 1024;

/** Sizes checked (with `stat`) before a file is read; reading then stops at the limit. */
export const FILE_LIMITS = {
  /** smimesync.yaml. */
  config: 1 * MiB,
  /** A trust anchor, intermediate or repository certificate file. */
  certificate: 4 * MiB,
  /** A CRL file (large CAs publish CRLs of tens of MB). */
  crl: 64 * MiB,
  /** `directory.ldif` and `tenant.snapshot` (V8 cannot hold a string over 512 MiB). */
  backend: 500 * MiB,
  /** A saved plan file. */
  plan: 256 * MiB,
  /** A `${file:PATH}` secret, `tls.caFile`, and small JSON/markdown inputs of the CLI. */
  small: 1 * MiB,
} as const;

export type FileKind = keyof typeof FILE_LIMITS;

/** YAML parser bounds for the config (after the size check). */
export const YAML_LIMITS = {
  /** Alias expansions (`*anchor`): the billion-laughs bound handed to `yaml`'s `maxAliasCount`. */
  maxAliasCount: 100,
  /**
   * Lexical tokens in the document, an upper bound of its nodes, counted before the document is
   * built (building 4 MB of YAML list takes a minute and over 1 GB); a real config has a few thousand.
   */
  maxTokens: 100_000,
} as const;

/** `1.5 MiB`, `500 MiB`, `4 KiB`: how limits are named in messages. */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${+(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
