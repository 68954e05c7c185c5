// Binds the policy engine (src/policy) to one run's `now` and certificate cache, in the shape
// reconcile asks for (src/reconcile/ports.ts).
import { type CertCache, type CertSummary } from "../certs/index.js";
import { CERT_ATTRIBUTES } from "../model/attributes.js";
import type { CertificateRef } from "../plan/types.js";
import { evaluate, modeOf, type Policy, shouldPrune } from "../policy/index.js";
import type { PolicyPort, Rejection } from "../reconcile/ports.js";

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
        publishReason: d.derived ? ("derived-pkcs7" as const) : ("declared-in-repo" as const),
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
