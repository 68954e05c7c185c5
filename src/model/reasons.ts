// Why a certificate value is turned down: the policy's verdicts and its selection outcomes. One
// list for the policy (verdicts, prune switches), the plan (removal reasons) and the schemas.
export const REJECT_REASONS = [
  "malformed",
  "expired",
  "not-yet-valid",
  "no-email-protection-eku",
  "key-usage-unfit",
  "weak-key",
  "weak-signature",
  "untrusted-issuer",
  "chain-too-complex",
  "revoked",
  "email-mismatch",
  "duplicate",
  "superseded",
  "over-limit",
  "private-key",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
