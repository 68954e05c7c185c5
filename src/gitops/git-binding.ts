// Binds a plan to the commit it was computed from, and decides whether `apply` may execute it.
// GitOps means "the merge applies exactly what was reviewed": a plan made from uncommitted edits,
// from a commit the deployed branch does not contain, or from a config that has changed since,
// describes something nobody approved. In CI that is refused; at a terminal it is only reported,
// because an operator running plan and apply by hand is the reviewer.
import { SmimesyncError } from "../errors.js";
import type { Plan } from "../plan/types.js";
import { gitAt, isAncestor, pathspecs, repoRoot, resolveCommit, splitNul, toRepoPaths } from "./git.js";

/** The files a plan is computed from: the config and the certificate files it references. */
export interface PlanInputs {
  /** Absolute, or relative to the directory given alongside. */
  readonly configPath: string;
  /** Certificate files (or directories holding them): repository certificates, trust anchors, CRLs. */
  readonly certificatePaths: readonly string[];
}

export interface GitContext {
  /** Full SHA of HEAD: what `plan` records in `plan.source.git.commit`. */
  readonly commit: string;
  /**
   * Uncommitted changes (staged, unstaged or untracked) to the plan's inputs. Only the config and
   * certificate paths count when they are given: an edited README does not change the plan, so it
   * does not make it dirty. Without inputs, the whole work tree counts.
   */
  readonly dirty: boolean;
  /** Which files made it dirty, repository-relative. */
  readonly dirtyPaths: readonly string[];
  /** What `dirty` was computed over. */
  readonly dirtyScope: "plan-inputs" | "work-tree";
  readonly root: string;
  /** Inputs outside the repository: git cannot vouch for them. */
  readonly outsidePaths: readonly string[];
}

/**
 * The git state `plan` records. Null outside a git work tree and in a repository without commits
 * (there is no commit to bind to).
 */
export async function gitContext(dir: string, inputs?: PlanInputs): Promise<GitContext | null> {
  const root = await repoRoot(dir);
  if (root === null) return null;
  const git = gitAt(root);
  const commit = await resolveCommit(git, "HEAD");
  if (commit === null) return null;
  const paths = inputs ? toRepoPaths(root, dir, [inputs.configPath, ...inputs.certificatePaths]) : null;
  const dirtyPaths = await uncommitted(root, paths ? paths.inside : null);
  return {
    commit,
    dirty: dirtyPaths.length > 0,
    dirtyPaths,
    dirtyScope: paths ? "plan-inputs" : "work-tree",
    root,
    outsidePaths: paths ? paths.outside : [],
  };
}

async function uncommitted(root: string, inside: readonly string[] | null): Promise<string[]> {
  if (inside !== null && inside.length === 0) return [];
  const args = ["status", "--porcelain=v1", "-z", "--untracked-files=all"];
  const out = await gitAt(root).raw(inside === null ? args : [...args, "--", ...pathspecs(inside)]);
  // Entries are "XY path", and a rename or copy is followed by its source path as its own entry.
  const paths: string[] = [];
  const entries = splitNul(out);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as string;
    paths.push(e.slice(3));
    if (e[0] === "R" || e[0] === "C") i++;
  }
  return paths;
}

export type BindingProblemCode =
  | "no-repository"
  | "plan-not-bound"
  | "plan-dirty"
  | "config-mismatch"
  | "commit-unknown"
  | "not-ancestor"
  | "inputs-changed"
  | "work-tree-dirty"
  | "inputs-outside-repository";

export interface BindingProblem {
  readonly code: BindingProblemCode;
  readonly message: string;
  /** How to proceed. */
  readonly hint: string;
  readonly paths: readonly string[];
}

export type BindingVerdict =
  /** The plan's commit is in HEAD's history and nothing it was computed from changed since. */
  | {
      readonly kind: "bound";
      readonly planCommit: string;
      readonly head: string;
      /** Files changed between the plan's commit and HEAD that are not inputs of the plan. */
      readonly unrelatedChanges: readonly string[];
    }
  /** Not in CI: apply may go on, and shows the problems as warnings. */
  | {
      readonly kind: "unverified";
      readonly head: string | null;
      readonly problems: readonly BindingProblem[];
    }
  /** In CI: apply must not write anything. */
  | { readonly kind: "refused"; readonly head: string | null; readonly problems: readonly BindingProblem[] };

export interface BindingOptions extends PlanInputs {
  /** The repository (or a directory in it); relative input paths are taken from here. */
  readonly repoDir: string;
  /** Refuse instead of warn (GitHub Actions and other CI: `CI=true`). */
  readonly ci: boolean;
}

const REPLAN = "Re-run `smimesync plan` on the merged commit (HEAD), review that plan, and apply it.";

