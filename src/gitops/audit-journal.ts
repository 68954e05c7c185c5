// The audit journal: apply's record of what it is about to write, on disk before the first write
// and completed with each outcome as it happens, so that a killed apply still leaves an audit
// trail. It lives in the configuration repository, uncommitted (audit/.journal/<record>.jsonl):
// the run commits the record and removes it; a later plan or apply that finds one left over
// completes it ("interrupted: outcomes unknown for N changes") and commits that record.
//
// Format, one JSON value per line: a header holding the record as it would be with no outcome
// and the path it is committed under, then `{"start":[ids]}` before each object's write and
// `{"outcomes":[...]}` after it. Lines are appended with synchronous writes and fdatasync, so an
// outcome is on disk before the next object starts; a line torn by a kill is ignored.
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SmimesyncError } from "../errors.js";
import type { Plan } from "../plan/types.js";
import {
  AUDIT_DIR,
  auditRecordPath,
  commitRecordFile,
  identityArgs,
  resolveActor,
  uniquePath,
} from "./audit.js";
import {
  type AuditApproval,
  type AuditChange,
  type AuditRecord,
  auditCommitMessage,
  auditRecordProblems,
  buildAuditRecord,
  type ChangeOutcome,
  summarize,
} from "./audit-record.js";
import { gitAt, repoRoot, resolveCommit } from "./git.js";
import { githubRun } from "./github-env.js";

/** Repository-relative directory of the journals (untracked: `git status` shows a leftover one). */
export const JOURNAL_DIR = `${AUDIT_DIR}/.journal`;

const JOURNAL_FORMAT = 1;

interface JournalHeader {
  readonly journal: typeof JOURNAL_FORMAT;
  /** Repository-relative path the completed record is committed under. */
  readonly recordPath: string;
  readonly record: AuditRecord;
}

export interface BeginJournalInput {
  readonly repoDir: string;
  readonly plan: Plan;
  readonly planHash: string;
  readonly approval: AuditApproval;
  readonly approvedBy?: ReadonlyMap<string, readonly string[]>;
  readonly env: NodeJS.ProcessEnv;
  /** Defaults to now; tests pass a fixed time. */
  readonly startedAt?: Date;
}

/** An open journal: apply calls `started` before and `finished` after each object's write. */
export class AuditJournal {
  readonly #fd: number;
  #closed = false;

