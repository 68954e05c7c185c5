// The plan is data (after Terraform's internal/plans): what was observed, what will change and why.
// Rendering lives in render/, the file format in plan-file.ts; apply reads only `objects` and
// `changes` (never a reason) to decide what to write.
import type { CertAttribute } from "../model/attributes.js";
import type { ObjectFingerprint } from "../model/fingerprint.js";
import { REJECT_REASONS, type RejectReason } from "../model/reasons.js";
import type { RecipientKind } from "../tenant/types.js";

export const PLAN_FORMAT_VERSION = 1;

/** Where a recipient's certificates are written (architecture.md, "Authority"). */
export type Authority = "ad" | "exchange";

// The enumerations are also runtime lists so the JSON Schema can be checked against them
// (test/plan/schema.test.ts): adding a member here without adding it to schemas/plan.schema.json
// fails a test instead of producing plans that `loadPlan` refuses.
export const CHANGE_ACTIONS = ["publish", "remove"] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** Why a value is published. */
export const PUBLISH_REASONS = [
  "declared-in-repo",
  "derived-pkcs7",
  "from-other-attribute",
  "normalized-der",
] as const;
export type PublishReason = (typeof PUBLISH_REASONS)[number];

/** Why a value is (or would be) removed: the policy's rejection codes plus selection outcomes. */
export const REMOVE_REASONS = REJECT_REASONS;
export type RemoveReason = RejectReason;

/** Why a CA is added to (`ca-in-repo`) or removed from the tenant's S/MIME trust collection. */
export const TRUST_REASONS = ["ca-in-repo", "ca-not-in-repo"] as const;
export type TrustReason = (typeof TRUST_REASONS)[number];

export type ChangeReason = PublishReason | RemoveReason | TrustReason;

/** The trust collection's attribute (Exchange's parameter, trust-collection.ts in model/). */
export type TrustAttribute = "SMIMECertificateIssuingCA";
/** What a change edits: a recipient's certificate attribute or the tenant's trust collection. */
export type ChangeAttribute = CertAttribute | TrustAttribute;

/** What the plan shows of a certificate: enough to recognise it, never the key or the base64 in text. */
export interface CertificateRef {
  /** SHA-1 thumbprint of the DER, 40 hex digits (either case; Windows shows upper case). */
  readonly sha1: string;
  /** SHA-256 of the DER, 64 hex digits (either case). */
  readonly sha256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  /** ISO 8601 date-time (RFC 3339), e.g. `2027-03-01T00:00:00.000Z`. */
  readonly notBefore: string;
  readonly notAfter: string;
  /** rfc822Name SANs and subject e-mail, as in the certificate. */
  readonly emails: readonly string[];
}

/** The `type`s of ObjectRef, in schema order (test/plan/schema.test.ts compares them). */
export const OBJECT_REF_TYPES = [
  "ad",
  "exchange",
  "exchange-new-contact",
  "exchange-smime-config",
  "ad-new-contact",
] as const;

/** How apply finds the object again (or, for the `*-new-contact` types, what it creates). */
export type ObjectRef =
  | { readonly type: "ad"; readonly objectGuid: string; readonly dn: string }
  | { readonly type: "exchange"; readonly kind: RecipientKind; readonly identity: string }
  /** A partner mail contact that does not exist yet: apply creates it (New-MailContact). */
  | { readonly type: "exchange-new-contact"; readonly name: string; readonly externalEmailAddress: string }
  /** A partner AD contact (authority: ad) that does not exist yet: apply adds it under `parentDn`. */
  | {
      readonly type: "ad-new-contact";
      readonly parentDn: string;
      readonly name: string;
      readonly mail: string;
    }
  /** The tenant's S/MIME trust collection (Get-/Set-SmimeConfig SMIMECertificateIssuingCA). */
  | { readonly type: "exchange-smime-config" };

/** Whether apply creates the object rather than updating one it finds again. */
export function isCreation(ref: ObjectRef): boolean {
  return ref.type === "exchange-new-contact" || ref.type === "ad-new-contact";
}

/** The authority a reference writes at: what `PlanObject.authority` must agree with. */
export function refAuthority(ref: ObjectRef): Authority {
  switch (ref.type) {
    case "ad":
    case "ad-new-contact":
      return "ad";
    case "exchange":
    case "exchange-new-contact":
    case "exchange-smime-config":
      return "exchange";
    default:
      return ref satisfies never;
  }
}

// The union and the list must name the same types.
type _RefTypesAgree = [ObjectRef["type"]] extends [(typeof OBJECT_REF_TYPES)[number]]
  ? [(typeof OBJECT_REF_TYPES)[number]] extends [ObjectRef["type"]]
    ? true
    : never
  : never;
export const REF_TYPES_AGREE: _RefTypesAgree = true;

export type ObjectKind = "user" | "contact" | "trust-collection";

/** Whether a plan object is a recipient (guards and recipient counts consider only those). */
export function isRecipient(object: Pick<PlanObject, "kind">): boolean {
  return object.kind !== "trust-collection";
}

