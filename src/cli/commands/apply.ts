import { createInterface } from "node:readline/promises";
import { Command } from "commander";
import type { LoadedConfig } from "../../config/load.js";
import { SmimesyncError } from "../../errors.js";
import type { AuditApproval, ChangeOutcome } from "../../gitops/audit-record.js";
import { hasChanges, type Plan } from "../../plan/types.js";
import { addCacheOptions, type CacheOptions } from "../cache-option.js";
import { configOption } from "../config-option.js";
import type { CliContext, CommandFactory } from "../context.js";
import { EXIT_ERROR, EXIT_OK } from "../exit-codes.js";
import { documentOutput, type Output } from "../output.js";
import { progress } from "../progress.js";
import { printDiagnostics } from "../report-error.js";
import {
  backendsWithNotices,
  collect,
  partialRunWarning,
  planWithProgress,
  printGuardTrips,
  TARGET_HELP,
} from "./shared.js";

interface ApplyOptions extends CacheOptions {
  config: string;
  approvalPr?: string[];
  autoApprove?: boolean;
  unattended?: boolean;
  audit: boolean;
  push?: boolean;
  target: string[];
  json?: boolean;
}

export const applyCommand: CommandFactory = (ctx) =>
  addCacheOptions(
    new Command("apply")
      .description(
        "plan again and write the changes approved plans showed, or plan and apply after confirmation",
      )
      .argument(
        "[plans...]",
        "approved plan files written by `smimesync plan --out` (several: the plans of every pull request merged since the last apply)",
      )
      .addOption(configOption()),
  )
    .option(
      "--approval-pr <number...>",
      "the merged pull request each plan file was posted on, in the same order (recorded in the audit; its commit may then be outside HEAD's history, as after a squash merge)",
    )
    .option("--auto-approve", "without a plan file: apply without asking (CI)")
    .option(
      "--unattended",
      "without a plan file: plan and write only the changes whose reason `reconcile.autoApply` lists (a scheduled run); the rest waits for a pull request",
    )
    .option(
      "--no-audit",
      "do not write and commit an audit record (one is written when the config is in git)",
    )
    .option("--push", "push the audit commit to the remote")
    .option("--target <recipient>", TARGET_HELP, collect, [])
    .option(
      "--json",
      "write one JSON document of what was applied to stdout (schemas/apply-result.schema.json); the rest goes to stderr",
    )
    .addHelpText(
      "after",
      "\nA plan file is an approval, never an instruction. apply checks each file's schema and integrity\n" +
        "hash and where it comes from (in CI: a clean plan of this config made on a commit in HEAD's\n" +
        "history, or of the pull request --approval-pr names), then plans again from the current config\n" +
        "and directories. It writes that plan only when every change in it was shown in an approved plan\n" +
        "(same recipient, attribute, action and value); otherwise it lists the others and writes nothing.\n" +
        "Approved changes no longer planned are reported, not written. The safety guards are checked\n" +
        "again. Each object is then re-read; one that changed since is skipped and reported as stale.\n" +
        "With --unattended no plan file is taken: apply plans, writes only the changes whose reason the\n" +
        "config lists under reconcile.autoApply (same guards, same audit commit, recorded as unattended)\n" +
        "and reports the others, which wait for a reviewed pull request.\n" +
        "--target (repeatable, as Terraform's -target) plans and writes only the recipients it names; the\n" +
        "audit records the targets. A partial approved plan (plan --target) is applied for its targets\n" +
        "only: --target, when given with it, must name targets the plan was made for.\n" +
        "Exit 0 when every change applied, 1 otherwise.",
    )
    .action(async (files: string[], opts: ApplyOptions) => {
      const [
        { loadConfig },
        {
          approvalInputs,
          approvalTargets,
          changeLine,
          checkApproved,
          executeApply,
          loadApprovals,
          refuseTrips,
        },
        { assertAuditCommittable, recordApply },
        { AuditJournal, recoverJournals, recoveredLine },
        { repoRoot },
        { planIntegrity },
      ] = await Promise.all([
        import("../../config/load.js"),
        import("../../engine/apply-run.js"),
        import("../../gitops/audit.js"),
        import("../../gitops/audit-journal.js"),
        import("../../gitops/git.js"),
        import("../../plan/plan-file.js"),
      ]);
      const stdout = ctx.output();
      // --json: stdout holds the document alone; what would be printed there goes to stderr.
      const o = opts.json ? documentOutput(stdout) : stdout;
      const emit = async (
        plan: Plan,
        outcomes: readonly ChangeOutcome[],
        stopped: boolean,
        audit: { path: string; commit: string; pushed: boolean } | null,
      ) => {
        if (!opts.json) return;
        const { applyResultDocument } = await import("../../apply/result-document.js");
        stdout.out(JSON.stringify(applyResultDocument({ plan, outcomes, stopped, audit }), null, 2));
      };
      const loaded = await loadConfig(opts.config, ctx.cwd);
      printDiagnostics(o, loaded.warnings, ctx.env);
      // A repository that cannot take the audit commit is refused before anything is written.
      if (opts.audit) {
        await assertAuditCommittable(loaded.baseDir);
        // An interrupted apply's journal is completed and committed before anything new is written.
        for (const r of await recoverJournals(loaded.baseDir, ctx.env))
          o.err(o.color.yellow(recoveredLine(r)));
      }
      let plan: Plan;
      let approval: AuditApproval;
      let approvedBy: Map<string, string[]> | undefined;
      if (opts.unattended && (files.length > 0 || opts.autoApprove)) {
        throw new SmimesyncError(
          "USAGE",
          `--unattended takes no ${files.length > 0 ? "plan file" : "--auto-approve"}: what it writes is decided by reconcile.autoApply`,
          { hint: "Run `smimesync apply --unattended` alone, or apply reviewed plan files without it." },
        );
      }
      if (opts.unattended) {
        const unattended = await planUnattended(ctx, o, loaded, opts, opts.target);
        if (unattended === undefined) return;
        plan = unattended.plan;
        approval = unattended.approval;
      } else if (files.length > 0) {
        // Every plan file is verified before anything is read from the directories.
        const inputs = approvalInputs(ctx.cwd, files, opts.approvalPr ?? []);
        const { approvals, notes } = await loadApprovals(loaded, inputs, ctx.env);
        for (const note of notes) o.err(note.startsWith("warning:") ? o.color.yellow(note) : note);
        const scope = approvalTargets(approvals, opts.target);
        if (scope.note !== undefined) o.err(o.color.yellow(scope.note));
        const planned = await planWithProgress(ctx, o, loaded, {
          cache: opts,
          targets: scope.targets,
          readState: "refresh",
        });
        plan = planned.plan;
        refuseTrips(planned.trips);
        const x = checkApproved(plan, approvals);
        for (const { change } of x.noLongerPlanned) {
          o.err(`no longer planned (not applied): ${changeLine(change, plan.policyTime)}`);
        }
        approvedBy = new Map(x.approved.map((e) => [e.change.id, e.approvedBy.map((a) => a.plan.id)]));
        approval = {
          kind: "plan-files",
          plans: approvals.map((a) => ({
            id: a.plan.id,
            hash: a.hash,
            commit: a.plan.source.git?.commit ?? null,
            pullRequest: a.pullRequest,
          })),
        };
        const n = plan.changes.length;
        if (n > 0) {
          o.err(
            `Planned again: ${n} change${n === 1 ? "" : "s"}, each shown in an approved plan; writing the values planned now.`,
          );
        }
      } else {
        const confirmed = await planAndConfirm(ctx, o, loaded, opts);
        if (!confirmed) return;
        plan = confirmed;
        approval = { kind: opts.autoApprove ? "auto-approve" : "confirmed" };
      }
      if (!hasChanges(plan)) {
        o.out("No changes. Nothing to apply.");
        ctx.setExitCode(EXIT_OK);
        // With approved plans the run is still recorded: it moves the last applied commit on, so
        // those approvals are not offered again.
        if (approval.kind !== "plan-files") {
          await emit(plan, [], false, null);
          return;
        }
      }

      const planHash = planIntegrity(plan).hash;
      // The record of what is about to be written is on disk before the first write.
      const journal =
        opts.audit && hasChanges(plan)
          ? await AuditJournal.begin({
              repoDir: loaded.baseDir,
              plan,
              planHash,
              approval,
              ...(approvedBy ? { approvedBy } : {}),
              env: ctx.env,
            })
          : undefined;
      const p = progress(o, { env: ctx.env });
      const { outcomes, stoppedBy, saveError } = hasChanges(plan)
        ? await executeApply(loaded, plan, {
            env: ctx.env,
            ...(journal ? { journal } : {}),
            ...backendsWithNotices(ctx, o),
            onProgress: (done, total) => p.update(`Applying… ${done}/${total} recipients`),
          })
            .catch((e: unknown) => {
              journal?.close();
              throw e;
            })
            .finally(() => p.done())
        : { outcomes: [], stoppedBy: undefined, saveError: undefined };
      if (hasChanges(plan)) await printOutcomes(o, plan, outcomes, stoppedBy !== undefined);
      if (saveError !== undefined) {
        // No audit record: it would claim writes that may not have reached the files.
        o.err(
          o.color.red("The last writes could not be saved; run `smimesync plan` to see what the files hold."),
        );
        if (journal) {
          journal.close();
          o.err(
            `The journal ${journal.file} stays: the next plan or apply commits its record as interrupted.`,
          );
        }
        throw saveError;
      }

      let audit: { path: string; commit: string; pushed: boolean } | null = null;
      if (opts.audit && (await repoRoot(loaded.baseDir)) !== null) {
        const recorded = await recordApply({
          repoDir: loaded.baseDir,
          plan,
          planHash,
          outcomes,
          ...(journal ? { path: journal.recordPath, journal } : {}),
          approval,
          ...(approvedBy ? { approvedBy } : {}),
          env: ctx.env,
          push: opts.push === true,
        });
        o.err(
          `Audit record ${recorded.path} committed as ${recorded.commit.slice(0, 12)}${recorded.pushed ? " and pushed" : ""}.`,
        );
        audit = { path: recorded.path, commit: recorded.commit, pushed: recorded.pushed };
      }
      await emit(plan, outcomes, stoppedBy !== undefined, audit);
      if (plan.targets) o.err(o.color.yellow(partialRunWarning(plan.targets, "apply planned and wrote")));
      // Reported after the audit record, so what was written before the stop is on record.
      if (stoppedBy !== undefined) throw stoppedBy;
      ctx.setExitCode(outcomes.every((x) => x.outcome === "applied") ? EXIT_OK : EXIT_ERROR);
    });

