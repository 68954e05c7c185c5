import { resolve } from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_CONFIG_FILE } from "../../config/default-file.js";
import { PLAN_FORMATS, type PlanFormat } from "../../plan/render/formats.js";
import { hasChanges } from "../../plan/types.js";
import { addCacheOptions, type CacheOptions } from "../cache-option.js";
import { configOption } from "../config-option.js";
import type { CliContext, CommandFactory } from "../context.js";
import { EXIT_CHANGES, EXIT_ERROR, EXIT_OK } from "../exit-codes.js";
import { documentOutput, type Output } from "../output.js";
import { printDiagnostics } from "../report-error.js";
import { collect, partialRunWarning, planWithProgress, printGuardTrips, TARGET_HELP } from "./shared.js";

/**
 * An interrupted apply's journal is committed as its audit record by the next run: a plan too,
 * since after a kill the operator plans first. A failure here is a warning (plan writes nothing).
 */
async function commitLeftoverJournals(ctx: CliContext, o: Output, baseDir: string): Promise<void> {
  const { recoverJournals, recoveredLine } = await import("../../gitops/audit-journal.js");
  try {
    for (const r of await recoverJournals(baseDir, ctx.env)) o.err(o.color.yellow(recoveredLine(r)));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    o.err(o.color.yellow(`warning: ${message}`));
  }
}

interface PlanOptions extends CacheOptions {
  config: string;
  out?: string;
  format: PlanFormat;
  detailedExitcode?: boolean;
  target: string[];
  json?: boolean;
}

export const planCommand: CommandFactory = (ctx) =>
  addCacheOptions(
    new Command("plan")
      .description("read AD and Office 365, apply the policy, and show the changes (writes nothing)")
      .addOption(configOption()),
  )
    .option("-o, --out <file>", "save the plan (JSON) for `smimesync apply <file>`")
    .addOption(new Option("-f, --format <format>", "output format").choices(PLAN_FORMATS).default("text"))
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 1 on error")
    .option("--target <recipient>", TARGET_HELP, collect, [])
    .option(
      "--json",
      "the plan document alone on stdout (schemas/plan.schema.json, as --format json); everything else on stderr",
    )
    .addHelpText(
      "after",
      "\nThe plan is bound to the config's hash, the git commit and a fingerprint of every object it\n" +
        "touches; `apply` refuses what changed since. A tripped safety guard prints the plan, says\n" +
        "why, and exits 1.\n\n" +
        "--target (repeatable, as Terraform's -target) plans only the recipients it names, by mail, smtp\n" +
        "proxy address, userPrincipalName, plan address, DN or objectGUID (case-insensitive); a target\n" +
        "naming no recipient in scope is an error. The plan says it is partial and records its targets:\n" +
        "`apply` of it plans those recipients only and writes nothing else.\n\n" +
        "Examples:\n  smimesync plan\n  smimesync plan --out plan.json --format markdown > plan.md\n" +
        "  smimesync plan --target erin.evans@corp.example.com --out erin.json",
    )
    .action(async (opts: PlanOptions) => {
      const [
        { loadConfig },
        { savePlan },
        { planRenderer },
        { coverageChangeLine, planCoverage },
        { githubRun },
      ] = await Promise.all([
        import("../../config/load.js"),
        import("../../plan/plan-file.js"),
        import("../../plan/render/index.js"),
        import("../../report/coverage-line.js"),
        import("../../gitops/github-env.js"),
      ]);
      const stdout = ctx.output();
      // --json: stdout holds the document alone (GitHub annotations included go to stderr).
      const o = opts.json ? documentOutput(stdout) : stdout;
      const format: PlanFormat = opts.json ? "json" : opts.format;
      const loaded = await loadConfig(opts.config, ctx.cwd);
      printDiagnostics(o, loaded.warnings, ctx.env);
      await commitLeftoverJournals(ctx, o, loaded.baseDir);
      const { plan, trips, observation } = await planWithProgress(ctx, o, loaded, {
        cache: opts,
        targets: opts.target,
        observe: format === "markdown",
      });
      // Only markdown shows it (pull-request comments): judging every recipient again costs time.
      const runUrl = format === "markdown" ? githubRun(ctx.env)?.runUrl : undefined;
      const coverage = observation
        ? coverageChangeLine(planCoverage(observation.recipients, plan, observation.judge))
        : undefined;
      stdout.out(
        planRenderer(format, {
          color: o.color,
          ...(coverage ? { coverage } : {}),
          ...(runUrl ? { runUrl } : {}),
        })
          .render(plan)
          .trimEnd(),
      );
      if (plan.targets) o.err(o.color.yellow(partialRunWarning(plan.targets, "this plan covers")));
      if (opts.out) {
        await savePlan(resolve(ctx.cwd, opts.out), plan);
        const config = opts.config === DEFAULT_CONFIG_FILE ? "" : ` -c ${opts.config}`;
        o.err(`Saved the plan to ${opts.out}. To apply exactly this: smimesync apply ${opts.out}${config}`);
      }
      if (trips.length > 0) {
        printGuardTrips(o, trips);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      ctx.setExitCode(opts.detailedExitcode && hasChanges(plan) ? EXIT_CHANGES : EXIT_OK);
    });
