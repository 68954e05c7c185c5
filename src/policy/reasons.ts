// Reason codes: stable strings that explain a verdict (in plans, prune settings, `inspect`).
// They explain; nothing downstream should branch on them except prune's per-reason switch.

export const REASON_CODES = [
  "malformed",
  "expired",
  "not-yet-valid",
  "expiring-soon",
  "no-email-protection-eku",
  "key-usage-unfit",
  "weak-key",
  "weak-signature",
  "untrusted-issuer",
  "revoked",
  "email-mismatch",
  "duplicate",
  "superseded",
  "over-limit",
  "private-key",
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Reasons that make a certificate unfit on its own (selection adds duplicate/superseded/over-limit). */
export type CertificateReason = Exclude<
  ReasonCode,
  "expiring-soon" | "duplicate" | "superseded" | "over-limit"
>;
export type RejectReason = Exclude<ReasonCode, "expiring-soon">;
export type SelectionReason = "duplicate" | "superseded" | "over-limit";

/**
 * When a certificate fails several checks, the first in this order is the verdict's `reason`
 * (all of them stay in `findings`): the most damning first, the most fixable last.
 */
export const SEVERITY: readonly CertificateReason[] = [
  "private-key",
  "malformed",
  "revoked",
  "untrusted-issuer",
  "expired",
  "not-yet-valid",
  "weak-signature",
  "weak-key",
  "key-usage-unfit",
  "no-email-protection-eku",
  "email-mismatch",
];

export function severityRank(reason: CertificateReason): number {
  return SEVERITY.indexOf(reason);
}

/** One failed (or warned) check, with its one-line explanation. */
export interface Finding {
  readonly reason: ReasonCode;
  readonly message: string;
}
