// One `smimesync plan` for the action: the plan file, its markdown, and on failure what went wrong
// (the CLI's error and hint as it printed them) so that the failure reaches the pull request too.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import * as core from "@actions/core";
import { loadPlan } from "../../plan/plan-file.js";
import { renderMarkdown } from "../../plan/render/index.js";
import type { Plan } from "../../plan/types.js";
import { PLAN_JSON, PLAN_MD } from "./artifacts.js";
import type { ActionContext } from "./context.js";

export type PlanRun =
  | {
      readonly kind: "planned";
      readonly hasChanges: boolean;
      readonly plan: Plan;
      readonly planFile: string;
      readonly markdownFile: string;
      readonly markdown: string;
    }
  | {
      readonly kind: "failed";
      /** What the CLI printed on stderr: the error, its hint, the tripped guards. */
      readonly error: string;
      /** A tripped guard still saves the plan: reviewers should see what tripped it. */
      readonly plan: Plan | null;
      readonly markdown: string | null;
    };

/** The config path as the repository names it: the key of the comment set and tracking issue. */
export function configKey(ctx: Pick<ActionContext, "env" | "cwd" | "inputs">): string {
  const workspace = ctx.env.GITHUB_WORKSPACE || ctx.cwd;
  return relative(workspace, resolve(ctx.cwd, ctx.inputs.config)).split("\\").join("/") || ctx.inputs.config;
}

export async function runPlan(ctx: ActionContext, outDir: string): Promise<PlanRun> {
  const planFile = join(outDir, PLAN_JSON);
  const markdownFile = join(outDir, PLAN_MD);
  // Markdown from plan itself: only plan has what the coverage line before and after needs (the
  // observed state); the plan file does not hold it. The run link comes from GITHUB_* variables.
  const argv = [
    "plan",
    "--config",
    ctx.inputs.config,
    "--out",
    planFile,
    "--detailed-exitcode",
    "--format",
    "markdown",
  ];
  const res = await core.group(`smimesync ${argv.join(" ")}`, async () => {
    const r = await ctx.cli(argv, ctx.cwd);
    if (r.stdout) process.stdout.write(r.stdout.endsWith("\n") ? r.stdout : `${r.stdout}\n`);
    if (r.stderr) process.stdout.write(r.stderr.endsWith("\n") ? r.stderr : `${r.stderr}\n`);
    return r;
  });
  const plan = existsSync(planFile) ? await loadPlan(planFile) : null;
  const printed = res.stdout.startsWith("## smimesync plan") ? `${res.stdout.trimEnd()}\n` : null;
  const markdown = plan ? (printed ?? renderMarkdown(plan, { runUrl: ctx.run.runUrl })) : null;
  if (markdown !== null) await writeFile(markdownFile, markdown);
  if ((res.code === 0 || res.code === 2) && plan && markdown !== null) {
    return { kind: "planned", hasChanges: res.code === 2, plan, planFile, markdownFile, markdown };
  }
  return {
    kind: "failed",
    error: cleanStderr(res.stderr) || `smimesync plan exited ${res.code}.`,
    plan,
    markdown,
  };
}

/** stderr without colour codes, progress redraws and the "saved the plan" line. */
export function cleanStderr(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what is removed
      .replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")
      .split(/\r?\n/)
      .map((l) => l.replace(/^.*\r/, ""))
      .filter((l) => !/^(Saved the plan to |Verdict cache: )/.test(l))
      .join("\n")
      .trim()
      .slice(-8000)
  );
}

/** The markdown a failed plan posts: the error first, then the run, then the plan if one was made. */
export function failureMarkdown(
  ctx: ActionContext,
  what: string,
  error: string,
  markdown: string | null,
): string {
  const headline =
    error.split("\n").find((l) => /^(Error|Internal error):/.test(l)) ?? error.split("\n")[0] ?? "";
  return [
    `### ❌ smimesync ${what} failed for \`${configKey(ctx)}\``,
    "",
    `**${escapeMd(headline.replace(/^Error:\s*/, ""))}**`,
    "",
    "```text",
    error.replace(/```/g, "'''"),
    "```",
    "",
    `[The run's log](${ctx.run.runUrl})`,
    ...(markdown ? ["", "The plan as computed:", "", markdown] : []),
    "",
  ].join("\n");
}

function escapeMd(s: string): string {
  return s.replace(/([*_`[\]<>])/g, "\\$1");
}