  private constructor(
    /** Absolute path of the journal file. */
    readonly file: string,
    /** Repository-relative path of the record it becomes. */
    readonly recordPath: string,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /**
   * Writes the journal's header, durably, before anything is written. Undefined outside git (no
   * audit record then). Refuses (GIT_REFUSED) when git could not commit the record: a missing
   * identity would otherwise surface only after every write.
   */
  static async begin(input: BeginJournalInput): Promise<AuditJournal | undefined> {
    const root = await repoRoot(input.repoDir);
    if (root === null) return undefined;
    const git = gitAt(root);
    await identityArgs(git, input.env);
    const startedAt = input.startedAt ?? new Date();
    const record = buildAuditRecord({
      plan: input.plan,
      planHash: input.planHash,
      outcomes: [],
      approval: input.approval,
      ...(input.approvedBy ? { approvedBy: input.approvedBy } : {}),
      appliedAt: startedAt,
      actor: await resolveActor(input.env, root),
      github: githubRun(input.env),
      headCommit: await resolveCommit(git, "HEAD"),
    });
    const recordPath = uniquePath(root, auditRecordPath(startedAt, input.plan.id));
    const name = recordPath
      .slice(AUDIT_DIR.length + 1)
      .replace(/\//g, "-")
      .replace(/\.json$/, "");
    const file = join(root, JOURNAL_DIR, `${name}.jsonl`);
    mkdirSync(dirname(file), { recursive: true });
    const fd = openSync(file, "wx", 0o644);
    const journal = new AuditJournal(file, recordPath, fd);
    const header: JournalHeader = { journal: JOURNAL_FORMAT, recordPath, record };
    journal.#append(header);
    syncDirectory(dirname(file));
    return journal;
  }

  /** Before an object's write: these changes are being written. */
  started(changeIds: readonly string[]): void {
    this.#append({ start: changeIds });
  }

  /** After an object's write: what became of its changes. */
  finished(outcomes: readonly ChangeOutcome[]): void {
    this.#append({ outcomes });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }

  /** Once the record is committed. */
  async remove(): Promise<void> {
    this.close();
    await rm(this.file, { force: true });
  }

  #append(value: unknown): void {
    if (this.#closed) return;
    writeSync(this.#fd, `${JSON.stringify(value)}\n`);
    fdatasyncSync(this.#fd);
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory (Windows): the file itself is synced.
  }
}

/** A leftover journal a run completed and committed. */
export interface RecoveredJournal {
  readonly journal: string;
  readonly path: string;
  readonly commit: string;
  readonly planId: string;
  readonly startedAt: string;
  /** Changes being written when the apply stopped. */
  readonly unknown: number;
  /** Changes it never started. */
  readonly notAttempted: number;
  /** True when the run had committed its record already and only the journal was left. */
  readonly alreadyCommitted: boolean;
}

/**
 * Completes and commits the record of every journal an interrupted apply left in the repository
 * of `repoDir` (oldest first); nothing outside git. Throws GIT_REFUSED when one cannot be read or
 * committed, naming it.
 */
export async function recoverJournals(
  repoDir: string,
  env: NodeJS.ProcessEnv,
  now: Date = new Date(),
): Promise<RecoveredJournal[]> {
  const root = await repoRoot(repoDir);
  if (root === null) return [];
  const dir = join(root, JOURNAL_DIR);
  if (!existsSync(dir)) return [];
  const names = (await readdir(dir)).filter((n) => n.endsWith(".jsonl")).sort();
  const recovered: RecoveredJournal[] = [];
  for (const name of names) recovered.push(await recoverOne(root, join(dir, name), env, now));
  return recovered;
}

async function recoverOne(
  root: string,
  file: string,
  env: NodeJS.ProcessEnv,
  now: Date,
): Promise<RecoveredJournal> {
  const shown = file.slice(root.length + 1);
  const refuse = (problem: string): never => {
    throw new SmimesyncError(
      "GIT_REFUSED",
      `${shown}, the journal of an interrupted apply, ${problem}: its audit record cannot be completed.`,
      {
        hint: "Look at it and commit what it says by hand, or move it out of the repository; then run again.",
      },
    );
  };
  const lines = (await readFile(file, "utf8")).split("\n");
  let header: JournalHeader | undefined;
  try {
    header = JSON.parse(lines[0] ?? "") as JournalHeader;
  } catch {
    // A kill while the header was written: nothing had been written to the directories yet.
  }
  if (header === undefined) {
    await rm(file, { force: true });
    return {
      journal: shown,
      path: "",
      commit: "",
      planId: "",
      startedAt: "",
      unknown: 0,
      notAttempted: 0,
      alreadyCommitted: true,
    };
  }
  if (header.journal !== JOURNAL_FORMAT || typeof header.recordPath !== "string") {
    return refuse("is not in a format this version reads");
  }
  const problems = auditRecordProblems(header.record);
  if (
    problems.length > 0 ||
    !/^audit\/[\w./-]+\.json$/.test(header.recordPath) ||
    header.recordPath.includes("..")
  ) {
    return refuse(`holds an invalid record (${problems[0] ?? header.recordPath})`);
  }
  const git = gitAt(root);
  const base = {
    journal: shown,
    path: header.recordPath,
    planId: header.record.plan.id,
    startedAt: header.record.appliedAt,
  };
  // Killed after its commit, before removing the journal: the record is in history already.
  const committed = await inHead(git, header.recordPath);
  if (committed) {
    await rm(file, { force: true });
    const commit = (await resolveCommit(git, "HEAD")) as string;
    return { ...base, commit, unknown: 0, notAttempted: 0, alreadyCommitted: true };
  }
  const started = new Set<string>();
  const outcomes = new Map<string, ChangeOutcome>();
  for (const line of lines.slice(1)) {
    let entry: { start?: unknown; outcomes?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // the empty last line, or one torn by the kill
    }
    if (Array.isArray(entry.start)) for (const id of entry.start) started.add(String(id));
    if (Array.isArray(entry.outcomes)) {
      for (const o of entry.outcomes as ChangeOutcome[]) outcomes.set(o.changeId, o);
    }
  }
  let unknown = 0;
  let notAttempted = 0;
  const changes: AuditChange[] = header.record.changes.map((c) => {
    const o = outcomes.get(c.changeId);
    if (o) return { ...c, outcome: o.outcome, message: o.message ?? null };
    if (started.has(c.changeId)) {
      unknown++;
      return {
        ...c,
        outcome: "unknown",
        message: "interrupted while this change was being written: it may or may not have been written",
      };
    }
    notAttempted++;
    return { ...c, outcome: "skipped", message: "not attempted: the apply was interrupted before it" };
  });
  const record: AuditRecord = {
    ...header.record,
    summary: summarize(changes),
    changes,
    interrupted: {
      completedAt: now.toISOString(),
      unknown,
      message: `interrupted: outcomes unknown for ${unknown} change${unknown === 1 ? "" : "s"}, ${notAttempted} not attempted; completed from its journal by a later run. Run \`smimesync plan\`: it shows what is still needed.`,
    },
  };
  const target = join(root, header.recordPath);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, `${JSON.stringify(record, null, 2)}\n`);
  try {
    await commitRecordFile(git, await identityArgs(git, env), header.recordPath, auditCommitMessage(record));
  } catch (e) {
    if (e instanceof SmimesyncError) throw e;
    return refuse(`could not be committed (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`);
  }
  await rm(file, { force: true });
  const commit = (await resolveCommit(git, "HEAD")) as string;
  return { ...base, commit, unknown, notAttempted, alreadyCommitted: false };
}

async function inHead(git: ReturnType<typeof gitAt>, path: string): Promise<boolean> {
  try {
    return (await git.raw(["ls-tree", "--name-only", "HEAD", "--", path])).trim() !== "";
  } catch {
    return false; // no commit yet
  }
}

/** What a run prints for a recovered journal. */
export function recoveredLine(r: RecoveredJournal): string {
  if (r.path === "")
    return `Removed ${r.journal}, the empty journal of an apply killed before its first write.`;
  if (r.alreadyCommitted) return `Removed ${r.journal}: its audit record ${r.path} was committed already.`;
  return (
    `Found the journal of an interrupted apply (plan ${r.planId.slice(0, 12)}, started ${r.startedAt}): ` +
    `outcomes unknown for ${r.unknown} change${r.unknown === 1 ? "" : "s"}, ${r.notAttempted} not attempted. ` +
    `Committed its audit record ${r.path} as ${r.commit.slice(0, 12)}.`
  );
}
