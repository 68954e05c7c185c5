// A Policy is the config's `policy` section resolved against its material (trust anchors,
// intermediates, CRLs, given as bytes: reading the files is the caller's job). Built once per run.
import {
  CertCache,
  type CertSummary,
  type CrlSummary,
  parseCertificateFile,
  parseCrlFile,
  TrustStore,
} from "../certs/index.js";
import type { PolicyConfig } from "../config/types.generated.js";
import { MAX_VALUES_PER_ATTRIBUTE } from "../model/attributes.js";
import type { Finding, RejectReason } from "./reasons.js";

export interface MaterialFile {
  /** How the file is named in messages (its path in the config). */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface PolicyMaterial {
  readonly trustAnchors: readonly MaterialFile[];
  readonly intermediates: readonly MaterialFile[];
  readonly crls: readonly MaterialFile[];
}

export interface PolicyProblem {
  readonly file: string | undefined;
  readonly message: string;
  readonly severity: "error" | "warning";
}

export interface Requirements {
  readonly trustedChain: boolean;
  readonly emailProtectionEku: boolean;
  readonly emailMatch: boolean;
  readonly minRsaBits: number;
  readonly allowedCurves: ReadonlySet<string>;
  readonly weakSignatureHashes: ReadonlySet<string>;
  readonly expiringSoonDays: number;
}

export type SmimeMode = "keep" | "derive" | "off";

export interface Policy {
  readonly requirements: Requirements;
  readonly publish: {
    readonly userCertificate: boolean;
    readonly userSMIMECertificate: SmimeMode;
    readonly includeChain: boolean;
  };
  /** Never above 15, whatever the config says. */
  readonly maxPerUser: number;
  readonly prune: Readonly<Record<RejectReason, boolean>>;
  readonly trust: TrustStore;
  /** CRLs whose signature verified against a configured CA, by issuer Name (hex DER). */
  readonly crlsByIssuer: ReadonlyMap<string, readonly CrlSummary[]>;
  /** Problems with the material found while building (bad files, unverifiable CRLs). */
  readonly problems: readonly PolicyProblem[];
  /** Per-certificate checks that depend on neither time nor recipient, memoised by SHA-256. */
  readonly staticFindings: Map<string, readonly Finding[]>;
}

// The schema's defaults, repeated so that a Policy built from a partial config behaves the same.
const ALL_CURVES = ["P-256", "P-384", "P-521", "Ed25519", "Ed448", "X25519", "X448"];
const PRUNE_DEFAULTS: Readonly<Record<RejectReason, boolean>> = {
  malformed: false,
  expired: false,
  "not-yet-valid": false,
  "no-email-protection-eku": false,
  "key-usage-unfit": false,
  "weak-key": false,
  "weak-signature": false,
  "untrusted-issuer": false,
  "chain-too-complex": false,
  revoked: false,
  "email-mismatch": false,
  duplicate: false,
  superseded: false,
  "over-limit": false,
  "private-key": true,
};

export function buildPolicy(
  config: PolicyConfig,
  material: PolicyMaterial,
  cache: CertCache = new CertCache(),
): Policy {
  const problems: PolicyProblem[] = [];
  const certsOf = (files: readonly MaterialFile[], what: string): CertSummary[] =>
    files.flatMap((f) => {
      const r = parseCertificateFile(f.bytes, (der) => cache.certificate(der));
      if (!r.ok) {
        problems.push({ file: f.name, message: `${what} file: ${r.error.message}`, severity: "error" });
        return [];
      }
      return [...r.certs];
    });
  const anchors = certsOf(material.trustAnchors, "trust anchor");
  const intermediates = certsOf(material.intermediates, "intermediate");
  // Chain searches recorded with the cache's values are adopted when they fit this material.
  const trust = new TrustStore(anchors, intermediates, cache);

  const crlsByIssuer = new Map<string, CrlSummary[]>();
  for (const f of material.crls) {
    const r = parseCrlFile(f.bytes);
    if (!r.ok) {
      problems.push({ file: f.name, message: `CRL file: ${r.error.message}`, severity: "error" });
      continue;
    }
    for (const crl of r.crls) {
      if (trust.crlSigner(crl) === undefined) {
        problems.push({
          file: f.name,
          message: `CRL of ${crl.issuer} is not signed by any configured CA certificate; it is ignored`,
          severity: "error",
        });
        continue;
      }
      crlsByIssuer.set(crl.issuerId, [...(crlsByIssuer.get(crl.issuerId) ?? []), crl]);
    }
  }

  const req = config.requirements ?? {};
  const trustedChain = req.trustedChain ?? true;
  if (trustedChain && anchors.length === 0) {
    problems.push({
      file: undefined,
      message:
        "requirements.trustedChain is on but no trust anchor certificate was loaded: every certificate will be untrusted-issuer",
      severity: "error",
    });
  }
  return {
    requirements: {
      trustedChain,
      emailProtectionEku: req.emailProtectionEku ?? true,
      emailMatch: req.emailMatch ?? true,
      minRsaBits: req.minRsaBits ?? 2048,
      allowedCurves: new Set(req.allowedCurves ?? ALL_CURVES),
      weakSignatureHashes: new Set(req.weakSignatureHashes ?? ["md2", "md5", "sha1"]),
      expiringSoonDays: req.expiringSoonDays ?? 30,
    },
    publish: {
      userCertificate: config.publish?.userCertificate ?? true,
      userSMIMECertificate: config.publish?.userSMIMECertificate ?? "off",
      includeChain: config.publish?.includeChain ?? false,
    },
    maxPerUser: Math.max(1, Math.min(config.maxPerUser ?? 3, MAX_VALUES_PER_ATTRIBUTE)),
    prune: { ...PRUNE_DEFAULTS, ...(config.prune ?? {}) },
    trust,
    crlsByIssuer,
    problems,
    staticFindings: new Map(),
  };
}

/** Time-dependent problems of the material: expired or not yet valid CRLs and anchors. */
export function materialWarnings(policy: Policy, now: Date): PolicyProblem[] {
  const out: PolicyProblem[] = [];
  for (const crls of policy.crlsByIssuer.values()) {
    for (const crl of crls) {
      if (crl.nextUpdate !== undefined && crl.nextUpdate.getTime() < now.getTime()) {
        out.push({
          file: undefined,
          message: `CRL of ${crl.issuer} expired on ${day(crl.nextUpdate)}: revocations published since then are not seen; fetch a fresh CRL`,
          severity: "warning",
        });
      } else if (crl.thisUpdate.getTime() > now.getTime()) {
        out.push({
          file: undefined,
          message: `CRL of ${crl.issuer} is dated in the future (${day(crl.thisUpdate)})`,
          severity: "warning",
        });
      }
    }
  }
  for (const a of policy.trust.anchors) {
    if (a.notAfter.getTime() < now.getTime()) {
      out.push({
        file: undefined,
        message: `trust anchor ${a.subject} expired on ${day(a.notAfter)}`,
        severity: "warning",
      });
    }
  }
  return out;
}

export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}
