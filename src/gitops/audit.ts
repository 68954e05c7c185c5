// Writes the audit record of an apply into the configuration repository and commits it, so that
// git history is the audit trail (who, when, which plan, which pull request, what happened). Only
// the record's own file goes into the commit, whatever else is staged; `push` sends it upstream
// and retries over a concurrent push, which is safe because every record has its own file.
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { SimpleGit } from "simple-git";
import { SmimesyncError } from "../errors.js";
import type { Plan } from "../plan/types.js";
import {
  type AuditActor,
  type AuditApproval,
  type AuditRecord,
  auditCommitMessage,
  buildAuditRecord,
  type ChangeOutcome,
} from "./audit-record.js";
import { gitAt, repoRoot, resolveCommit } from "./git.js";
import { githubRun } from "./github-env.js";

export const AUDIT_DIR = "audit";

/** `audit/YYYY/MM/<timestamp>-<planid>.json`, repository-relative, UTC. */
export function auditRecordPath(appliedAt: Date, planId: string): string {
  const iso = appliedAt.toISOString(); // 2025-01-02T03:04:05.678Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}T${iso.slice(11, 19).replace(/:/g, "")}Z`;
  const safeId = planId.replace(/[^A-Za-z0-9._-]/g, "_");
  return `${AUDIT_DIR}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${stamp}-${safeId}.json`;
}

/** Who applied: the GitHub actor in Actions, else the local git user (user.name / user.email). */
export async function resolveActor(env: NodeJS.ProcessEnv, repoDir: string): Promise<AuditActor> {
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_ACTOR) {
    const id = env.GITHUB_ACTOR_ID;
    const email = id ? `${id}+${env.GITHUB_ACTOR}@users.noreply.github.com` : null;
    return { name: env.GITHUB_ACTOR, email, source: "github" };
  }
  const { name, email } = await gitIdentity(gitAt(repoDir));
  if (name || email) return { name: name || (email as string), email: email || null, source: "git-config" };
  return { name: env.USER || env.USERNAME || "unknown", email: null, source: "unknown" };
}

async function gitIdentity(git: SimpleGit): Promise<{ name: string; email: string }> {
  // `git config --get` exits 1 silently for an unset key, which simple-git resolves as "".
  const get = async (key: string) => {
    try {
      return (await git.raw(["config", "--get", key])).trim();
    } catch {
      return "";
    }
  };
  return { name: await get("user.name"), email: await get("user.email") };
}

export interface RecordApplyInput {
  readonly repoDir: string;
  readonly plan: Plan;
  readonly planHash: string;
  readonly outcomes: readonly ChangeOutcome[];
  readonly approval: AuditApproval;
  /** Change id -> ids of the approved plans that showed it. */
  readonly approvedBy?: ReadonlyMap<string, readonly string[]>;
  readonly env: NodeJS.ProcessEnv;
  /** Defaults to now; tests pass a fixed time. */
  readonly appliedAt?: Date;
  readonly push?: boolean;
  /** Defaults to `origin`. */
  readonly remote?: string;
  /** Repository-relative path chosen when the journal was started (see audit-journal.ts). */
  readonly path?: string;
  /** The run's journal: removed once the record is committed. */
  readonly journal?: { remove(): Promise<void> };
}

export interface RecordApplyResult {
  readonly record: AuditRecord;
  /** Repository-relative path of the committed file. */
  readonly path: string;
  readonly commit: string;
  readonly message: string;
  readonly pushed: boolean;
}

/** What apply calls once it has an outcome per change: writes, commits and optionally pushes. */
export async function recordApply(input: RecordApplyInput): Promise<RecordApplyResult> {
  const root = await repoRoot(input.repoDir);
  if (root === null) {
    throw new SmimesyncError(
      "GIT_REFUSED",
      `${input.repoDir} is not in a git repository: the audit record cannot be committed.`,
      {
        hint: "Run apply inside the configuration repository (or pass -C DIR).",
      },
    );
  }
  const git = gitAt(root);
  const appliedAt = input.appliedAt ?? new Date();
  const record = buildAuditRecord({
    plan: input.plan,
    planHash: input.planHash,
    outcomes: input.outcomes,
    approval: input.approval,
    ...(input.approvedBy ? { approvedBy: input.approvedBy } : {}),
    appliedAt,
    actor: await resolveActor(input.env, root),
    github: githubRun(input.env),
    headCommit: await resolveCommit(git, "HEAD"),
  });
  // The journal's path when apply kept one (chosen before the first write), else a fresh one.
  const path = input.path ?? uniquePath(root, auditRecordPath(appliedAt, input.plan.id));
  await mkdir(join(root, path, ".."), { recursive: true });
  await writeFile(join(root, path), `${JSON.stringify(record, null, 2)}\n`, {
    flag: input.path ? "w" : "wx",
  });
  const message = auditCommitMessage(record);
  const identity = await identityArgs(git, input.env);
  await commitRecordFile(git, identity, path, message);
  const commit = (await resolveCommit(git, "HEAD")) as string;
  await input.journal?.remove();
  let pushed = false;
  if (input.push) {
    await pushWithRetry(git, identity, input.remote ?? "origin", await currentBranch(git, input.env));
    pushed = true;
  }
  return { record, path, commit, message, pushed };
}

