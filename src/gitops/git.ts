// Small helpers over simple-git shared by the gitops modules. simple-git only rejects when git
// exits non-zero *and* writes to stderr, so nothing here relies on an exit code alone: questions
// such as "is A an ancestor of B" are answered from git's output instead.
import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { type SimpleGit, simpleGit } from "simple-git";

export function gitAt(dir: string): SimpleGit {
  // core.quotepath=off: paths with non-ASCII characters come back as they are, not octal-escaped.
  return simpleGit({ baseDir: dir, config: ["core.quotepath=off"] });
}

/** The repository's top-level directory, or null when `dir` is not inside a work tree. */
export async function repoRoot(dir: string): Promise<string | null> {
  try {
    const out = (await gitAt(dir).raw(["rev-parse", "--show-toplevel"])).trim();
    return out === "" ? null : out;
  } catch {
    return null;
  }
}

/** Full SHA of a revision, or null when it does not name a commit in this repository. */
export async function resolveCommit(git: SimpleGit, rev: string): Promise<string | null> {
  try {
    const out = (await git.raw(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`])).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

/** True when `ancestor` is `descendant` or in its history (both full SHAs). */
export async function isAncestor(git: SimpleGit, ancestor: string, descendant: string): Promise<boolean> {
  try {
    const base = (await git.raw(["merge-base", ancestor, descendant])).trim();
    return base === ancestor;
  } catch {
    return false;
  }
}

/** Splits git's `-z` output into paths. */
export function splitNul(out: string): string[] {
  return out.split("\0").filter((s) => s !== "");
}

export interface RepoPaths {
  /** Repository-relative, `/`-separated, for pathspecs and messages. */
  readonly inside: readonly string[];
  /** Given paths that are not in the repository at all (git cannot vouch for them). */
  readonly outside: readonly string[];
}

/**
 * Turns paths given absolute or relative to `baseDir` into repository-relative ones. Symlinks are
 * resolved where the path exists, because git reports the real top-level directory.
 */
export function toRepoPaths(root: string, baseDir: string, paths: readonly string[]): RepoPaths {
  const realRoot = realOrSelf(root);
  const inside: string[] = [];
  const outside: string[] = [];
  for (const p of paths) {
    const abs = realOrSelf(isAbsolute(p) ? p : resolve(realOrSelf(baseDir), p));
    const rel = relative(realRoot, abs);
    if (rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel))) {
      inside.push(rel === "" ? "." : rel.split(sep).join("/"));
    } else {
      outside.push(p);
    }
  }
  return { inside: [...new Set(inside)], outside };
}

/** `:(literal)` so that a certificate file named `*.pem` or `[a].pem` is not read as a glob. */
export function pathspecs(repoRelative: readonly string[]): string[] {
  return repoRelative.map((p) => `:(top,literal)${p}`);
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}
