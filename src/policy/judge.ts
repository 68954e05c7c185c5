// The verdict on one certificate for one recipient at one instant. Checks that depend on neither
// (key, signature, usages, chain) are memoised per certificate in the Policy.
import { type CertSummary, type ChainBudget, describeKey, OID_EMAIL_PROTECTION } from "../certs/index.js";
import { day, type Policy } from "./policy.js";
import { type CertificateReason, type Finding, type RejectReason, SEVERITY } from "./reasons.js";

export type Judgement =
  | { readonly status: "accepted"; readonly explanation: string; readonly findings: readonly Finding[] }
  | {
      readonly status: "warning";
      readonly reason: "expiring-soon";
      readonly explanation: string;
      readonly findings: readonly Finding[];
    }
  | {
      readonly status: "rejected";
      readonly reason: RejectReason;
      readonly explanation: string;
      /** Every failed check, the verdict's reason first. */
      readonly findings: readonly Finding[];
    };

export type CertVerdict = Judgement & { readonly cert: CertSummary };

export interface JudgeContext {
  /** The recipient's addresses, lower-cased. */
  readonly addresses: ReadonlySet<string>;
  readonly now: Date;
  /** CA certificates found beside the certificate (PKCS#7, Outlook blob), usable as intermediates. */
  readonly extras: readonly CertSummary[];
  /** Signature checks left for the value this certificate is in (CHAIN_LIMITS.maxSignatureChecksPerValue). */
  readonly budget?: ChainBudget;
}

const DAY_MS = 86_400_000;

export function judgeCertificate(policy: Policy, cert: CertSummary, ctx: JudgeContext): CertVerdict {
  const findings: Finding[] = [...staticFindings(policy, cert), ...chainFindings(policy, cert, ctx)];
  const now = ctx.now.getTime();
  if (now > cert.notAfter.getTime()) {
    findings.push({ reason: "expired", message: `expired on ${day(cert.notAfter)}` });
  } else if (now < cert.notBefore.getTime()) {
    findings.push({ reason: "not-yet-valid", message: `not valid before ${day(cert.notBefore)}` });
  }
  if (policy.requirements.emailMatch) {
    const f = emailFinding(cert, ctx.addresses);
    if (f) findings.push(f);
  }
  if (findings.length > 0) {
    findings.sort(
      (a, b) =>
        SEVERITY.indexOf(a.reason as CertificateReason) - SEVERITY.indexOf(b.reason as CertificateReason),
    );
    const first = findings[0]!;
    return {
      status: "rejected",
      reason: first.reason as RejectReason,
      explanation: first.message,
      findings,
      cert,
    };
  }
  const left = cert.notAfter.getTime() - now;
  if (left <= policy.requirements.expiringSoonDays * DAY_MS) {
    const days = Math.floor(left / DAY_MS);
    const message = `expires on ${day(cert.notAfter)} (in ${days} day${days === 1 ? "" : "s"}); still published`;
    return {
      status: "warning",
      reason: "expiring-soon",
      explanation: message,
      findings: [{ reason: "expiring-soon", message }],
      cert,
    };
  }
  return {
    status: "accepted",
    explanation: `fit to publish, valid until ${day(cert.notAfter)}`,
    findings: [],
    cert,
  };
}

function emailFinding(cert: CertSummary, addresses: ReadonlySet<string>): Finding | undefined {
  if (cert.emails.length === 0)
    return {
      reason: "email-mismatch",
      message: "carries no e-mail address (no SAN rfc822Name nor subject emailAddress)",
    };
  if (cert.emails.some((e) => addresses.has(e))) return undefined;
  const has =
    addresses.size === 0
      ? "the recipient has no mail address"
      : `the recipient has ${[...addresses].join(", ")}`;
  return { reason: "email-mismatch", message: `issued to ${cert.emails.join(", ")}; ${has}` };
}

/** Whether the key and usages allow S/MIME encryption to this certificate (the GAL's purpose). */
export function canEncrypt(cert: CertSummary): boolean {
  const ku = cert.keyUsage;
  switch (cert.key.type) {
    case "RSA":
      return ku === undefined || ku.includes("keyEncipherment");
    case "EC":
    case "X25519":
    case "X448":
      return ku === undefined || ku.includes("keyAgreement");
    case "Ed25519":
    case "Ed448":
    case "DSA":
    case "unknown":
      return false;
  }
}

export function canSign(cert: CertSummary): boolean {
  const ku = cert.keyUsage;
  const signingKey = cert.key.type !== "X25519" && cert.key.type !== "X448";
  return signingKey && (ku === undefined || ku.includes("digitalSignature") || ku.includes("nonRepudiation"));
}