/** Changes listed in a report before "... and N more". */
const LISTED = 20;

/**
 * `--unattended`: plan now and keep only the changes of the reasons `reconcile.autoApply` lists.
 * Undefined when nothing may be written (said, exit 0).
 */
async function planUnattended(
  ctx: CliContext,
  o: Output,
  loaded: LoadedConfig,
  cache: CacheOptions,
  targets: readonly string[],
): Promise<{ plan: Plan; approval: AuditApproval } | undefined> {
  const reasons = loaded.config.reconcile?.autoApply ?? [];
  if (reasons.length === 0) {
    throw new SmimesyncError(
      "USAGE",
      "reconcile.autoApply lists no change reason: an unattended apply may write nothing",
      {
        hint: "List in smimesync.yaml what a scheduled run may apply without review, e.g. `reconcile: { autoApply: [derived-pkcs7, expired] }`; everything else goes through a pull request.",
      },
    );
  }
  const [{ changeLine, refuseTrips }, { selectUnattended }] = await Promise.all([
    import("../../engine/apply-run.js"),
    import("../../apply/unattended.js"),
  ]);
  const planned = await planWithProgress(ctx, o, loaded, { cache, targets, readState: "refresh" });
  refuseTrips(planned.trips);
  const pick = selectUnattended(planned.plan, reasons);
  const waiting = [
    ...pick.notListed.map((c) => ({ c, why: `${c.reason} is not in reconcile.autoApply` })),
    ...pick.heldBack.map((c) => ({ c, why: "a removal it needs here is not in reconcile.autoApply" })),
  ];
  for (const { c, why } of waiting.slice(0, LISTED)) {
    o.err(`waits for a pull request (${why}): ${changeLine(c, planned.plan.policyTime)}`);
  }
  if (waiting.length > LISTED) o.err(`... and ${waiting.length - LISTED} more waiting for a pull request`);
  const n = pick.plan.changes.length;
  o.err(
    `Unattended (reconcile.autoApply: ${reasons.join(", ")}): ${n} of ${planned.plan.changes.length} planned change${planned.plan.changes.length === 1 ? "" : "s"} may be written now; ${waiting.length} wait${waiting.length === 1 ? "s" : ""} for a pull request.`,
  );
  if (n === 0) {
    o.out(
      waiting.length > 0
        ? "Nothing to apply unattended: every planned change waits for a pull request."
        : "No changes. Nothing to apply.",
    );
    ctx.setExitCode(EXIT_OK);
    return undefined;
  }
  return { plan: pick.plan, approval: { kind: "unattended", reasons } };
}

