// `apply` end to end: check that the plan still describes this config, repository and the guards,
// then execute it object by object. The checks come before the first write, always.
import { type ExecuteResult, executePlan } from "../apply/execute.js";
import { checkGuards } from "../apply/guards.js";
import type { LoadedConfig } from "../config/load.js";
import { SmimesyncError } from "../errors.js";
import {
  assertBinding,
  type BindingVerdict,
  checkPlanBinding,
  describeBinding,
} from "../gitops/git-binding.js";
import { planInputsOf } from "../gitops/plan-inputs.js";
import type { Plan } from "../plan/types.js";
import { type BackendOptions, openBackends } from "./backends.js";
import { safetySettings } from "./settings.js";

export interface ApplyPreflight {
  /** Lines to show the admin (binding warnings outside CI, or the binding summary). */
  readonly notes: readonly string[];
  /** Null for a plan computed in this same run: it is bound to the tree by construction. */
  readonly binding: BindingVerdict | null;
}

/** Everything apply checks before writing; throws a SmimesyncError saying how to proceed. */
export async function preflight(
  loaded: LoadedConfig,
  plan: Plan,
  env: NodeJS.ProcessEnv,
  /** A plan file (reviewed elsewhere, perhaps on another commit), or a plan made in this run. */
  origin: "file" | "this-run",
): Promise<ApplyPreflight> {
  if (plan.source.configHash !== loaded.hash) {
    throw new SmimesyncError("PLAN_STALE", `${loaded.displayPath} has changed since this plan was made`, {
      hint: "Run `smimesync plan` again with the current config, review it, and apply the new plan.",
    });
  }
  const binding =
    origin === "file"
      ? await checkPlanBinding(plan, {
          repoDir: loaded.baseDir,
          ...planInputsOf(loaded),
          ci: env.CI === "true" || env.GITHUB_ACTIONS === "true",
        })
      : null;
  if (binding) assertBinding(binding);
  const trips = checkGuards(plan, safetySettings(loaded), { directoryObjects: null });
  if (trips.length > 0) {
    throw new SmimesyncError(
      "GUARD_TRIPPED",
      `refusing to apply: ${trips.map((t) => `safety guard ${t.guard}: ${t.message}`).join("; ")}. Nothing was written.`,
      { hint: [...new Set(trips.map((t) => t.hint))].join("\n") },
    );
  }
  return {
    notes:
      binding === null
        ? []
        : binding.kind === "bound"
          ? describeBinding(binding)
          : describeBinding(binding).map((l) => `warning: ${l}`),
    binding,
  };
}

export interface ApplyOptions extends BackendOptions {
  readonly onProgress?: (done: number, total: number) => void;
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
  let result: ExecuteResult;
  try {
    result = await executePlan(plan, {
      directory: backends.directory,
      tenant: backends.tenant,
      concurrency: loaded.config.tenant.concurrency ?? 4,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
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
