// The audit record of one apply (schemas/audit.schema.json): which plan, from which commit, run by
// whom, in which pull request and workflow run, and what became of each change. Built purely from
// the plan, apply's per-change outcomes and the environment; audit.ts writes and commits it.
import { shortThumbprint } from "../model/thumbprint.js";
import type { Authority, ChangeAction, ChangeAttribute, Plan, PlannedChange } from "../plan/types.js";
import validator from "../schemas/generated/audit.js";
import { version as toolVersion } from "../version.js";
import type { GitHubRun } from "./github-env.js";

export const AUDIT_FORMAT_VERSION = 1;

export const CHANGE_OUTCOMES = ["applied", "unconfirmed", "stale", "failed", "skipped"] as const;
export type ChangeOutcomeKind = (typeof CHANGE_OUTCOMES)[number];
/**
 * What a record may say of a change: apply's outcomes, plus `unknown` for a change an interrupted
 * apply was writing when it stopped (only a record completed from its journal holds it).
 */
export type AuditOutcomeKind = ChangeOutcomeKind | "unknown";

/**
 * What apply reports for each planned change. `message` says why a change was not applied (the
 * backend's WriteResult message, "object changed since the plan", "apply stopped after ...").
 */
export type ChangeOutcome =
  | { readonly changeId: string; readonly outcome: "applied"; readonly message?: string }
  | {
      readonly changeId: string;
      readonly outcome: "unconfirmed" | "stale" | "failed" | "skipped";
      readonly message: string;
    };

export interface AuditCertificate {
  readonly sha1: string;
  readonly sha256: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serial: string;
  readonly notAfter: string;
  readonly emails: readonly string[];
}

export interface AuditChange {
  readonly changeId: string;
  readonly outcome: AuditOutcomeKind;
  readonly message: string | null;
  readonly address: string;
  readonly authority: Authority;
  readonly mail: string | null;
  readonly attribute: ChangeAttribute;
  readonly action: ChangeAction;
  readonly reason: string;
  readonly valueSha256: string;
  readonly certificate: AuditCertificate | null;
  /** Ids of the approved plans that showed this change (apply with plan files). */
  readonly approvedBy?: readonly string[];
}

/** A plan file apply took as an approval. */
export interface AuditApprovedPlan {
  readonly id: string;
  /** The file's integrity hash. */
  readonly hash: string;
  readonly commit: string | null;
  readonly pullRequest: number | null;
}

/**
 * What approved the writes: plan files (the changes each showed), an operator answering "yes",
 * `--auto-approve`, or `reconcile.autoApply` in an unattended run (only the listed reasons).
 */
export type AuditApproval =
  | { readonly kind: "plan-files"; readonly plans: readonly AuditApprovedPlan[] }
  | { readonly kind: "confirmed" }
  | { readonly kind: "auto-approve" }
  | { readonly kind: "unattended"; readonly reasons: readonly string[] };

export interface AuditActor {
  readonly name: string;
  readonly email: string | null;
  readonly source: "github" | "git-config" | "unknown";
}

export interface AuditRecord {
  readonly formatVersion: typeof AUDIT_FORMAT_VERSION;
  readonly appliedAt: string;
  readonly tool: { readonly name: "smimesync"; readonly version: string };
  readonly plan: {
    readonly id: string;
    readonly hash: string;
    readonly createdAt: string;
    readonly configPath: string;
    readonly configHash: string;
    readonly commit: string | null;
    readonly dirty: boolean | null;
    /** A partial plan's targets (`--target`): only those recipients were planned and written. */
    readonly targets?: readonly string[];
  };
  readonly headCommit: string | null;
  /**
   * The commit whose config was applied (HEAD, with the config and its files committed); null
   * outside git or from uncommitted changes. `lastAppliedCommit` reads it.
   */
  readonly configCommit?: string | null;
  readonly approval?: AuditApproval;
  readonly actor: AuditActor;
  readonly github: {
    readonly repository: string;
    readonly runId: string;
    readonly runUrl: string;
    readonly pullRequest: number | null;
    readonly eventName: string | null;
    readonly sha: string | null;
  } | null;
  readonly summary: {
    readonly published: number;
    readonly removed: number;
    /** Written, but the service warned it may have changed nothing (absent in older records). */
    readonly unconfirmed?: number;
    readonly stale: number;
    readonly failed: number;
    readonly skipped: number;
    /** Changes an interrupted apply was writing when it stopped (only when there are some). */
    readonly unknown?: number;
  };
  readonly changes: readonly AuditChange[];
  /** Set when a later run completed this record from an interrupted apply's journal. */
  readonly interrupted?: AuditInterrupted;
}

