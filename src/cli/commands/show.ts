import { resolve } from "node:path";
import { Command, Option } from "commander";
import { PLAN_FORMATS, type PlanFormat } from "../../plan/render/formats.js";
import type { CommandFactory } from "../context.js";
import { EXIT_OK } from "../exit-codes.js";

export const showCommand: CommandFactory = (ctx) =>
  new Command("show")
    .description("print a saved plan file (checked against its schema and integrity hash)")
    .argument("<plan>", "a plan file written by `smimesync plan --out`")
    .addOption(new Option("-f, --format <format>", "output format").choices(PLAN_FORMATS).default("text"))
    .action(async (file: string, opts: { format: PlanFormat }) => {
      const [{ loadPlan }, { planRenderer }] = await Promise.all([
        import("../../plan/plan-file.js"),
        import("../../plan/render/index.js"),
      ]);
      const o = ctx.output();
      const plan = await loadPlan(resolve(ctx.cwd, file));
      o.out(planRenderer(opts.format, { color: o.color }).render(plan).trimEnd());
      ctx.setExitCode(EXIT_OK);
    });
