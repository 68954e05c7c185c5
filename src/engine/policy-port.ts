// Binds the policy engine (src/policy) to one run's `now` and certificate cache, in the shape
// reconcile asks for (src/reconcile/ports.ts).
import type { CertCache, CertSummary } from "../certs/index.js";
import { CERT_ATTRIBUTES, type CertAttribute, MAX_VALUES_PER_ATTRIBUTE } from "../model/attributes.js";
import type { CertificateRef, PublishReason } from "../plan/types.js";
import {
  type DesiredValue,
  evaluate,
  judgeCertificate,
  modeOf,
  type Policy,
  recipientAddresses,
  shouldPrune,
} from "../policy/index.js";
import type { PolicyPort, Rejection } from "../reconcile/ports.js";
import type { WatchedCa } from "../report/build.js";
import type { CoverageJudge, JudgedCertificate } from "../report/ports.js";

export function certificateRef(c: CertSummary): CertificateRef {
  return {
    sha1: c.sha1,
    sha256: c.sha256,
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serial,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    emails: c.emails,
  };
}

const OTHER: Readonly<Record<CertAttribute, CertAttribute>> = {
  userCertificate: "userSMIMECertificate",
  userSMIMECertificate: "userCertificate",
};

/** Why a desired value not yet present would be published, from where the policy found it. */
function publishReason(
  d: DesiredValue,
  attribute: CertAttribute,
): { publishReason: PublishReason; explanation: string } {
  if (d.derived)
    return {
      publishReason: "derived-pkcs7",
      explanation: `certs-only PKCS#7 of a selected certificate; ${d.explanation}`,
    };
  switch (d.source) {
    case "repository":
      return {
        publishReason: "declared-in-repo",
        explanation: `declared in the repository; ${d.explanation}`,
      };
    case "sibling":
      return {
        publishReason: "from-other-attribute",
        explanation: `found in ${OTHER[attribute]}; ${d.explanation}`,
      };
    case "authority":
      return {
        publishReason: "normalized-der",
        explanation: `found inside a value that is not plain DER; ${d.explanation}`,
      };
    default:
      return d.source satisfies never;
  }
}

export function policyPort(policy: Policy, now: Date, cache: CertCache): PolicyPort {
  const describe = (bytes: Uint8Array): CertificateRef | null => {
    const parsed = cache.value(bytes);
    if (!parsed.ok) return null;
    const cert = parsed.certs.find((c) => !c.isCA) ?? parsed.certs[0];
    return cert ? certificateRef(cert) : null;
  };
  return {
    attributes: CERT_ATTRIBUTES.filter((a) => modeOf(policy, a) !== "off"),
    describe,
    prunes: (reason) => policy.prune[reason],
    maxPerUser: Math.min(policy.maxPerUser, MAX_VALUES_PER_ATTRIBUTE),
    decide(recipient, attribute, candidates) {
      const decision = evaluate(
        policy,
        recipient,
        attribute,
        candidates.map((c) => ({ bytes: c.bytes, source: c.source })),
        now,
        cache,
      );
      if (decision.mode === "off") return { desired: [], rejected: new Map(), warnings: [] };
      const desired = decision.desired.map((d) => ({
        bytes: d.bytes,
        sha256: d.sha256,
        certificate: d.certs[0] ? certificateRef(d.certs[0]) : describe(d.bytes),
        ...publishReason(d, attribute),
      }));
      const chosen = new Set(desired.map((d) => d.sha256));
      const rejected = new Map<string, Rejection>();
      const warnings: { code: string; message: string }[] = [];
      for (const v of decision.verdicts) {
        if (v.status === "rejected" && v.candidate.source === "authority" && !chosen.has(v.sha256)) {
          rejected.set(v.sha256, {
            reason: v.reason,
            explanation: v.explanation,
            certificate: v.certs[0] ? certificateRef(v.certs[0].cert) : describe(v.candidate.bytes),
            prune: shouldPrune(policy, v),
          });
        } else if (v.status === "warning" && chosen.has(v.sha256)) {
          warnings.push({ code: v.reason, message: `${attribute}: ${v.explanation}` });
        }
      }
      return { desired, rejected, warnings };
    },
  };
}

/** The policy as the coverage report asks (src/report/ports.ts): the same verdicts plan reaches. */
export function coverageJudge(policy: Policy, now: Date, cache: CertCache): CoverageJudge {
  const certsOf = (values: readonly Uint8Array[]): CertSummary[] =>
    values.flatMap((v) => {
      const parsed = cache.value(v);
      return parsed.ok ? [...parsed.certs] : [];
    });
  return {
    judge(recipient, values) {
      const all = certsOf(values);
      // CA certificates shipped in any value (Outlook blobs) may complete a chain, as in evaluate.
      const extras = all.filter((c) => c.isCA);
      const ctx = { addresses: recipientAddresses(recipient), now, extras };
      const seen = new Set<string>();
      const out: JudgedCertificate[] = [];
      for (const cert of all) {
        if (cert.isCA || seen.has(cert.sha256)) continue;
        seen.add(cert.sha256);
        const verdict = judgeCertificate(policy, cert, ctx);
        const certificate = certificateRef(cert);
        if (verdict.status === "rejected") {
          out.push({ usable: false, certificate, reason: verdict.reason, explanation: verdict.explanation });
          continue;
        }
        // Usable until the certificate or a CA on its path lapses, whichever is first.
        const path = policy.trust.buildPath(cert, extras);
        const ca = path.ok
          ? path.path
              .slice(1)
              .reduce<CertSummary | undefined>(
                (first, c) => (first === undefined || c.notAfter < first.notAfter ? c : first),
                undefined,
              )
          : undefined;
        const limited = ca !== undefined && ca.notAfter < cert.notAfter;
        out.push({
          usable: true,
          certificate,
          until: (limited ? ca.notAfter : cert.notAfter).toISOString(),
          limitedBy: limited ? "issuing-ca" : "certificate",
        });
      }
      return out;
    },
    certificatesIn(values) {
      return new Set(certsOf(values).map((c) => c.sha256));
    },
  };
}

/**
 * The CA certificates the report watches for expiry: the policy's anchors and intermediates. The
 * tenant's S/MIME trust collection (Get-SmimeConfig) joins them as `tenant-trust` once read.
 */
export function watchedCas(policy: Policy): WatchedCa[] {
  return [
    ...policy.trust.anchors.map((c) => ({ source: "trust-anchor" as const, certificate: certificateRef(c) })),
    ...policy.trust.intermediates.map((c) => ({
      source: "intermediate" as const,
      certificate: certificateRef(c),
    })),
  ];
}