function staticFindings(policy: Policy, cert: CertSummary): readonly Finding[] {
  const cached = policy.staticFindings.get(cert.sha256);
  if (cached) return cached;
  const req = policy.requirements;
  const out: Finding[] = [];
  const sig = cert.signature;
  if (sig.family === "unknown") {
    out.push({ reason: "weak-signature", message: `signed with an unrecognised algorithm (${sig.oid})` });
  } else if (sig.hash !== undefined && req.weakSignatureHashes.has(sig.hash)) {
    out.push({
      reason: "weak-signature",
      message: `signed with ${sig.name}; ${sig.hash.toUpperCase()} is refused`,
    });
  }
  const key = cert.key;
  switch (key.type) {
    case "RSA":
    case "DSA":
      if (key.bits < req.minRsaBits)
        out.push({
          reason: "weak-key",
          message: `${describeKey(key)}-bit key, under the minimum of ${req.minRsaBits}`,
        });
      break;
    case "EC":
      if (!req.allowedCurves.has(key.curve))
        out.push({
          reason: "weak-key",
          message: `EC key on curve ${key.curve}, not among the allowed curves`,
        });
      break;
    case "Ed25519":
    case "Ed448":
    case "X25519":
    case "X448":
      if (!req.allowedCurves.has(key.type))
        out.push({ reason: "weak-key", message: `${key.type} key, not among the allowed curves` });
      break;
    case "unknown":
      out.push({ reason: "weak-key", message: `unrecognised key algorithm ${key.oid}` });
      break;
  }
  if (cert.isCA) {
    out.push({ reason: "key-usage-unfit", message: "is a CA certificate, not a user's" });
  } else if (!canEncrypt(cert)) {
    const why =
      key.type === "Ed25519" || key.type === "Ed448" || key.type === "DSA"
        ? `${key.type} keys can only sign`
        : `key usage (${cert.keyUsage?.join(", ") || "none"}) does not allow ${key.type === "RSA" ? "keyEncipherment" : "keyAgreement"}`;
    out.push({ reason: "key-usage-unfit", message: `${why}: nobody could encrypt to it` });
  }
  if (req.emailProtectionEku) {
    if (cert.eku === undefined) {
      out.push({
        reason: "no-email-protection-eku",
        message: "has no extended key usage extension (emailProtection required)",
      });
    } else if (!cert.eku.includes(OID_EMAIL_PROTECTION)) {
      out.push({
        reason: "no-email-protection-eku",
        message: `extended key usage (${cert.eku.join(", ") || "empty"}) lacks emailProtection`,
      });
    }
  }
  policy.staticFindings.set(cert.sha256, out);
  return out;
}

function chainFindings(policy: Policy, cert: CertSummary, ctx: JudgeContext): Finding[] {
  const out: Finding[] = [];
  const path = policy.trust.buildPath(cert, ctx.extras, ctx.budget);
  const now = ctx.now.getTime();
  if (policy.requirements.trustedChain) {
    if (!path.ok) {
      // A search cut short by a work bound proves nothing either way: its own, prunable reason.
      out.push({ reason: path.exceeded ? "chain-too-complex" : "untrusted-issuer", message: path.problem });
    } else {
      for (const ca of path.path.slice(1)) {
        if (now > ca.notAfter.getTime()) {
          out.push({
            reason: "untrusted-issuer",
            message: `issuing CA ${ca.subject} expired on ${day(ca.notAfter)}`,
          });
          break;
        }
        if (now < ca.notBefore.getTime()) {
          out.push({
            reason: "untrusted-issuer",
            message: `issuing CA ${ca.subject} is not valid before ${day(ca.notBefore)}`,
          });
          break;
        }
      }
    }
  }
  // Revocation of the certificate and of each intermediate on its path (anchors are trusted as configured).
  const checked = path.ok ? path.path.slice(0, -1) : [cert];
  for (const c of checked) {
    for (const crl of policy.crlsByIssuer.get(c.issuerId) ?? []) {
      const entry = crl.revoked.get(c.serial);
      if (entry && entry.date.getTime() <= now) {
        const who = c === cert ? "" : ` (its issuing CA ${c.subject})`;
        const reason = entry.reason ? `, reason ${entry.reason}` : "";
        out.push({
          reason: "revoked",
          message: `revoked${who} on ${day(entry.date)}${reason}, per the CRL of ${crl.issuer}`,
        });
        return out;
      }
    }
  }
  return out;
}
