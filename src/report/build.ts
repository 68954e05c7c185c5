// The report's figures from the per-recipient coverage: headline counts, breakdowns by OU and by
// issuing CA, CA certificates running out, and the week-by-week forecast. Pure; time is the plan's
// policy time.
import { type CertificateRef, isCertChange, type Plan } from "../plan/types.js";
import type { Managed } from "../reconcile/reconcile.js";
import { recipientCoverage } from "./coverage.js";
import type { CoverageJudge } from "./ports.js";
import {
  type Breakdown,
  type CaExpiry,
  EXPIRY_WINDOWS,
  type Figures,
  type ForecastWeek,
  REPORT_FORMAT_VERSION,
  type RecipientCoverage,
  type Report,
} from "./types.js";

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** A CA certificate the report watches, and where it is configured. */
export interface WatchedCa {
  readonly source: CaExpiry["source"];
  readonly certificate: CertificateRef;
}

export interface ReportInput {
  /** The plan computed from the same observed state: policy time, source, removals, drift. */
  readonly plan: Plan;
  /** Every recipient in scope, as reconcile joined them. */
  readonly recipients: readonly Managed[];
  readonly judge: CoverageJudge;
  /**
   * Trust anchors and intermediates of the policy; the tenant's S/MIME trust collection
   * (Get-SmimeConfig) joins them as `tenant-trust` once the tenant backend reads it.
   */
  readonly cas: readonly WatchedCa[];
  readonly weeks: number;
}

export function buildReport(input: ReportInput): Report {
  return assembleReport({
    plan: input.plan,
    recipients: recipientCoverage(input.recipients, input.plan, input.judge),
    cas: input.cas,
    weeks: input.weeks,
  });
}

/** The figures from coverage already judged (buildReport's second half; golden fixtures start here). */
export function assembleReport(input: {
  readonly plan: Plan;
  readonly recipients: readonly RecipientCoverage[];
  readonly cas: readonly WatchedCa[];
  readonly weeks: number;
}): Report {
  const { plan, weeks, recipients } = input;
  const now = Date.parse(plan.policyTime);
  const pruned = plan.changes
    .filter(isCertChange)
    .filter((c) => c.action === "remove")
    .map((c) => ({
      address: c.address,
      attribute: c.attribute,
      reason: c.reason,
      certificate: c.certificate,
    }));
  return {
    formatVersion: REPORT_FORMAT_VERSION,
    policyTime: plan.policyTime,
    weeks,
    source: {
      configPath: plan.source.configPath,
      directory: plan.source.directory,
      tenant: plan.source.tenant,
    },
    figures: { ...figuresOf(recipients, now), pruned: pruned.length, wouldRemove: plan.wouldRemove.length },
    byOu: breakdown(recipients, now, (r) => r.ou),
    byIssuer: breakdown(recipients, now, (r) => r.best?.certificate.issuer ?? NO_ISSUER),
    caExpiring: caExpiring(input.cas, now, weeks),
    forecast: forecast(recipients, now, weeks),
    recipients,
    pruned,
  };
}

/** Code-unit order: the same on every machine and locale. */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const NO_ISSUER = "(no usable certificate)";

/** Milliseconds from `now` to when a covered recipient's last usable certificate lapses. */
function left(r: RecipientCoverage, now: number): number | undefined {
  return r.status === "covered" && r.best ? Date.parse(r.best.until) - now : undefined;
}

export function figuresOf(recipients: readonly RecipientCoverage[], now: number): Figures {
  const count = (s: RecipientCoverage["status"]) => recipients.filter((r) => r.status === s).length;
  const within = (days: number) =>
    recipients.filter((r) => {
      const ms = left(r, now);
      return ms !== undefined && ms <= days * DAY_MS;
    }).length;
  const [d30, d60, d90] = EXPIRY_WINDOWS.map(within) as [number, number, number];
  const covered = count("covered");
  return {
    inScope: recipients.length,
    covered,
    coverage: recipients.length === 0 ? null : covered / recipients.length,
    pending: count("pending"),
    none: count("none"),
    blocked: recipients.filter((r) => r.blockers.length > 0).length,
    blockedCovered: recipients.filter((r) => r.blockers.length > 0 && r.status === "covered").length,
    expiring: { d30, d60, d90 },
  };
}

function breakdown(
  recipients: readonly RecipientCoverage[],
  now: number,
  keyOf: (r: RecipientCoverage) => string,
): Breakdown[] {
  const groups = new Map<string, RecipientCoverage[]>();
  for (const r of recipients) {
    const k = keyOf(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => byText(a, b))
    .map(([key, list]) => ({ key, ...figuresOf(list, now) }));
}

function caExpiring(cas: readonly WatchedCa[], now: number, weeks: number): CaExpiry[] {
  const horizon = now + weeks * WEEK_MS;
  const seen = new Set<string>();
  const out: CaExpiry[] = [];
  for (const ca of cas) {
    const notAfter = Date.parse(ca.certificate.notAfter);
    if (seen.has(ca.certificate.sha256) || notAfter > horizon) continue;
    seen.add(ca.certificate.sha256);
    out.push({ ...ca, daysLeft: Math.floor((notAfter - now) / DAY_MS) });
  }
  return out.sort(
    (a, b) =>
      byText(a.certificate.notAfter, b.certificate.notAfter) ||
      byText(a.certificate.subject, b.certificate.subject),
  );
}

/** Week w (1-based) holds the lapses in (now + 7(w-1) days, now + 7w days]; an instant at now is week 1. */
export function weekOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / WEEK_MS));
}

function forecast(recipients: readonly RecipientCoverage[], now: number, weeks: number): ForecastWeek[] {
  const byWeek = new Map<number, RecipientCoverage[]>();
  for (const r of recipients) {
    const ms = left(r, now);
    if (ms === undefined) continue;
    const w = weekOf(ms);
    if (w > weeks) continue;
    const list = byWeek.get(w);
    if (list) list.push(r);
    else byWeek.set(w, [r]);
  }
  let still = recipients.filter((r) => r.status === "covered").length;
  const out: ForecastWeek[] = [];
  for (let w = 1; w <= weeks; w++) {
    const losing = (byWeek.get(w) ?? [])
      .map((r) => {
        const best = r.best!;
        return {
          address: r.address,
          mail: r.mail,
          ou: r.ou,
          certificate: best.certificate,
          until: best.until,
          limitedBy: best.limitedBy,
        };
      })
      .sort((a, b) => byText(a.until, b.until) || byText(a.mail ?? a.address, b.mail ?? b.address));
    still -= losing.length;
    out.push({
      week: w,
      from: new Date(now + (w - 1) * WEEK_MS).toISOString(),
      to: new Date(now + w * WEEK_MS).toISOString(),
      losing: losing.length,
      coveredAfter: still,
      recipients: losing,
    });
  }
  return out;
}