/** One recipient touched by the plan. */
export interface PlanObject {
  /** Stable, human-readable key, e.g. `ad:user/alice@corp.example.com`. */
  readonly address: string;
  readonly authority: Authority;
  readonly kind: ObjectKind;
  readonly ref: ObjectRef;
  readonly mail: string | null;
  readonly userPrincipalName: string | null;
  /** What the plan saw; apply refuses to write the object when it differs (then it is stale). */
  readonly fingerprint: ObjectFingerprint | null;
}

export interface PlannedChange {
  /** Stable id: the same change planned twice has the same id (`changeId()` in ids.ts). */
  readonly id: string;
  readonly address: string;
  readonly authority: Authority;
  readonly attribute: ChangeAttribute;
  readonly action: ChangeAction;
  readonly reason: ChangeReason;
  /** One line for humans; explanation only, never read by apply. */
  readonly explanation: string;
  /** SHA-256 (lower-case hex) of the exact attribute value added or removed. */
  readonly valueSha256: string;
  readonly valueBytes: number;
  /**
   * The value itself (standard base64 with padding), present for `publish` and absent for
   * `remove`: apply writes exactly these bytes. Decode it with `changeValue()` (value.ts), which
   * checks it against `valueSha256` and `valueBytes`.
   */
  readonly value?: string;
  /** The certificate the value holds (the first one, for a PKCS#7); null when it does not parse. */
  readonly certificate: CertificateRef | null;
}

/** A change to a recipient's certificate attribute (not to the tenant's trust collection). */
export type CertChange = PlannedChange & { readonly attribute: CertAttribute };

export function isCertChange(c: PlannedChange): c is CertChange {
  return c.attribute !== "SMIMECertificateIssuingCA";
}

export const DRIFT_KINDS = [
  "sync-pending",
  "sync-blocked-over-limit",
  "no-cloud-counterpart",
  "join-fallback-upn",
  "mirror-stale-value",
  "provisioning-error",
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface DriftItem {
  readonly kind: DriftKind;
  readonly address: string;
  readonly attribute?: CertAttribute;
  readonly message: string;
}

export interface PlanWarning {
  readonly code: string;
  readonly address?: string;
  readonly message: string;
}

export interface PlanSummary {
  readonly publish: number;
  readonly remove: number;
  /** Recipients with at least one change. */
  readonly recipients: number;
  /** Values that policy rejects but whose reason is not pruned. */
  readonly wouldRemove: number;
  readonly drift: number;
  readonly warnings: number;
  /** Recipients in scope (the base of the percentage guard). */
  readonly inScope: number;
}

export interface PlanSource {
  /** Path of the config, relative to the repository root when in git, else as given. */
  readonly configPath: string;
  /** SHA-256 of the config file's bytes. */
  readonly configHash: string;
  readonly git: { readonly commit: string; readonly dirty: boolean } | null;
  readonly directory: string;
  readonly tenant: string;
}

/**
 * The plan as data. Build one with `assemblePlan()` (assemble.ts), which sorts, counts and names it
 * so the same inputs give the same document. Order: `objects` by address; `changes` and
 * `wouldRemove` by address, attribute, then removals before publications (so a recipient at the
 * 15-value limit has room), then valueSha256.
 */
export interface Plan {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  /** `planId()` in ids.ts: the same content gives the same id whenever it was computed. */
  readonly id: string;
  readonly createdAt: string;
  /** The `now` the policy was evaluated at; the same inputs and policyTime give the same plan. */
  readonly policyTime: string;
  readonly tool: { readonly name: "smimesync"; readonly version: string };
  readonly source: PlanSource;
  /**
   * Present only on a partial plan (`plan --target`): the targets it was restricted to, normalised
   * (targets.ts). Such a plan shows and approves the changes of those recipients only.
   */
  readonly targets?: readonly string[];
  readonly objects: readonly PlanObject[];
  readonly changes: readonly PlannedChange[];
  /** Removals the policy asks for but `prune` does not allow: reported, not executed. */
  readonly wouldRemove: readonly PlannedChange[];
  readonly drift: readonly DriftItem[];
  readonly warnings: readonly PlanWarning[];
  readonly summary: PlanSummary;
}

/**
 * Tamper evidence of a plan file (not a signature: whoever can edit the file can recompute it).
 * `hash` is the SHA-256, lower-case hex, of the canonical JSON (canonical-json.ts: sorted keys,
 * no whitespace, RFC 8785) of the document without its `integrity` member.
 */
export interface PlanIntegrity {
  readonly algorithm: "sha256";
  readonly hash: string;
}

/** What a plan file holds (schemas/plan.schema.json): the plan plus its integrity. */
export interface PlanDocument extends Plan {
  readonly integrity: PlanIntegrity;
}

/** Action symbols in Terraform's style. */
export const ACTION_SYMBOL: Readonly<Record<ChangeAction, string>> = { publish: "+", remove: "-" };

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}
