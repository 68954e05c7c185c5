import { Command } from "commander";
import { configOption } from "../config-option.js";
import type { CommandFactory } from "../context.js";
import { EXIT_OK } from "../exit-codes.js";
import { printDiagnostics } from "../report-error.js";

export const validateCommand: CommandFactory = (ctx) =>
  new Command("validate")
    .description("check smimesync.yaml: schema, secrets as references, DNs, referenced files, endpoints")
    .addOption(configOption())
    .addHelpText(
      "after",
      "\nEvery problem is printed as FILE:LINE:COL: message, all in one run. Under GitHub Actions\n" +
        "(GITHUB_ACTIONS=true) they are also printed as ::error annotations for the pull request.\n" +
        "Needs no secret and no network: run it in every pull request.\n\n" +
        "Exit codes: 0 valid (warnings allowed), 1 problems found.",
    )
    .action(async (opts: { config: string }) => {
      const { loadConfig } = await import("../../config/load.js");
      const o = ctx.output();
      const loaded = await loadConfig(opts.config, ctx.cwd);
      printDiagnostics(o, loaded.warnings, ctx.env);
      const n = loaded.warnings.length;
      o.out(
        `${o.color.green("✓")} ${loaded.displayPath} is valid${n > 0 ? ` (${n} warning${n === 1 ? "" : "s"})` : ""}.`,
      );
      ctx.setExitCode(EXIT_OK);
    });
