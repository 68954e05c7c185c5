// The coverage report as data (schemas/report.schema.json): who can receive encrypted mail now,
// until when, and who loses it week by week if nobody renews. Built by build.ts, rendered by
// render/; every date is relative to the plan's policy time, never the reader's clock.
import type { CertAttribute } from "../model/attributes.js";
import type { Authority, CertificateRef, ObjectKind } from "../plan/types.js";

export const REPORT_FORMAT_VERSION = 1;

/**
 * - `covered`: a usable certificate is at the authority and in Exchange Online (where Outlook looks);
 * - `blocked`: usable at the authority, not in Exchange Online, and something stops it getting
 *   there (over 15 values in AD, an Entra provisioning error, sync switched off);
 * - `pending`: usable at the authority, not yet in Exchange Online (Entra Connect has not run,
 *   or the recipient is not synchronised yet);
 * - `none`: no usable certificate at the authority.
 */
export const COVERAGE_STATUSES = ["covered", "blocked", "pending", "none"] as const;
export type CoverageStatus = (typeof COVERAGE_STATUSES)[number];

/** What stands between the authority's values and Exchange Online. */
export const BLOCKERS = ["over-limit", "provisioning-error", "sync-disabled"] as const;
export type Blocker = (typeof BLOCKERS)[number];

/** Days ahead the expiry figures look (cumulative: within 60 includes within 30). */
export const EXPIRY_WINDOWS = [30, 60, 90] as const;

/** A certificate senders can encrypt to, and when it stops being usable if nobody renews. */
export interface UsableCertificate {
  readonly certificate: CertificateRef;
  /** The certificate's notAfter, or an issuing CA's when that comes first. */
  readonly until: string;
  readonly limitedBy: "certificate" | "issuing-ca";
}

export interface RecipientCoverage {
  readonly address: string;
  readonly mail: string | null;
  readonly authority: Authority;
  readonly kind: ObjectKind;
  /** The AD container (parent DN), or a label for Exchange-only recipients. */
  readonly ou: string;
  readonly status: CoverageStatus;
  readonly blockers: readonly Blocker[];
  /**
   * The usable certificate that lasts longest: among those in Exchange Online for `covered`,
   * among those at the authority for `blocked` and `pending`; null for `none`.
   */
  readonly best: UsableCertificate | null;
  /** One line on why it is not covered (null when covered). */
  readonly note: string | null;
}

export interface Figures {
  readonly inScope: number;
  readonly covered: number;
  /** covered / inScope, 0..1; null when nothing is in scope. */
  readonly coverage: number | null;
  readonly pending: number;
  readonly none: number;
  /**
   * Recipients with a blocker (over 15 values in AD, a provisioning error, sync off), whatever
   * their status; `blockedCovered` of them are still covered by what Exchange Online holds.
   * covered + pending + none + (blocked - blockedCovered) = inScope.
   */
  readonly blocked: number;
  readonly blockedCovered: number;
  /** Covered recipients whose last usable certificate lapses within 30, 60, 90 days (cumulative). */
  readonly expiring: { readonly d30: number; readonly d60: number; readonly d90: number };
}

export interface Breakdown extends Figures {
  readonly key: string;
}

export interface CaExpiry {
  readonly source: "trust-anchor" | "intermediate" | "tenant-trust";
  readonly certificate: CertificateRef;
  /** Whole days from the policy time to notAfter; negative when already expired. */
  readonly daysLeft: number;
}

export interface ForecastEntry {
  readonly address: string;
  readonly mail: string | null;
  readonly ou: string;
  readonly certificate: CertificateRef;
  readonly until: string;
  readonly limitedBy: UsableCertificate["limitedBy"];
}

export interface ForecastWeek {
  /** 1-based: week 1 is the first 7 days after the policy time. */
  readonly week: number;
  /** Exclusive start and inclusive end instants (ISO 8601). */
  readonly from: string;
  readonly to: string;
  /** Covered recipients whose last usable certificate lapses in this week. */
  readonly losing: number;
  /** Recipients still covered at the end of the week if nobody renews. */
  readonly coveredAfter: number;
  readonly recipients: readonly ForecastEntry[];
}

export interface PrunedValue {
  readonly address: string;
  readonly attribute: CertAttribute;
  readonly reason: string;
  readonly certificate: CertificateRef | null;
}

export interface Report {
  readonly formatVersion: typeof REPORT_FORMAT_VERSION;
  readonly policyTime: string;
  readonly weeks: number;
  readonly source: { readonly configPath: string; readonly directory: string; readonly tenant: string };
  readonly figures: Figures & {
    /** Values the plan removes (prune on), and those it only reports (prune off). */
    readonly pruned: number;
    readonly wouldRemove: number;
  };
  readonly byOu: readonly Breakdown[];
  readonly byIssuer: readonly Breakdown[];
  /** CA certificates expired or expiring within the forecast window, soonest first. */
  readonly caExpiring: readonly CaExpiry[];
  readonly forecast: readonly ForecastWeek[];
  /** Every recipient in scope, by address. */
  readonly recipients: readonly RecipientCoverage[];
  readonly pruned: readonly PrunedValue[];
}
