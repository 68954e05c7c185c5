// What the report needs from the policy engine, as a port (like reconcile/ports.ts): the report
// stays pure and testable over hand-built states; src/engine/policy-port.ts binds the policy to
// the run's `now` and certificate cache.
import type { CertificateRef, RemoveReason } from "../plan/types.js";
import type { RecipientIdentity } from "../reconcile/ports.js";
import type { UsableCertificate } from "./types.js";

export type JudgedCertificate =
  | ({ readonly usable: true } & UsableCertificate)
  | {
      readonly usable: false;
      readonly certificate: CertificateRef;
      readonly reason: RemoveReason;
      readonly explanation: string;
    };

export interface CoverageJudge {
  /**
   * Every end-entity certificate inside `values` (each once), judged for this recipient at the
   * policy time: usable when the policy accepts it (trusted, valid, address matches, emailProtection,
   * a key and key usage senders can encrypt to).
   */
  judge(recipient: RecipientIdentity, values: readonly Uint8Array[]): readonly JudgedCertificate[];
  /** SHA-256 of every certificate inside `values`: what Exchange Online shows, for membership. */
  certificatesIn(values: readonly Uint8Array[]): ReadonlySet<string>;
}