export interface AuditInterrupted {
  readonly completedAt: string;
  readonly unknown: number;
  readonly message: string;
}

export interface AuditInput {
  readonly plan: Plan;
  /** The plan file's integrity hash (PlanDocument.integrity.hash), as verified by loadPlan. */
  readonly planHash: string;
  /** One per change apply attempted; a change without one is recorded as skipped. */
  readonly outcomes: readonly ChangeOutcome[];
  readonly appliedAt: Date;
  readonly actor: AuditActor;
  readonly github: GitHubRun | null;
  readonly headCommit: string | null;
  readonly approval: AuditApproval;
  /** Change id -> ids of the approved plans that showed it. */
  readonly approvedBy?: ReadonlyMap<string, readonly string[]>;
}

/** Pure: the record for one apply. Throws on an outcome for a change the plan does not hold (a bug). */
export function buildAuditRecord(input: AuditInput): AuditRecord {
  const { plan } = input;
  const byId = new Map<string, ChangeOutcome>();
  const known = new Set(plan.changes.map((c) => c.id));
  for (const o of input.outcomes) {
    if (!known.has(o.changeId))
      throw new Error(`audit: outcome for change ${o.changeId}, which is not in plan ${plan.id}`);
    byId.set(o.changeId, o);
  }
  const mailOf = new Map(plan.objects.map((o) => [o.address, o.mail]));
  const changes = plan.changes.map((c) =>
    auditChange(c, byId.get(c.id), mailOf.get(c.address) ?? null, input.approvedBy?.get(c.id)),
  );
  const gh = input.github;
  return {
    formatVersion: AUDIT_FORMAT_VERSION,
    appliedAt: input.appliedAt.toISOString(),
    tool: { name: "smimesync", version: toolVersion },
    plan: {
      id: plan.id,
      hash: input.planHash,
      createdAt: plan.createdAt,
      configPath: plan.source.configPath,
      configHash: plan.source.configHash,
      commit: plan.source.git?.commit ?? null,
      dirty: plan.source.git?.dirty ?? null,
      ...(plan.targets ? { targets: plan.targets } : {}),
    },
    headCommit: input.headCommit,
    configCommit: plan.source.git && !plan.source.git.dirty ? plan.source.git.commit : null,
    approval: input.approval,
    actor: input.actor,
    github: gh
      ? {
          repository: gh.repository,
          runId: gh.runId,
          runUrl: gh.runUrl,
          pullRequest: gh.pullRequest,
          eventName: gh.eventName,
          sha: gh.sha,
        }
      : null,
    summary: summarize(changes),
    changes,
  };
}

/** The record's summary: counts by outcome (unconfirmed and unknown only when there are some). */
export function summarize(changes: readonly AuditChange[]): AuditRecord["summary"] {
  const count = (pred: (c: AuditChange) => boolean) => changes.filter(pred).length;
  const unconfirmed = count((c) => c.outcome === "unconfirmed");
  const unknown = count((c) => c.outcome === "unknown");
  return {
    published: count((c) => c.outcome === "applied" && c.action === "publish"),
    removed: count((c) => c.outcome === "applied" && c.action === "remove"),
    // Only when there are some: records of applies without warnings keep their shape.
    ...(unconfirmed > 0 ? { unconfirmed } : {}),
    stale: count((c) => c.outcome === "stale"),
    failed: count((c) => c.outcome === "failed"),
    skipped: count((c) => c.outcome === "skipped"),
    ...(unknown > 0 ? { unknown } : {}),
  };
}

