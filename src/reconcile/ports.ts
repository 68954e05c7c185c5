// What reconcile needs from the policy engine, as a port: reconcile stays pure and testable over
// hand-built observed states, and the policy (src/policy) is bound to `now` and the certificate
// cache by the caller (src/engine/policy-port.ts).
import type { CertAttribute } from "../model/attributes.js";
import type { CertificateRef, PublishReason, RemoveReason } from "../plan/types.js";

export interface RecipientIdentity {
  readonly mail: string | undefined;
  /** With `SMTP:` / `smtp:` prefixes, as stored. */
  readonly proxyAddresses: readonly string[];
}

/**
 * `authority`: a value of this attribute at the authority (the only kind a plan may remove);
 * `sibling`: a value of the other certificate attribute at the authority, offered for its
 * certificates (derive mode builds userSMIMECertificate from userCertificate's);
 * `repository`: a certificate file the repository declares for the recipient.
 */
export type CandidateSource = "authority" | "sibling" | "repository";

export interface Candidate {
  readonly bytes: Uint8Array;
  /** SHA-256 (hex) of `bytes`. */
  readonly sha256: string;
  readonly source: CandidateSource;
}

export interface DesiredValue {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly certificate: CertificateRef | null;
  /** Why it would be published when it is not there yet, and the one line that says so. */
  readonly publishReason: PublishReason;
  readonly explanation: string;
}

export interface Rejection {
  readonly reason: RemoveReason;
  readonly explanation: string;
  readonly certificate: CertificateRef | null;
  /** Whether the config prunes it (any of its failed checks has prune on), or only reports it. */
  readonly prune: boolean;
}

export interface AttributeOutcome {
  /** The values the attribute should hold, in order (newest first). */
  readonly desired: readonly DesiredValue[];
  /** Why each candidate that is not desired was turned down, by the candidate's sha256. */
  readonly rejected: ReadonlyMap<string, Rejection>;
  /** Publishable but worth saying (expiring-soon). */
  readonly warnings: readonly { readonly code: string; readonly message: string }[];
}

export interface PolicyPort {
  /** Which attributes are managed. */
  readonly attributes: readonly CertAttribute[];
  decide(
    recipient: RecipientIdentity,
    attribute: CertAttribute,
    candidates: readonly Candidate[],
  ): AttributeOutcome;
  /** What the plan shows of a value (first certificate of a PKCS#7); null when it does not parse. */
  describe(bytes: Uint8Array): CertificateRef | null;
  /** Whether removals for this reason are executed (prune) or only reported. */
  prunes(reason: RemoveReason): boolean;
  /** Values an attribute may end a plan with at its authority (maxPerUser, never more than 15). */
  readonly maxPerUser: number;
}
