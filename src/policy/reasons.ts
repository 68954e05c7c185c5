// Reason codes: stable strings that explain a verdict (in plans, prune settings, `inspect`).
// They explain; nothing downstream should branch on them except prune's per-reason switch.
import { REJECT_REASONS, type RejectReason } from "../model/reasons.js";

// The verdicts' codes: every rejection reason, plus the one warning.
export const REASON_CODES = [...REJECT_REASONS, "expiring-soon"] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** Reasons that make a certificate unfit on its own (selection adds duplicate/superseded/over-limit). */
export type CertificateReason = Exclude<
  ReasonCode,
  "expiring-soon" | "duplicate" | "superseded" | "over-limit"
>;
export type { RejectReason };
export type SelectionReason = "duplicate" | "superseded" | "over-limit";

/**
 * When a certificate fails several checks, the first in this order is the verdict's `reason`
 * (all of them stay in `findings`): the most damning first, the most fixable last.
 */
export const SEVERITY: readonly CertificateReason[] = [
  "private-key",
  "malformed",
  "revoked",
  "chain-too-complex",
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