/** What `apply` asks before writing anything. Never throws for a problem: it returns it. */
export async function checkPlanBinding(
  plan: Pick<Plan, "source">,
  opts: BindingOptions,
): Promise<BindingVerdict> {
  const problems: BindingProblem[] = [];
  const verdict = (head: string | null): BindingVerdict =>
    opts.ci ? { kind: "refused", head, problems } : { kind: "unverified", head, problems };

  const ctx = await gitContext(opts.repoDir, opts);
  if (ctx === null) {
    problems.push({
      code: "no-repository",
      message: `${opts.repoDir} is not a git work tree with commits, so the plan's commit cannot be checked.`,
      hint: "Run apply in a checkout of the repository that holds the config (actions/checkout with fetch-depth: 0).",
      paths: [],
    });
    return verdict(null);
  }
  const git = gitAt(ctx.root);
  const inputs = toRepoPaths(ctx.root, opts.repoDir, [opts.configPath, ...opts.certificatePaths]);
  const configRel = toRepoPaths(ctx.root, opts.repoDir, [opts.configPath]).inside[0];

  if (inputs.outside.length > 0) {
    problems.push({
      code: "inputs-outside-repository",
      message: `Inputs of the plan are outside the repository, so git cannot show they are unchanged: ${inputs.outside.join(", ")}.`,
      hint: "Keep the config and the certificate files it references in the repository.",
      paths: inputs.outside,
    });
  }
  if (configRel !== undefined && plan.source.configPath !== configRel) {
    problems.push({
      code: "config-mismatch",
      message: `The plan was made from ${plan.source.configPath}, not from ${configRel}.`,
      hint: "Apply the plan with the config it was made from, or re-run plan with this config.",
      paths: [plan.source.configPath, configRel],
    });
  }
  if (ctx.dirty) {
    problems.push({
      code: "work-tree-dirty",
      message: `The config or certificate files have uncommitted changes: ${ctx.dirtyPaths.join(", ")}.`,
      hint: "Commit or discard them: apply must run on the committed configuration.",
      paths: ctx.dirtyPaths,
    });
  }

  const commit = await commitProblems(plan, git, ctx.commit, { pullRequest: null });
  problems.push(...commit.problems);
  const planCommit = commit.planCommit;
  if (planCommit === null) return verdict(ctx.commit);
  const changed = splitNul(await git.raw(["diff", "--name-only", "-z", planCommit, ctx.commit]));
  const inputSet = new Set(
    inputs.inside.length === 0
      ? []
      : splitNul(
          await git.raw([
            "diff",
            "--name-only",
            "-z",
            planCommit,
            ctx.commit,
            "--",
            ...pathspecs(inputs.inside),
          ]),
        ),
  );
  if (inputSet.size > 0) {
    const paths = [...inputSet];
    problems.push({
      code: "inputs-changed",
      message: `The config or its certificate files changed between the plan's commit ${planCommit.slice(0, 12)} and HEAD ${ctx.commit.slice(0, 12)}: ${paths.join(", ")}.`,
      hint: `The plan no longer describes the configuration in the repository. ${REPLAN}`,
      paths,
    });
  }
  if (problems.length > 0) return verdict(ctx.commit);
  return {
    kind: "bound",
    planCommit,
    head: ctx.commit,
    unrelatedChanges: changed.filter((p) => !inputSet.has(p)),
  };
}

interface CommitCheck {
  /** The plan's commit, resolved; null when the plan names none or one this repository lacks. */
  readonly planCommit: string | null;
  /** Whether it is HEAD or in HEAD's history. */
  readonly inHistory: boolean;
  readonly problems: readonly BindingProblem[];
}

/**
 * The plan's own commit: recorded, clean, known here, and in HEAD's history. With `pullRequest`
 * (the caller took the plan from that merged pull request) a commit outside HEAD's history, or
 * not fetched, is what a squash or rebase merge leaves, and not a problem.
 */
async function commitProblems(
  plan: Pick<Plan, "source">,
  git: ReturnType<typeof gitAt>,
  head: string,
  opts: { readonly pullRequest: number | null },
): Promise<CommitCheck> {
  const problems: BindingProblem[] = [];
  const bound = plan.source.git;
  if (bound === null) {
    problems.push({
      code: "plan-not-bound",
      message: "The plan records no git commit (it was made outside a git repository).",
      hint: `${REPLAN} Run plan inside the repository so the plan is bound to a commit.`,
      paths: [],
    });
    return { planCommit: null, inHistory: false, problems };
  }
  const short = bound.commit.slice(0, 12);
  if (bound.dirty) {
    problems.push({
      code: "plan-dirty",
      message: `The plan was made from uncommitted changes on top of ${short}: nobody reviewed those in a pull request.`,
      hint: `Commit the changes, open a pull request, and apply the plan made from it. ${REPLAN}`,
      paths: [],
    });
  }
  const planCommit = await resolveCommit(git, bound.commit);
  if (planCommit === null) {
    if (opts.pullRequest === null) {
      problems.push({
        code: "commit-unknown",
        message: `The plan's commit ${short} is not in this repository.`,
        hint: "Fetch the full history (actions/checkout with fetch-depth: 0, or `git fetch --unshallow`); if the commit was rewritten (rebase, force push), re-run plan on the merged commit.",
        paths: [],
      });
    }
    return { planCommit: null, inHistory: false, problems };
  }
  const inHistory = await isAncestor(git, planCommit, head);
  if (!inHistory && opts.pullRequest === null) {
    problems.push({
      code: "not-ancestor",
      message: `The plan was made from commit ${short}, which is not in the history of HEAD (${head.slice(0, 12)}).`,
      hint: `${REPLAN} (After a squash or rebase merge, pass the pull request the plan came from: \`--approval-pr N\`.)`,
      paths: [],
    });
  }
  return { planCommit, inHistory, problems };
}