function auditChange(
  c: PlannedChange,
  o: ChangeOutcome | undefined,
  mail: string | null,
  approvedBy: readonly string[] | undefined,
): AuditChange {
  const cert = c.certificate;
  return {
    changeId: c.id,
    outcome: o ? o.outcome : "skipped",
    message: o ? (o.message ?? null) : "not attempted: apply reported no outcome for this change",
    address: c.address,
    authority: c.authority,
    mail,
    attribute: c.attribute,
    action: c.action,
    reason: c.reason,
    valueSha256: c.valueSha256,
    certificate: cert
      ? {
          sha1: cert.sha1,
          sha256: cert.sha256,
          subject: cert.subject,
          issuer: cert.issuer,
          serial: cert.serial,
          notAfter: cert.notAfter,
          emails: cert.emails,
        }
      : null,
    ...(approvedBy ? { approvedBy } : {}),
  };
}

/** Change lines in a commit message; the record file holds them all (a 5,000-change apply stays small). */
export const MESSAGE_CHANGE_LINES = 100;

/**
 * `smimesync: published 3, removed 1 (plan abc123, PR #42)`, then a line per change (at most
 * MESSAGE_CHANGE_LINES, each cut at 300 characters) and trailers.
 */
export function auditCommitMessage(r: AuditRecord): string {
  const s = r.summary;
  const counts = [`published ${s.published}`, `removed ${s.removed}`];
  if ((s.unconfirmed ?? 0) > 0) counts.push(`${s.unconfirmed} unconfirmed`);
  if (s.stale > 0) counts.push(`${s.stale} stale`);
  if (s.failed > 0) counts.push(`${s.failed} failed`);
  if (s.skipped > 0) counts.push(`${s.skipped} skipped`);
  if (r.interrupted) counts.unshift(`interrupted apply, outcomes unknown for ${r.interrupted.unknown}`);
  const where = [`plan ${shortId(r.plan.id)}`];
  const prs = approvalPullRequests(r);
  if (prs.length > 0) where.push(`PR${prs.length > 1 ? "s" : ""} ${prs.map((n) => `#${n}`).join(", ")}`);
  if (r.approval?.kind === "unattended") where.push("unattended");
  if (r.plan.targets) where.push(`partial: --target ${r.plan.targets.join(", ")}`.slice(0, 200));
  const subject = `smimesync: ${counts.join(", ")} (${where.join(", ")})`;
  const listed = r.changes.slice(0, MESSAGE_CHANGE_LINES);
  const lines = listed.map((c) => {
    const sym = c.action === "publish" ? "+" : "-";
    const who = c.mail ?? c.address;
    const cert = c.certificate
      ? ` ${c.certificate.subject}, thumbprint ${shortThumbprint(c.certificate.sha1)}`
      : "";
    const why = c.outcome === "applied" ? "" : `: ${c.message ?? ""}`.replace(/: $/, "");
    return `${sym} ${who} ${c.attribute}${cert} (${c.reason}) ${c.outcome}${why}`.slice(0, 300);
  });
  const rest = r.changes.length - listed.length;
  if (rest > 0) lines.push(`… and ${rest} more: every change is in the record file.`);
  const trailers = [
    `Smimesync-Plan: ${r.plan.id}`,
    `Smimesync-Plan-Hash: sha256:${r.plan.hash}`,
    ...(r.plan.commit ? [`Smimesync-Config-Commit: ${r.plan.commit}`] : []),
    ...(r.approval?.kind === "plan-files"
      ? r.approval.plans.map((p) => `Smimesync-Approved-Plan: ${p.id}`)
      : []),
    ...(r.github ? [`Smimesync-Run: ${r.github.runUrl}`] : []),
  ];
  return [subject, "", ...(lines.length > 0 ? [...lines, ""] : []), ...trailers].join("\n");
}

/** The pull requests whose approved plans the record names, else the run's own pull request. */
export function approvalPullRequests(r: AuditRecord): number[] {
  const fromPlans =
    r.approval?.kind === "plan-files"
      ? r.approval.plans.flatMap((p) => (p.pullRequest === null ? [] : [p.pullRequest]))
      : [];
  if (fromPlans.length > 0) return [...new Set(fromPlans)].sort((a, b) => a - b);
  return r.github?.pullRequest ? [r.github.pullRequest] : [];
}

export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

/** Schema check of a record read back from git (hand edits, newer format versions). */
export function auditRecordProblems(data: unknown): string[] {
  if (validator(data)) return [];
  const errors = (validator.errors ?? []) as { instancePath: string; message?: string }[];
  return errors.map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
}

export function isAuditRecord(data: unknown): data is AuditRecord {
  return auditRecordProblems(data).length === 0;
}