/**
 * Commits one record file alone. `commit -- <path>` commits only the record even when the operator
 * has other changes staged. The message goes through a file (`-F`), never the argument list: its
 * size is not bounded by the OS's argument limit (E2BIG), whatever the size of the apply.
 */
export async function commitRecordFile(
  git: SimpleGit,
  identity: readonly string[],
  path: string,
  message: string,
): Promise<void> {
  await git.raw(["add", "--", path]);
  const messageFile = await gitPath(git, "SMIMESYNC_AUDIT_MSG");
  await writeFile(messageFile, message);
  try {
    await git.raw([...identity, "commit", "--quiet", "--no-verify", "-F", messageFile, "--", path]);
  } finally {
    await rm(messageFile, { force: true });
  }
}

/** A path inside the repository's git directory (`git rev-parse --git-path`), absolute. */
async function gitPath(git: SimpleGit, name: string): Promise<string> {
  const p = (await git.raw(["rev-parse", "--git-path", name])).trim();
  return isAbsolute(p) ? p : join((await git.raw(["rev-parse", "--show-toplevel"])).trim(), p);
}

/**
 * Refuses, before apply writes anything, when git could not commit the audit record: a leftover
 * `index.lock` (a git process killed mid-way, or one still running) would otherwise surface only
 * after every write.
 */
export async function assertAuditCommittable(repoDir: string): Promise<void> {
  const root = await repoRoot(repoDir);
  if (root === null) return;
  const lock = await gitPath(gitAt(root), "index.lock");
  if (existsSync(lock)) {
    throw new SmimesyncError(
      "GIT_REFUSED",
      `${lock} exists: git is busy or was interrupted, so the audit record could not be committed. Nothing was written.`,
      {
        hint: `If no other git command is running in this repository, remove it (rm "${lock}") and run apply again.`,
      },
    );
  }
}

export function uniquePath(root: string, path: string): string {
  if (!existsSync(join(root, path))) return path;
  for (let i = 2; ; i++) {
    const candidate = path.replace(/\.json$/, `-${i}.json`);
    if (!existsSync(join(root, candidate))) return candidate;
  }
}

/**
 * A committer for runners without a git identity (GitHub's hosted runners have none): the
 * github-actions bot in Actions, as `-c` options so that nothing else of the environment changes.
 * Elsewhere a missing identity is the operator's to set.
 */
export async function identityArgs(git: SimpleGit, env: NodeJS.ProcessEnv): Promise<string[]> {
  const { name, email } = await gitIdentity(git);
  if (name && email) return [];
  if (env.GITHUB_ACTIONS === "true") {
    return [
      "-c",
      "user.name=github-actions[bot]",
      "-c",
      "user.email=41898282+github-actions[bot]@users.noreply.github.com",
    ];
  }
  throw new SmimesyncError(
    "GIT_REFUSED",
    "git has no user.name / user.email here: the audit record cannot be committed.",
    {
      hint: 'Set them: git config user.name "Your Name" && git config user.email you@example.com',
    },
  );
}

async function currentBranch(git: SimpleGit, env: NodeJS.ProcessEnv): Promise<string> {
  const name = (await git.raw(["rev-parse", "--abbrev-ref", "HEAD"])).trim();
  if (name && name !== "HEAD") return name;
  // Detached HEAD (actions/checkout of a SHA): the branch the workflow ran for.
  if (env.GITHUB_REF?.startsWith("refs/heads/")) return env.GITHUB_REF.slice("refs/heads/".length);
  throw new SmimesyncError(
    "GIT_REFUSED",
    "HEAD is detached, so there is no branch to push the audit record to.",
    {
      hint: "Check out the branch (or run without --push and push the audit commit yourself).",
    },
  );
}

const PUSH_ATTEMPTS = 4;

async function pushWithRetry(
  git: SimpleGit,
  identity: string[],
  remote: string,
  branch: string,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await git.raw(["push", "--quiet", remote, `HEAD:refs/heads/${branch}`]);
      return;
    } catch (e) {
      if (attempt >= PUSH_ATTEMPTS) {
        throw new SmimesyncError(
          "GIT_REFUSED",
          `Could not push the audit record to ${remote}/${branch}: ${firstLine(e)}`,
          {
            hint: "The record is committed locally: push it by hand, and check that the workflow may push (permissions: contents: write; branch protection).",
            cause: e,
          },
        );
      }
      // Another apply (or a merge) pushed first. Records never collide, so a rebase is safe.
      try {
        await git.raw([...identity, "pull", "--quiet", "--rebase", remote, branch]);
      } catch (pullError) {
        await git.raw(["rebase", "--abort"]).catch(() => undefined);
        throw new SmimesyncError(
          "GIT_REFUSED",
          `Could not rebase the audit record onto ${remote}/${branch}: ${firstLine(pullError)}`,
          {
            hint: "The record is committed locally: rebase and push it by hand.",
            cause: pullError,
          },
        );
      }
    }
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split("\n").find((l) => l.trim() !== "") ?? msg;
}
