import { extname, resolve } from "node:path";
import { Chalk } from "chalk";
import { Command, Option } from "commander";
import { SmimesyncError } from "../../errors.js";
import { DEFAULT_WEEKS, MAX_WEEKS, REPORT_FORMATS, type ReportFormat } from "../../report/options.js";
import { addCacheOptions, type CacheOptions } from "../cache-option.js";
import { configOption } from "../config-option.js";
import type { CommandFactory } from "../context.js";
import { EXIT_OK } from "../exit-codes.js";
import { printDiagnostics } from "../report-error.js";
import { planWithProgress } from "./shared.js";

interface ReportOptions extends CacheOptions {
  config: string;
  format?: ReportFormat;
  out?: string;
  weeks: string;
}

const BY_EXTENSION: Readonly<Record<string, ReportFormat>> = {
  ".txt": "text",
  ".md": "markdown",
  ".json": "json",
  ".csv": "csv",
  ".html": "html",
  ".htm": "html",
};

export const reportCommand: CommandFactory = (ctx) =>
  addCacheOptions(
    new Command("report")
      .description("who can receive encrypted mail now, and who loses it week by week (writes nothing)")
      .addOption(configOption()),
  )
    .addOption(
      new Option(
        "-f, --format <format>",
        "output format (default: from --out's extension, else text)",
      ).choices(REPORT_FORMATS),
    )
    .option("-o, --out <file>", "write the report to this file instead of the terminal")
    .option("--weeks <n>", `weeks the forecast looks ahead (1..${MAX_WEEKS})`, String(DEFAULT_WEEKS))
    .addHelpText(
      "after",
      "\nReads AD and Office 365 exactly as `plan` does and judges every certificate with the same policy.\n" +
        "A recipient is covered when a usable certificate (trusted, valid, its address, fit for encryption)\n" +
        "is at its authority and in Exchange Online, where Outlook looks.\n\n" +
        'Examples:\n  smimesync report\n  smimesync report --format markdown >> "$GITHUB_STEP_SUMMARY"\n' +
        "  smimesync report --out coverage.html\n  smimesync report --format csv --out coverage.csv --weeks 52",
    )
    .action(async (opts: ReportOptions) => {
      const o = ctx.output();
      const weeks = parseWeeks(opts.weeks);
      const format =
        opts.format ?? (opts.out ? BY_EXTENSION[extname(opts.out).toLowerCase()] : undefined) ?? "text";
      const [{ loadConfig }, { writeFileAtomic }, { buildReport }, { renderReport }] = await Promise.all([
        import("../../config/load.js"),
        import("../../files/atomic-write.js"),
        import("../../report/build.js"),
        import("../../report/render/index.js"),
      ]);
      const loaded = await loadConfig(opts.config, ctx.cwd);
      printDiagnostics(o, loaded.warnings, ctx.env);
      const { plan, observation } = await planWithProgress(ctx, o, loaded, { cache: opts, observe: true });
      const report = buildReport({ plan, ...observation, weeks });
      if (opts.out) {
        await writeFileAtomic(
          resolve(ctx.cwd, opts.out),
          renderReport(report, format, new Chalk({ level: 0 })),
        );
        o.err(`Wrote the report (${format}) to ${opts.out}.`);
      } else {
        o.out(renderReport(report, format, o.color).trimEnd());
      }
      ctx.setExitCode(EXIT_OK);
    });

function parseWeeks(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WEEKS) {
    throw new SmimesyncError("USAGE", `--weeks: "${text}" is not a number of weeks from 1 to ${MAX_WEEKS}`, {
      hint: `Give a whole number, e.g. --weeks ${DEFAULT_WEEKS} (half a year).`,
    });
  }
  return n;
}
