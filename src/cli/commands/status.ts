// `smimesync status`: after an apply, has Entra Connect carried AD's values up yet? For the
// recipients the last apply wrote (its audit record in git), or with --all every one in scope:
// synced, pending or blocked, from the same reads and drift as `plan`. --wait polls with backoff.
import { Command } from "commander";
import { SmimesyncError } from "../../errors.js";
import type { HealthAssessment, HealthSelection, StatusDocument } from "../../health/types.js";
import type { PlanSource } from "../../plan/types.js";
import { configOption } from "../config-option.js";
import type { CommandFactory } from "../context.js";
import { EXIT_CHANGES, EXIT_OK, EXIT_TIMEOUT } from "../exit-codes.js";
import { printDiagnostics } from "../report-error.js";
import { planWithProgress } from "./shared.js";

interface StatusOptions {
  readonly config: string;
  readonly all?: boolean;
  readonly wait?: string;
  readonly json?: boolean;
}

export const statusCommand: CommandFactory = (ctx) =>
  new Command("status")
    .description(
      "after an apply: does Exchange Online hold what the authority holds yet? (synced, pending, blocked)",
    )
    .addOption(configOption())
    .option("--all", "check every recipient in scope, not only those the last apply wrote")
    .option(
      "--wait <duration>",
      "check again with backoff (30 s up to 5 min) until nothing is pending, e.g. 45m",
    )
    .option("--json", "write one JSON document (schemas/status.schema.json) to stdout")
    .addHelpText(
      "after",
      "\nEntra Connect carries AD's values up to Exchange Online on its own schedule (every 30 minutes by\n" +
        "default). status reads both sides like `plan`, writes nothing, and says per recipient:\n" +
        "  synced   Exchange Online holds exactly the authority's values (or is the authority)\n" +
        "  pending  they differ; the next sync cycle should carry the difference\n" +
        "  blocked  they differ and waiting will not help: over 15 values in AD, a provisioning error\n" +
        "           Entra ID reports, or the user is no longer synchronised\n" +
        "Without --all it checks the recipients written by the newest apply recorded under audit/ in git.\n\n" +
        "Exit codes: 0 all synced, 2 some pending or blocked (with --wait: blocked), 3 --wait timed out\n" +
        "with recipients still pending, 1 error.\n\nExamples:\n  smimesync status\n  smimesync status --wait 45m\n  smimesync status --all --json > status.json",
    )
    .action(async (opts: StatusOptions) => {
      const [{ loadConfig }, { lastApply }, { assessHealth }, render, wait] = await Promise.all([
        import("../../config/load.js"),
        import("../../gitops/audit-query.js"),
        import("../../health/assess.js"),
        import("../../health/render.js"),
        import("../../health/wait.js"),
      ]);
      const o = ctx.output();
      const timeoutMs = opts.wait === undefined ? null : wait.parseDuration(opts.wait);
      if (timeoutMs === null && opts.wait !== undefined) {
        throw new SmimesyncError("USAGE", `--wait ${opts.wait}: not a duration`, {
          hint: "Give a duration such as 45m, 90s, 2h or 1h30m.",
        });
      }
      const loaded = await loadConfig(opts.config, ctx.cwd);
      printDiagnostics(o, loaded.warnings, ctx.env);

      let addresses: ReadonlySet<string> | null = null;
      let last: Awaited<ReturnType<typeof lastApply>> = null;
      if (opts.all !== true) {
        last = await lastApply(loaded.baseDir);
        if (last === null) {
          throw new SmimesyncError(
            "USAGE",
            `no apply is recorded in git at ${loaded.baseDir}: nothing to check`,
            {
              hint: "Run status in the configuration repository after an apply (its audit record under audit/ says what it wrote), or pass --all to check every recipient in scope.",
            },
          );
        }
        addresses = new Set(last.touched);
      }
      const clock = ctx.seams.waitClock ?? wait.realWaitClock;
      const started = clock.now();
      let source: PlanSource | undefined;
      let notInScope: readonly string[] = [];
      const check = async (): Promise<HealthAssessment> => {
        if (addresses !== null && addresses.size === 0) return { recipients: [], summary: wait.emptySummary };
        const { plan, observation } = await planWithProgress(ctx, o, loaded, { observe: true });
        source = plan.source;
        const a = assessHealth(observation.recipients, plan, addresses);
        notInScope = a.notInScope;
        return a;
      };

      let assessment: HealthAssessment;
      let waited: StatusDocument["wait"] = null;
      if (timeoutMs === null) {
        assessment = await check();
      } else {
        const r = await wait.waitForSync({
          check,
          timeoutMs,
          clock,
          onPoll: (p) => o.err(render.pollLine(p.poll, p.elapsedMs, p.summary, p.nextInMs)),
        });
        assessment = r.last;
        waited = {
          timeoutSeconds: Math.round(timeoutMs / 1000),
          polls: r.polls,
          elapsedSeconds: Math.round(r.elapsedMs / 1000),
          timedOut: r.timedOut,
        };
      }
      const selection: HealthSelection =
        last === null
          ? { kind: "all" }
          : {
              kind: "last-apply",
              auditCommit: last.commit,
              appliedAt: last.appliedAt,
              planId: last.planId,
              notInScope,
            };
      for (const a of notInScope)
        o.err(
          o.color.yellow(`warning: ${a} was written by the last apply but is not in scope now: not checked.`),
        );

      const { summary, recipients } = assessment;
      if (opts.json === true) {
        const doc: StatusDocument = {
          formatVersion: 1,
          checkedAt: new Date(clock.now()).toISOString(),
          source: {
            configPath: source?.configPath ?? loaded.displayPath,
            directory: source?.directory ?? "none",
            tenant: source?.tenant ?? "none",
          },
          selection,
          wait: waited,
          recipients,
          summary,
        };
        o.out(render.statusJson(doc).trimEnd());
      } else {
        o.out(render.selectionLine(selection, recipients.length));
        if (last !== null && last.touched.length === 0)
          o.out(
            "The last apply wrote nothing: nothing waits for Entra Connect. `status --all` checks every recipient in scope.",
          );
        // --all may cover thousands: list what is not synced; the summary counts the rest.
        const listed = opts.all === true ? recipients.filter((r) => r.status !== "synced") : recipients;
        for (const line of render.recipientLines(listed, o.color)) o.out(line);
        o.out(o.color.bold(render.summaryLine(summary)));
      }
      if (waited?.timedOut === true) {
        const pending = recipients.filter((r) => r.status === "pending").map((r) => r.address);
        o.err(
          o.color.yellow(
            `Timed out after ${wait.formatDuration(clock.now() - started)} with ${pending.length} recipient${pending.length === 1 ? "" : "s"} still pending: ${pending.join(", ")}.`,
          ),
        );
      }
      ctx.setExitCode(
        summary.synced === summary.recipients
          ? EXIT_OK
          : waited?.timedOut === true
            ? EXIT_TIMEOUT
            : EXIT_CHANGES,
      );
    });
