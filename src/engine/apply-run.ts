// `apply` end to end. A plan file is an approval, never an instruction: apply always plans again
// from the current config and directories and writes that plan, and only when every change in it
// was shown in an approved plan; the bytes written are the recomputed plan's, never a file's.
// Every check comes before the first write.
import { relative, resolve } from "node:path";
import { type ExecuteResult, executePlan } from "../apply/execute.js";
import type { GuardTrip } from "../apply/guards.js";
import type { LoadedConfig } from "../config/load.js";
import { SmimesyncError } from "../errors.js";
import type { ChangeOutcome } from "../gitops/audit-record.js";
import {
  type ApprovalVerdict,
  assertBinding,
  checkApprovalBinding,
  gitContext,
} from "../gitops/git-binding.js";
import { type Approval, type Intersection, intersectPlans } from "../gitops/plan-compare.js";
import { planInputsOf } from "../gitops/plan-inputs.js";
import { loadPlan, planIntegrity } from "../plan/plan-file.js";
import { valueLabel } from "../plan/render/describe.js";
import type { Plan, PlannedChange } from "../plan/types.js";
import { normalizeTargets } from "../reconcile/targets.js";
import { type BackendOptions, openBackends } from "./backends.js";

/** One approved plan file, verified (schema, integrity, consistency) and checked for provenance. */
export interface ApprovedPlan extends Approval {
  readonly file: string;
  readonly plan: Plan;
  /** The file's integrity hash. */
  readonly hash: string;
  readonly binding: ApprovalVerdict;
}

export interface ApprovalInput {
  readonly file: string;
  /** The merged pull request the caller took this plan from (`--approval-pr`), else null. */
  readonly pullRequest: number | null;
}

export const isCi = (env: NodeJS.ProcessEnv): boolean => env.CI === "true" || env.GITHUB_ACTIONS === "true";

/**
 * Loads the approved plans and checks each one's provenance, and (in CI) that the config being
 * applied is committed: what is planned now must come from reviewed files. Throws GIT_REFUSED in
 * CI; elsewhere the problems come back as warnings to print.
 */
export async function loadApprovals(
  loaded: LoadedConfig,
  inputs: readonly ApprovalInput[],
  env: NodeJS.ProcessEnv,
): Promise<{ readonly approvals: readonly ApprovedPlan[]; readonly notes: readonly string[] }> {
  const ci = isCi(env);
  const notes: string[] = [];
  const approvals: ApprovedPlan[] = [];
  for (const input of inputs) {
    const plan = await loadPlan(input.file);
    const binding = await checkApprovalBinding(plan, {
      repoDir: loaded.baseDir,
      configPath: loaded.path,
      ci,
      pullRequest: input.pullRequest,
    });
    const name = relative(loaded.baseDir, input.file) || input.file;
    assertBinding(binding, `the approved plan ${name}`);
    notes.push(...approvalNotes(name, plan, binding, input.pullRequest));
    approvals.push({
      file: input.file,
      plan,
      hash: planIntegrity(plan).hash,
      pullRequest: input.pullRequest,
      binding,
    });
  }
  const git = await gitContext(loaded.baseDir, planInputsOf(loaded));
  if (git?.dirty) {
    const message = `The config or certificate files have uncommitted changes: ${git.dirtyPaths.join(", ")}.`;
    if (ci) {
      throw new SmimesyncError("GIT_REFUSED", `Refusing to apply in CI: ${message}`, {
        hint: "apply plans again from the committed configuration: commit or discard the changes.",
      });
    }
    notes.push(`warning: ${message} apply plans from them as they are.`);
  }
  return { approvals, notes };
}

