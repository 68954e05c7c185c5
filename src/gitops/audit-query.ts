// Answers "who published or removed which certificate, when, and why" from git history alone: the
// commits that added files under audit/, and each file as it was committed. No database, no index:
// a record deleted or edited later still answers from the commit that added it.
import { SmimesyncError } from "../errors.js";
import { AUDIT_DIR } from "./audit.js";
import { type AuditActor, type AuditChange, type AuditRecord, auditRecordProblems } from "./audit-record.js";
import { gitAt, repoRoot } from "./git.js";

export interface AuditQuery {
  /** The recipient's mail, or an e-mail address in the certificate; any case. */
  readonly mail?: string;
  /**
   * SHA-1 or SHA-256 thumbprint of the certificate (or SHA-256 of the value), any case, colons and
   * spaces allowed, a prefix of 4+ hex digits.
   */
  readonly thumbprint?: string;
  /** Only applies at or after this moment. */
  readonly since?: Date;
}

export interface AuditEntry {
  readonly commit: string;
  /** Author date of the audit commit (ISO 8601). */
  readonly committedAt: string;
  readonly appliedAt: string;
  readonly actor: AuditActor;
  readonly planId: string;
  readonly pullRequest: number | null;
  readonly runUrl: string | null;
  /** Repository-relative path of the record. */
  readonly path: string;
  readonly change: AuditChange;
}

export interface AuditReadProblem {
  readonly commit: string;
  readonly path: string;
  readonly problem: string;
}

export interface AuditQueryResult {
  /** Newest apply first; within one apply, in plan order. */
  readonly entries: readonly AuditEntry[];
  /** Records that could not be read (not JSON, not matching the schema): reported, not hidden. */
  readonly problems: readonly AuditReadProblem[];
}

const RECORD_PATH = /^audit\/\d{4}\/\d{2}\/[^/]+\.json$/;

export async function queryAudit(repoDir: string, query: AuditQuery): Promise<AuditQueryResult> {
  const root = await repoRoot(repoDir);
  if (root === null) {
    throw new SmimesyncError(
      "GIT_REFUSED",
      `${repoDir} is not in a git repository: there is no audit history to read.`,
      {
        hint: "Run audit in the configuration repository, or pass -C DIR.",
      },
    );
  }
  const thumb = query.thumbprint === undefined ? undefined : normaliseThumbprint(query.thumbprint);
  const mail = query.mail?.trim().toLowerCase();
  const git = gitAt(root);
  const entries: AuditEntry[] = [];
  const problems: AuditReadProblem[] = [];
  for (const { commit, date, paths } of await auditCommits(git)) {
    for (const path of paths) {
      const read = await readRecord(git.raw.bind(git), commit, path);
      if (typeof read === "string") {
        problems.push({ commit, path, problem: read });
        continue;
      }
      if (query.since && Date.parse(read.appliedAt) < query.since.getTime()) continue;
      for (const change of read.changes) {
        if (mail !== undefined && !mailMatches(change, mail)) continue;
        if (thumb !== undefined && !thumbprintMatches(change, thumb)) continue;
        entries.push({
          commit,
          committedAt: date,
          appliedAt: read.appliedAt,
          actor: read.actor,
          planId: read.plan.id,
          pullRequest: read.github?.pullRequest ?? null,
          runUrl: read.github?.runUrl ?? null,
          path,
          change,
        });
      }
    }
  }
  entries.sort((a, b) => Date.parse(b.appliedAt) - Date.parse(a.appliedAt));
  return { entries, problems };
}

/**
 * The config commit of the newest apply that wrote everything it planned: the "last applied
 * commit" after which merged pull requests still wait for their approved plans. Unattended runs
 * (`reconcile.autoApply`, a subset of the plan), targeted ones (`--target`) and applies that left changes stale, failed or
 * skipped do not count, nor do records made from uncommitted config. Null when there is none.
 */
export async function lastAppliedCommit(repoDir: string): Promise<string | null> {
  const root = await repoRoot(repoDir);
  if (root === null) return null;
  const git = gitAt(root);
  for (const { commit, paths } of await auditCommits(git)) {
    for (const r of await recordsOf(git, commit, paths)) {
      if (r.approval?.kind === "unattended" || r.plan.targets !== undefined) continue;
      if (r.changes.some((c) => c.outcome !== "applied")) continue;
      const applied =
        r.configCommit !== undefined ? r.configCommit : r.plan.dirty === false ? r.plan.commit : null;
      if (applied !== null) return applied;
    }
  }
  return null;
}

