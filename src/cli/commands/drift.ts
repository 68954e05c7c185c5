// `smimesync drift`: for monitoring. Plans as `plan` does (writes nothing) but shows only the drift,
// and says so in its exit code: 2 when there is drift, 0 when there is none, 1 on error. `plan
// --detailed-exitcode` stays Terraform's (changes only), so a converged plan under drift exits 0.
import { Command } from "commander";
import { addCacheOptions, type CacheOptions } from "../cache-option.js";
import { configOption } from "../config-option.js";
import type { CommandFactory } from "../context.js";
import { EXIT_CHANGES, EXIT_OK } from "../exit-codes.js";
import { printDiagnostics } from "../report-error.js";
import { planWithProgress } from "./shared.js";

interface DriftOptions extends CacheOptions {
  config: string;
}

export const driftCommand: CommandFactory = (ctx) =>
  addCacheOptions(
    new Command("drift")
      .description(
        "show where Exchange Online differs from the authority; exit 2 when it does (for monitoring)",
      )
      .addOption(configOption()),
  )
    .addHelpText(
      "after",
      "\nReads both sides like `plan` and writes nothing. Drift is what a plan does not change: values\n" +
        "waiting for Entra Connect, a sync blocked over 15 values, an AD user without a cloud\n" +
        "counterpart, a join by UPN, a provisioning error.\n\n" +
        "Exit codes: 0 no drift, 2 drift, 1 error.\n\nExamples:\n  smimesync drift\n  smimesync drift -c prod.yaml || alert",
    )
    .action(async (opts: DriftOptions) => {
      const [{ loadConfig }, { driftCounts }, { describeDrift }, { oneLine }] = await Promise.all([
        import("../../config/load.js"),
        import("../../plan/summary.js"),
        import("../../plan/reasons.js"),
        import("../../plan/render/describe.js"),
      ]);
      const o = ctx.output();
      const loaded = await loadConfig(opts.config, ctx.cwd);
      printDiagnostics(o, loaded.warnings, ctx.env);
      const { plan } = await planWithProgress(ctx, o, loaded, { cache: opts });
      if (plan.drift.length === 0) {
        o.out(
          `No drift: Exchange Online matches the authority for all ${plan.summary.inScope} recipients in scope.`,
        );
        ctx.setExitCode(EXIT_OK);
        return;
      }
      for (const d of plan.drift) {
        const where = d.attribute === undefined ? d.address : `${d.address} ${d.attribute}`;
        o.out(`${o.color.yellow("!")} ${oneLine(where)}: ${describeDrift(d.kind)}: ${oneLine(d.message)}`);
      }
      const c = driftCounts(plan);
      const n = (k: number) => `${k} recipient${k === 1 ? "" : "s"}`;
      const parts = [
        ...(c.waiting > 0 ? [`${n(c.waiting)} waiting for Entra Connect`] : []),
        ...(c.blocked > 0 ? [`${n(c.blocked)} blocked over the 15-value limit`] : []),
        ...(c.other > 0 ? [`${n(c.other)} with other drift`] : []),
      ];
      o.out(
        o.color.bold(
          `Drift: ${plan.drift.length} item${plan.drift.length === 1 ? "" : "s"}; ${parts.join(", ")}.`,
        ),
      );
      ctx.setExitCode(EXIT_CHANGES);
    });