/** Without a plan file: plan now, show it, and ask (or take --auto-approve). */
async function planAndConfirm(
  ctx: CliContext,
  o: Output,
  loaded: LoadedConfig,
  opts: ApplyOptions,
): Promise<Plan | undefined> {
  const { plan, trips } = await planWithProgress(ctx, o, loaded, {
    cache: opts,
    targets: opts.target,
    readState: "refresh",
  });
  const { planRenderer } = await import("../../plan/render/index.js");
  o.out(planRenderer("text", { color: o.color }).render(plan).trimEnd());
  if (trips.length > 0) {
    printGuardTrips(o, trips);
    ctx.setExitCode(EXIT_ERROR);
    return undefined;
  }
  if (!hasChanges(plan) || opts.autoApprove) return plan;
  if (!o.interactive || !process.stdin.isTTY) {
    throw new SmimesyncError("USAGE", "not asking for approval: standard input is not a terminal", {
      hint: "Pass --auto-approve, or better: `smimesync plan --out plan.json`, review it, then `smimesync apply plan.json`.",
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question("\nDo you want to apply these changes? Only 'yes' will be accepted: ");
  rl.close();
  if (answer.trim() !== "yes") {
    o.err("Apply cancelled. Nothing was written.");
    ctx.setExitCode(EXIT_ERROR);
    return undefined;
  }
  return plan;
}

/** `applied` is the longest word but one; `unconfirmed` sets the column. */
const OUTCOME_WIDTH = "unconfirmed".length;

async function printOutcomes(
  o: Output,
  plan: Plan,
  outcomes: readonly ChangeOutcome[],
  stopped: boolean,
): Promise<void> {
  const [{ outcomeCounts, recipientResults }, { oneLine }] = await Promise.all([
    import("../../apply/results.js"),
    import("../../plan/render/describe.js"),
  ]);
  // One line per recipient on stdout, then the summary; the changes not applied follow on stderr.
  o.out("");
  for (const r of recipientResults(plan, outcomes)) {
    const word = r.outcome.padEnd(OUTCOME_WIDTH);
    if (r.outcome === "applied") {
      const what = [
        ...(r.published > 0 ? [`${r.published} published`] : []),
        ...(r.removed > 0 ? [`${r.removed} removed`] : []),
      ].join(", ");
      o.out(`${o.color.green(word)} ${oneLine(r.address)}: ${what}`);
    } else {
      const paint = r.outcome === "failed" ? o.color.red : o.color.yellow;
      const n = `${r.notApplied} change${r.notApplied === 1 ? "" : "s"} not applied`;
      o.out(`${paint(word)} ${oneLine(r.address)}: ${oneLine(r.message)} (${n})`);
    }
  }
  const byId = new Map(plan.changes.map((c) => [c.id, c]));
  const counts = outcomeCounts(outcomes);
  for (const x of outcomes) {
    if (x.outcome === "applied") continue;
    const c = byId.get(x.changeId);
    o.err(
      o.color.yellow(
        `${x.outcome}: ${c ? `${c.address} ${c.attribute} ${c.action}` : x.changeId}: ${x.message}`,
      ),
    );
  }
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : "";
  const unconfirmed = counts.unconfirmed > 0 ? `, ${counts.unconfirmed} unconfirmed` : "";
  const line = `Apply ${stopped ? "stopped" : "complete"}: ${counts.applied} applied${unconfirmed}, ${counts.stale} stale, ${counts.failed} failed${skipped}.`;
  const notAll = counts.unconfirmed + counts.stale + counts.failed + counts.skipped > 0;
  o.out(notAll ? o.color.yellow(line) : o.color.green(line));
  if (notAll) {
    o.out(
      "Run `smimesync plan` again: it plans only what is still needed (what was applied is not planned again).",
    );
  }
}
