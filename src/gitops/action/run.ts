// The action's entry logic: inputs, then one mode. A user's mistake ends as a failed step with
// the message and hint (no stack trace); anything else is reported as a bug.
import * as core from "@actions/core";
import { isSmimesyncError } from "../../errors.js";
import { applyMode } from "./apply-mode.js";
import { restoreCacheDir, saveCacheDir } from "./cache.js";
import { actionContext, type CliRunner, readInputs } from "./context.js";
import { planMode } from "./plan-mode.js";
import { reconcileMode } from "./reconcile-mode.js";

export async function runAction(cli: CliRunner, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const inputs = readInputs();
    const ctx = await actionContext(inputs, env, cli);
    // Every mode, apply included: GitHub's branch scoping means what apply restores was saved
    // by runs on its own branch, never by a pull request's job (see cache.ts and the README).
    const restored = await core.group("Restore the smimesync cache", () => restoreCacheDir(ctx.cache));
    try {
      if (inputs.mode === "plan") await planMode(ctx);
      else if (inputs.mode === "apply") await applyMode(ctx);
      else await reconcileMode(ctx);
    } finally {
      // Facts stay facts when the plan failed or a guard tripped: saved all the same.
      await core.group("Save the smimesync cache", () => saveCacheDir(ctx.cache, restored));
    }
  } catch (e) {
    if (isSmimesyncError(e)) {
      core.setFailed(e.hint ? `${e.message}\n${e.hint}` : e.message);
    } else {
      const msg = e instanceof Error ? e.message : String(e);
      core.setFailed(`Internal error in the smimesync action: ${msg}`);
      if (e instanceof Error && e.stack) core.debug(e.stack);
    }
  }
}
