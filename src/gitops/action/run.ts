// The action's entry logic: inputs, then one mode. A user's mistake ends as a failed step with
// the message and hint (no stack trace); anything else is reported as a bug.
import * as core from "@actions/core";
import { isSmimesyncError } from "../../errors.js";
import { applyMode } from "./apply-mode.js";
import { actionContext, type CliRunner, readInputs } from "./context.js";
import { planMode } from "./plan-mode.js";
import { reconcileMode } from "./reconcile-mode.js";

export async function runAction(cli: CliRunner, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const inputs = readInputs();
    const ctx = await actionContext(inputs, env, cli);
    if (inputs.mode === "plan") await planMode(ctx);
    else if (inputs.mode === "apply") await applyMode(ctx);
    else await reconcileMode(ctx);
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