function approvalNotes(
  name: string,
  plan: Plan,
  binding: ApprovalVerdict,
  pullRequest: number | null,
): string[] {
  const pr = pullRequest === null ? "" : ` (pull request #${pullRequest})`;
  const n = plan.changes.length;
  const head = `Approved plan ${name}${pr}: ${plan.id.slice(0, 12)}, ${n} change${n === 1 ? "" : "s"}`;
  if (binding.kind === "bound") {
    const at = binding.planCommit ? ` made on ${binding.planCommit.slice(0, 12)}` : "";
    const via = binding.via === "history" ? ", in HEAD's history" : ", merged by squash or rebase";
    return [`${head}${at}${via}.`];
  }
  return [`${head}.`, ...binding.problems.map((p) => `warning: ${p.message}\n  ${p.hint}`)];
}

/**
 * Which recipients apply plans again for, given approved plans and `--target`. A partial approved
 * plan (made with --target) approves its targets' changes only: without --target, apply of partial
 * plans alone plans their targets (never the full scope, which they did not show); with --target,
 * each target must be one an approved plan covered (a full one covers all). Returns the targets to
 * plan with (empty: the full plan) and a line saying so, or throws APPLY_UNAPPROVED.
 */
export function approvalTargets(
  approvals: readonly Pick<ApprovedPlan, "plan">[],
  given: readonly string[],
): { readonly targets: readonly string[]; readonly note: string | undefined } {
  const wanted = normalizeTargets(given);
  const full = approvals.some((a) => a.plan.targets === undefined);
  const approvedTargets = normalizeTargets(approvals.flatMap((a) => a.plan.targets ?? []));
  if (wanted.length === 0) {
    if (full || approvals.length === 0) return { targets: [], note: undefined };
    return {
      targets: approvedTargets,
      note: `The approved plan${approvals.length === 1 ? " is" : "s are"} partial (--target ${approvedTargets.join(", ")}): planning again for those recipients only.`,
    };
  }
  if (full) return { targets: wanted, note: undefined };
  const outside = wanted.filter((t) => !approvedTargets.includes(t));
  if (outside.length > 0) {
    throw new SmimesyncError(
      "APPLY_UNAPPROVED",
      `refusing to apply: --target ${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} not among the targets of the approved partial plans (${approvedTargets.join(", ")}). Nothing was written.`,
      {
        hint: "A partial plan approves only the recipients it was made for. Use the same --target values as the plan (or none), or approve a plan made for these targets.",
      },
    );
  }
  return { targets: wanted, note: undefined };
}

/** Throws GUARD_TRIPPED when the plan trips a safety guard: nothing is written. */
export function refuseTrips(trips: readonly GuardTrip[]): void {
  if (trips.length === 0) return;
  throw new SmimesyncError(
    "GUARD_TRIPPED",
    `refusing to apply: ${trips.map((t) => `safety guard ${t.guard}: ${t.message}`).join("; ")}. Nothing was written.`,
    { hint: [...new Set(trips.map((t) => t.hint))].join("\n") },
  );
}

/** Changes listed in an error before "... and N more". */
const LISTED = 20;

/**
 * The recomputed plan against the approvals. Throws APPLY_UNAPPROVED, naming the changes, when the
 * plan holds one that no approval showed: then nothing at all is written.
 */
export function checkApproved(plan: Plan, approvals: readonly ApprovedPlan[]): Intersection<ApprovedPlan> {
  const x = intersectPlans(plan, approvals);
  if (x.unapproved.length > 0) {
    const n = x.unapproved.length;
    const lines = x.unapproved.slice(0, LISTED).map((c) => `  ${changeLine(c, plan.policyTime)}`);
    if (n > LISTED) lines.push(`  ... and ${n - LISTED} more`);
    throw new SmimesyncError(
      "APPLY_UNAPPROVED",
      `refusing to apply: ${n} change${n === 1 ? "" : "s"} planned now ${n === 1 ? "was" : "were"} not shown in any approved plan. Nothing was written.\n${lines.join("\n")}`,
      {
        hint:
          "apply writes only changes that a reviewed plan showed. Pass the approved plans of every pull request merged since the last apply, " +
          "or open a pull request (or run `smimesync plan`) so these changes are shown and reviewed.",
      },
    );
  }
  return x;
}