export type ApprovalVerdict =
  /** Approved on a commit in HEAD's history, or on the named merged pull request. */
  | {
      readonly kind: "bound";
      readonly planCommit: string | null;
      readonly head: string;
      readonly via: "history" | "pull-request";
    }
  | {
      readonly kind: "unverified" | "refused";
      readonly head: string | null;
      readonly problems: readonly BindingProblem[];
    };

export interface ApprovalBindingOptions {
  /** The repository (or a directory in it). */
  readonly repoDir: string;
  /** The config being applied, absolute or relative to repoDir: an approval of another config approves nothing here. */
  readonly configPath: string;
  readonly ci: boolean;
  /** The merged pull request the caller took this plan from (the action knows it), else null. */
  readonly pullRequest: number | null;
}

/**
 * Whether an approved plan may count as an approval. Apply writes what it plans now from the
 * current config, so the plan's config hash and inputs need not match HEAD's (several pull
 * requests may have merged since): what is checked is provenance — a clean plan of this config,
 * made on a commit of this history (or of the pull request the caller names). Forgery is not
 * what this catches (a plan file's commit is as forgeable as the rest of it); the intersection
 * with the recomputed plan is.
 */
export async function checkApprovalBinding(
  plan: Pick<Plan, "source">,
  opts: ApprovalBindingOptions,
): Promise<ApprovalVerdict> {
  const problems: BindingProblem[] = [];
  const verdict = (head: string | null): ApprovalVerdict =>
    opts.ci ? { kind: "refused", head, problems } : { kind: "unverified", head, problems };
  const root = await repoRoot(opts.repoDir);
  const git = root === null ? null : gitAt(root);
  const head = git === null ? null : await resolveCommit(git, "HEAD");
  if (root === null || git === null || head === null) {
    problems.push({
      code: "no-repository",
      message: `${opts.repoDir} is not a git work tree with commits, so the approved plan's commit cannot be checked.`,
      hint: "Run apply in a checkout of the repository that holds the config (actions/checkout with fetch-depth: 0).",
      paths: [],
    });
    return verdict(null);
  }
  const configRel = toRepoPaths(root, opts.repoDir, [opts.configPath]).inside[0];
  if (configRel !== undefined && plan.source.configPath !== configRel) {
    problems.push({
      code: "config-mismatch",
      message: `The plan was made from ${plan.source.configPath}, not from ${configRel}.`,
      hint: "Pass only the approved plans of this config (a repository with several configs has one plan each).",
      paths: [plan.source.configPath, configRel],
    });
  }
  const commit = await commitProblems(plan, git, head, { pullRequest: opts.pullRequest });
  problems.push(...commit.problems);
  if (problems.length > 0) return verdict(head);
  return {
    kind: "bound",
    planCommit: commit.planCommit,
    head,
    via: commit.inHistory ? "history" : "pull-request",
  };
}

/** The problems as the lines apply prints (warnings when unverified, the error when refused). */
export function describeBinding(verdict: BindingVerdict): string[] {
  if (verdict.kind === "bound") {
    const extra = verdict.unrelatedChanges.length;
    return [
      `Plan bound to ${verdict.planCommit.slice(0, 12)}; HEAD is ${verdict.head.slice(0, 12)}` +
        (extra > 0 ? ` (${extra} unrelated file${extra === 1 ? "" : "s"} changed since).` : "."),
    ];
  }
  return verdict.problems.map((p) => `${p.message}\n  ${p.hint}`);
}

/** Throws GIT_REFUSED for a refused verdict; apply calls it before writing anything. */
export function assertBinding(verdict: BindingVerdict | ApprovalVerdict, what = "this plan"): void {
  if (verdict.kind !== "refused") return;
  const [first, ...rest] = verdict.problems;
  if (!first) return;
  const message = [first.message, ...rest.map((p) => p.message)].join("\n");
  const hints = [...new Set(verdict.problems.map((p) => p.hint))].join("\n");
  throw new SmimesyncError("GIT_REFUSED", `Refusing to apply ${what} in CI:\n${message}`, { hint: hints });
}