/** The newest apply recorded in git, and the recipients it wrote (for `smimesync status`). */
export interface LastApply {
  readonly commit: string;
  readonly appliedAt: string;
  readonly planId: string;
  /** Addresses with a change written, or possibly written (applied, unconfirmed, unknown). */
  readonly touched: readonly string[];
}

/**
 * The newest audit record of any apply (unattended ones and partial ones too: what they wrote
 * waits for Entra Connect all the same). Null outside git or when no record is readable.
 */
export async function lastApply(repoDir: string): Promise<LastApply | null> {
  const root = await repoRoot(repoDir);
  if (root === null) return null;
  const git = gitAt(root);
  for (const { commit, paths } of await auditCommits(git)) {
    const newest = (await recordsOf(git, commit, paths))[0];
    if (newest === undefined) continue;
    const touched = new Set(
      newest.changes
        .filter((c) => c.outcome !== "stale" && c.outcome !== "failed" && c.outcome !== "skipped")
        .map((c) => c.address),
    );
    return { commit, appliedAt: newest.appliedAt, planId: newest.plan.id, touched: [...touched].sort() };
  }
  return null;
}

/**
 * The readable records a commit added, newest first (one per commit, but a hand-made commit may
 * hold more); unreadable ones are passed over.
 */
async function recordsOf(
  git: ReturnType<typeof gitAt>,
  commit: string,
  paths: readonly string[],
): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (const path of paths) {
    const read = await readRecord(git.raw.bind(git), commit, path);
    if (typeof read !== "string") records.push(read);
  }
  return records.sort((a, b) => Date.parse(b.appliedAt) - Date.parse(a.appliedAt));
}

interface LogCommit {
  readonly commit: string;
  readonly date: string;
  readonly paths: string[];
}

/** The commits that added audit records, newest first; none in a repository without commits. */
async function auditCommits(git: ReturnType<typeof gitAt>): Promise<LogCommit[]> {
  const hasCommits =
    (await git.raw(["rev-parse", "--verify", "--quiet", "HEAD"]).catch(() => "")).trim() !== "";
  if (!hasCommits) return [];
  const log = await git.raw([
    "log",
    "--diff-filter=A",
    "--name-only",
    "--format=commit %H %aI",
    "--",
    `${AUDIT_DIR}/`,
  ]);
  return parseLog(log);
}

function parseLog(out: string): LogCommit[] {
  const commits: LogCommit[] = [];
  let current: LogCommit | undefined;
  for (const line of out.split("\n")) {
    const m = /^commit ([0-9a-f]{40,64}) (\S+)$/.exec(line);
    if (m) {
      current = { commit: m[1] as string, date: m[2] as string, paths: [] };
      commits.push(current);
    } else if (current && RECORD_PATH.test(line.trim())) {
      current.paths.push(line.trim());
    }
  }
  return commits;
}

async function readRecord(
  raw: (args: string[]) => Promise<string>,
  commit: string,
  path: string,
): Promise<AuditRecord | string> {
  let data: unknown;
  try {
    data = JSON.parse(await raw(["show", `${commit}:${path}`]));
  } catch (e) {
    return `not readable as JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  const problems = auditRecordProblems(data);
  return problems.length === 0
    ? (data as AuditRecord)
    : `does not match schemas/audit.schema.json: ${problems.join("; ")}`;
}

/** Lower-case hex without separators; USAGE error unless it is 4 to 64 hex digits. */
export function normaliseThumbprint(t: string): string {
  const hex = t.replace(/[\s:]/g, "").toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(hex)) {
    throw new SmimesyncError("USAGE", `"${t}" is not a certificate thumbprint`, {
      hint: "Give a SHA-1 (40 hex digits) or SHA-256 (64) thumbprint, or a prefix of at least 4 digits.",
    });
  }
  return hex;
}

function mailMatches(c: AuditChange, mail: string): boolean {
  if (c.mail?.toLowerCase() === mail) return true;
  return c.certificate?.emails.some((e) => e.toLowerCase() === mail) ?? false;
}

function thumbprintMatches(c: AuditChange, hex: string): boolean {
  // The value's own hash too: a PKCS#7 blob, or a value that did not parse as a certificate.
  if (c.valueSha256.toLowerCase().startsWith(hex)) return true;
  const cert = c.certificate;
  if (!cert) return false;
  return cert.sha1.toLowerCase().startsWith(hex) || cert.sha256.toLowerCase().startsWith(hex);
}