/** `+ ad:user/ceo@corp.example.com userCertificate publish: Mallory <...>, thumbprint 1A2B3C4D, expires ...` */
export function changeLine(c: PlannedChange, policyTime: string): string {
  return `${c.action === "publish" ? "+" : "-"} ${c.address} ${c.attribute} ${c.action}: ${valueLabel(c, policyTime)}`;
}

export interface ApplyOptions extends BackendOptions {
  readonly onProgress?: (done: number, total: number) => void;
  /** The audit journal, told of each write before and after it. */
  readonly journal?: {
    started(changeIds: readonly string[]): void;
    finished(outcomes: readonly ChangeOutcome[]): void;
  };
}

/**
 * Test hook of the kill -9 loop (test/chaos/kill-apply.test.ts), inert unless the variable is set:
 * `SMIMESYNC_TEST_KILL_AFTER_WRITES=N` kills the process with SIGKILL right after the N-th object's
 * write returns, before its outcome is journaled (the worst moment), so kill points are chosen
 * deterministically. Documented in the README's Reliability section.
 */
export function killAfterWrites(env: NodeJS.ProcessEnv): (() => void) | undefined {
  const raw = env.SMIMESYNC_TEST_KILL_AFTER_WRITES;
  if (raw === undefined || !/^[1-9]\d{0,6}$/.test(raw)) return undefined;
  let left = Number(raw);
  return () => {
    if (--left === 0) process.kill(process.pid, "SIGKILL");
  };
}

export interface ApplyResult extends ExecuteResult {
  /**
   * Closing the backends failed: an offline backend could not save its last batch, so writes
   * reported applied may not be on disk. Nothing should be recorded as applied; a new plan shows
   * what the files hold.
   */
  readonly saveError: unknown;
}

export async function executeApply(
  loaded: LoadedConfig,
  plan: Plan,
  opts: ApplyOptions,
): Promise<ApplyResult> {
  const backends = await openBackends(loaded, opts);
  const journal = opts.journal;
  const kill = killAfterWrites(opts.env);
  let result: ExecuteResult;
  try {
    result = await executePlan(plan, {
      directory: backends.directory,
      tenant: backends.tenant,
      concurrency: loaded.config.tenant.concurrency ?? 4,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(journal ? { onStart: (changes) => journal.started(changes.map((c) => c.id)) } : {}),
      ...(journal || kill
        ? {
            onOutcomes: (outcomes) => {
              kill?.();
              journal?.finished(outcomes);
            },
          }
        : {}),
    });
  } catch (e) {
    await backends.close().catch(() => undefined);
    throw e;
  }
  try {
    await backends.close();
    return { ...result, saveError: undefined };
  } catch (e) {
    return { ...result, saveError: e };
  }
}

/** Resolves the plan file arguments against the working directory, pairing `--approval-pr`s in order. */
export function approvalInputs(
  cwd: string,
  files: readonly string[],
  pullRequests: readonly string[],
): ApprovalInput[] {
  if (pullRequests.length > 0 && pullRequests.length !== files.length) {
    throw new SmimesyncError(
      "USAGE",
      `${pullRequests.length} --approval-pr given for ${files.length} plan file${files.length === 1 ? "" : "s"}`,
      { hint: "Give one --approval-pr per plan file, in the same order (or none)." },
    );
  }
  return files.map((f, i) => {
    const raw = pullRequests[i];
    if (raw === undefined) return { file: resolve(cwd, f), pullRequest: null };
    if (!/^[1-9]\d{0,9}$/.test(raw)) {
      throw new SmimesyncError("USAGE", `--approval-pr ${raw}: not a pull request number`, {
        hint: "Pass the number of the merged pull request whose plan the file is, e.g. --approval-pr 42.",
      });
    }
    return { file: resolve(cwd, f), pullRequest: Number(raw) };
  });
}
