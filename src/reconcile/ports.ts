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

export type CandidateSource = "authority" | "repository";

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
  /** Why it would be published when it is not there yet. */
  readonly publishReason: PublishReason;
}

export interface Rejection {
  readonly reason: RemoveReason;
  readonly explanation: string;
  readonly certificate: CertificateRef | null;
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
  decide(recipient: RecipientIdentity, attribute: CertAttribute, candidates: readonly Candidate[]): AttributeOutcome;
  /** What the plan shows of a value (first certificate of a PKCS#7); null when it does not parse. */
  describe(bytes: Uint8Array): CertificateRef | null;
  /** Whether removals for this reason are executed (prune) or only reported. */
  prunes(reason: RemoveReason): boolean;
}
