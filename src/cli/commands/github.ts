// `smimesync github ...`: the steps of action.yml that talk to GitHub or decide between the
// approved plan and a re-plan. Usable from any workflow, but made for the action.
import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { Command } from "commander";
import { SmimesyncError } from "../../errors.js";
import { pullRequestNumber } from "../../gitops/github-env.js";
import { configOption } from "../config-option.js";
import type { CliContext, CommandFactory } from "../context.js";
import { EXIT_ERROR, EXIT_OK } from "../exit-codes.js";

export const githubCommand: CommandFactory = (ctx) =>
  new Command("github")
    .description("GitHub Actions helpers used by action.yml: plan comment, job summary, plan binding checks")
    .addCommand(commentCommand(ctx))
    .addCommand(summaryCommand(ctx))
    .addCommand(checkBindingCommand(ctx))
    .addCommand(comparePlansCommand(ctx));

function commentCommand(ctx: CliContext): Command {
  return new Command("comment")
    .description("create or update the plan comment(s) on the pull request, found by a hidden marker")
    .option("--plan <file>", "the plan file: rendered as markdown and split to fit comments")
    .option("--markdown <file>", "or the markdown `plan --format markdown` printed")
    .option("--config-path <path>", "the config the plan is for (default: the plan's; else smimesync.yaml)")
    .option("--pr <number>", "the pull request (default: from the event, GITHUB_EVENT_PATH)")
    .action(async (opts: { plan?: string; markdown?: string; configPath?: string; pr?: string }) => {
      const [
        { commentPartBudget, publishPlanComments },
        { GitHubApi, githubApiOptionsFromEnv },
        { loadPlan },
      ] = await Promise.all([
        import("../../gitops/github.js"),
        import("../../gitops/github-api.js"),
        import("../../plan/plan-file.js"),
      ]);
      const { MARKDOWN_PART_BUDGET, renderMarkdown, splitMarkdown } = await import(
        "../../plan/render/index.js"
      );
      const o = ctx.output();
      if ((opts.plan === undefined) === (opts.markdown === undefined)) {
        throw new SmimesyncError("USAGE", "give one of --plan FILE or --markdown FILE");
      }
      const pr = opts.pr !== undefined ? Number(opts.pr) : pullRequestNumber(ctx.env);
      if (pr === null || !Number.isSafeInteger(pr) || pr <= 0) {
        throw new SmimesyncError("USAGE", "no pull request to comment on", {
          hint: "Run on a pull_request event, or pass --pr NUMBER.",
        });
      }
      let markdown: string;
      let configPath = opts.configPath ?? "smimesync.yaml";
      if (opts.plan !== undefined) {
        const plan = await loadPlan(resolve(ctx.cwd, opts.plan));
        configPath = opts.configPath ?? plan.source.configPath;
        markdown = renderMarkdown(plan);
      } else {
        markdown = await readFile(resolve(ctx.cwd, opts.markdown as string), "utf8");
      }
      const parts = splitMarkdown(markdown, Math.min(MARKDOWN_PART_BUDGET, commentPartBudget(configPath)));
      const api = new GitHubApi(githubApiOptionsFromEnv(ctx.env));
      const result = await publishPlanComments(api, { issueNumber: pr, configPath, parts });
      for (const c of result) o.out(`part ${c.part}: ${c.action} ${c.url}`);
      ctx.setExitCode(EXIT_OK);
    });
}

function summaryCommand(ctx: CliContext): Command {
  return new Command("summary")
    .description("append markdown files to the job summary (GITHUB_STEP_SUMMARY)")
    .argument("<files...>", "markdown files")
    .action(async (files: string[]) => {
      const { appendStepSummary } = await import("../../gitops/github.js");
      for (const f of files) {
        if (!(await appendStepSummary(ctx.env, await readFile(resolve(ctx.cwd, f), "utf8")))) {
          ctx.output().err("GITHUB_STEP_SUMMARY is not set: not in GitHub Actions, nothing written.");
          break;
        }
      }
      ctx.setExitCode(EXIT_OK);
    });
}

function checkBindingCommand(ctx: CliContext): Command {
  return new Command("check-binding")
    .description(
      "exit 0 only when the plan's commit is in HEAD's history and its config and certificates are unchanged",
    )
    .requiredOption("--plan <file>", "the plan file")
    .addOption(configOption())
    .action(async (opts: { plan: string; config: string }) => {
      const [
        { loadConfig },
        { repoRoot },
        { checkPlanBinding, describeBinding },
        { planInputsOf },
        { loadPlan },
      ] = await Promise.all([
        import("../../config/load.js"),
        import("../../gitops/git.js"),
        import("../../gitops/git-binding.js"),
        import("../../gitops/plan-inputs.js"),
        import("../../plan/plan-file.js"),
      ]);
      const o = ctx.output();
      const loaded = await loadConfig(opts.config, ctx.cwd);
      const plan = await loadPlan(resolve(ctx.cwd, opts.plan));
      const root = (await repoRoot(ctx.cwd)) ?? ctx.cwd;
      const verdict = await checkPlanBinding(plan, { repoDir: root, ...planInputsOf(loaded), ci: true });
      for (const line of describeBinding(verdict)) (verdict.kind === "bound" ? o.out : o.err)(line);
      if (verdict.kind !== "bound")
        o.err(`(${relative(ctx.cwd, resolve(ctx.cwd, opts.plan))} is not bound to HEAD)`);
      ctx.setExitCode(verdict.kind === "bound" ? EXIT_OK : EXIT_ERROR);
    });
}

function comparePlansCommand(ctx: CliContext): Command {
  return new Command("compare-plans")
    .description("exit 0 only when two plans make exactly the same changes (approved plan vs a re-plan)")
    .argument("<approved>", "the plan reviewers approved")
    .argument("<fresh>", "the plan made on the merged commit")
    .action(async (approvedFile: string, freshFile: string) => {
      const [{ comparePlans }, { loadPlan }] = await Promise.all([
        import("../../gitops/plan-compare.js"),
        import("../../plan/plan-file.js"),
      ]);
      const o = ctx.output();
      const approved = await loadPlan(resolve(ctx.cwd, approvedFile));
      const fresh = await loadPlan(resolve(ctx.cwd, freshFile));
      const cmp = comparePlans(approved, fresh);
      if (cmp.same) {
        o.out(`The plans make the same ${cmp.changes} change${cmp.changes === 1 ? "" : "s"}.`);
        ctx.setExitCode(EXIT_OK);
        return;
      }
      o.err("The plan made on the merged commit differs from the approved plan:");
      for (const id of cmp.onlyApproved) o.err(`  approved, no longer planned: ${id}`);
      for (const id of cmp.onlyFresh) o.err(`  planned now, never approved: ${id}`);
      o.err("Re-run plan on the merged commit, review it in a pull request, and apply that plan.");
      ctx.setExitCode(EXIT_ERROR);
    });
}
