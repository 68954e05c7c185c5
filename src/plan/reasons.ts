// Short, fixed descriptions of the plan's codes, for renderers and as reconcile's default
// explanation. A Record over the union so a new code without a description does not compile.
import type { ChangeReason, DriftKind } from "./types.js";

const REASONS: Readonly<Record<ChangeReason, string>> = {
  "declared-in-repo": "declared for this recipient in the repository",
  "derived-pkcs7": "PKCS#7 built from a selected certificate for Outlook",
  "from-other-attribute": "a selected certificate found in the recipient's other certificate attribute",
  "normalized-der": "a selected certificate found inside a value that is not plain DER, published as DER",
  "ca-in-repo": "a CA of policy.trustAnchors or intermediates, missing from the tenant's trust collection",
  "ca-not-in-repo": "a CA in the tenant's trust collection that the repository's policy does not name",
  malformed: "the value does not parse as a certificate",
  expired: "the certificate has expired",
  "not-yet-valid": "the certificate is not valid yet",
  "no-email-protection-eku": "the certificate is not for e-mail protection (extended key usage)",
  "key-usage-unfit": "the key usage does not allow S/MIME",
  "weak-key": "the key is too weak",
  "weak-signature": "the certificate is signed with a weak algorithm",
  "untrusted-issuer": "the certificate does not chain to a configured trust anchor",
  "chain-too-complex": "building the certificate's chain exceeded smimesync's work limits",
  revoked: "the certificate is revoked",
  "email-mismatch": "no e-mail address of the certificate belongs to the recipient",
  duplicate: "the same certificate is already published",
  superseded: "a newer certificate of the recipient replaces it",
  "over-limit": "more certificates than the configured maximum per recipient",
  "private-key": "the value holds a private key",
};

const DRIFT: Readonly<Record<DriftKind, string>> = {
  "sync-pending": "sync pending",
  "sync-blocked-over-limit": "sync blocked: more than 15 values",
  "no-cloud-counterpart": "no cloud counterpart",
  "join-fallback-upn": "joined by UPN, not source anchor",
  "mirror-stale-value": "stale value in the mirror",
  "provisioning-error": "provisioning error",
};

export function describeReason(reason: ChangeReason): string {
  return REASONS[reason];
}

export function describeDrift(kind: DriftKind): string {
  return DRIFT[kind];
}
