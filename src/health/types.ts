// After-apply health as data (schemas/status.schema.json): for each recipient, whether Exchange
// Online now holds what its authority holds. Entra Connect carries AD's values up on its own
// schedule, so right after an apply most AD recipients are `pending`; Argo CD's health statuses,
// for certificates.
import type { CertAttribute } from "../model/attributes.js";
import type { Authority, ObjectKind } from "../plan/types.js";

export const STATUS_FORMAT_VERSION = 1;

/**
 * - `synced`: Exchange Online holds exactly the authority's values (or is the authority);
 * - `pending`: they differ and the next Entra Connect cycle should carry the difference up;
 * - `blocked`: they differ and waiting will not help (over 15 values at the authority, a
 *   provisioning error Entra ID reports, the user no longer synchronised).
 */
export const HEALTH_STATUSES = ["synced", "pending", "blocked"] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** Why a recipient is not synced: the plan's drift kinds, and what blocks the sync. */
export const HEALTH_CAUSES = [
  "sync-pending",
  "mirror-stale-value",
  "no-cloud-counterpart",
  "sync-blocked-over-limit",
  "provisioning-error",
  "sync-disabled",
] as const;
export type HealthCauseKind = (typeof HEALTH_CAUSES)[number];

export interface HealthCause {
  readonly kind: HealthCauseKind;
  readonly attribute: CertAttribute | null;
  readonly message: string;
}

/** How many values each side holds; `exchange` is null when there is no mirror to count. */
export interface ValueCounts {
  readonly authority: number;
  readonly exchange: number | null;
}

export interface RecipientHealth {
  readonly address: string;
  readonly mail: string | null;
  readonly authority: Authority;
  readonly kind: ObjectKind;
  readonly status: HealthStatus;
  /** Empty when synced; for pending and blocked, what differs and what stops it. */
  readonly causes: readonly HealthCause[];
  /** One line for humans. */
  readonly detail: string;
  readonly values: Readonly<Record<CertAttribute, ValueCounts>>;
}

export interface HealthSummary {
  readonly recipients: number;
  readonly synced: number;
  readonly pending: number;
  readonly blocked: number;
}

/** Which recipients were checked: those the last apply wrote, or every one in scope. */
export type HealthSelection =
  | {
      readonly kind: "last-apply";
      readonly auditCommit: string;
      readonly appliedAt: string;
      readonly planId: string;
      /** Addresses the apply wrote that are no longer in scope: not checked. */
      readonly notInScope: readonly string[];
    }
  | { readonly kind: "all" };

export interface HealthAssessment {
  readonly recipients: readonly RecipientHealth[];
  readonly summary: HealthSummary;
}

export interface WaitRecord {
  readonly timeoutSeconds: number;
  readonly polls: number;
  readonly elapsedSeconds: number;
  readonly timedOut: boolean;
}

/** The document `smimesync status --json` writes. */
export interface StatusDocument {
  readonly formatVersion: typeof STATUS_FORMAT_VERSION;
  readonly checkedAt: string;
  readonly source: { readonly configPath: string; readonly directory: string; readonly tenant: string };
  readonly selection: HealthSelection;
  readonly wait: WaitRecord | null;
  readonly recipients: readonly RecipientHealth[];
  readonly summary: HealthSummary;
}
