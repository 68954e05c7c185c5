// `smimesync demo [DIR]`: a self-contained example organisation (CAs and users' certificates made
// on the spot, an LDIF directory, a tenant snapshot, a config) and its plan, computed with the
// offline backends exactly as `smimesync plan` computes it. No credentials, no network.
import { mkdir, mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { Command, Option } from "commander";
import { SmimesyncError } from "../../errors.js";
import type { CommandFactory } from "../context.js";
import { EXIT_ERROR, EXIT_OK } from "../exit-codes.js";
import { printDiagnostics } from "../report-error.js";
import { planWithProgress, printGuardTrips } from "./shared.js";

interface DemoOptions {
  force?: boolean;
  now?: string;
}

export const demoCommand: CommandFactory = (ctx) =>
  new Command("demo")
    .description("create an example organisation offline and show its plan (no credentials needed)")
    .argument("[dir]", "where to create it (default: a new temporary folder)")
    .option("--force", "write into DIR even when it is not empty (the demo's files are replaced)")
    // Tests pin the clock; the certificates are made relative to it, so the demo never rots.
    .addOption(new Option("--now <time>", "policy time and certificate dates (ISO 8601)").hideHelp())
    .addHelpText(
      "after",
      "\nThe folder gets smimesync.yaml, directory.ldif (Active Directory), tenant.json (Office 365),\n" +
        "pki/ and certs/ (certificates only: the CAs' keys exist in memory while the demo is made).\n" +
        "`smimesync plan` and `smimesync apply` then work on those files.\n\n" +
        "Examples:\n  smimesync demo\n  smimesync demo ./smimesync-demo",
    )
    .action(async (dirArg: string | undefined, opts: DemoOptions) => {
      const [
        { loadConfig },
        { DEMO_CONFIG, writeDemo },
        { planRenderer },
        { coverageChangeLine, planCoverage },
      ] = await Promise.all([
        import("../../config/load.js"),
        import("../../demo/write-demo.js"),
        import("../../plan/render/index.js"),
        import("../../report/coverage-line.js"),
      ]);
      const o = ctx.output();
      const now = policyTime(opts.now) ?? ctx.seams.now ?? new Date();
      const dir =
        dirArg === undefined
          ? await mkdtemp(join(tmpdir(), "smimesync-demo-"))
          : await prepare(resolve(ctx.cwd, dirArg), opts.force === true, ctx.cwd);
      const shown = display(ctx.cwd, dir);

      const written = await writeDemo(dir, now);
      o.out(`${o.color.green("Created")} an example organisation in ${shown}:`);
      for (const f of written.files.filter((f) => !f.includes("/"))) o.out(`  ${f}`);
      o.out("  pki/, certs/  (certificates and a CRL; no private key was written)");
      o.out("");
      o.out(
        o.color.bold("smimesync plan") +
          o.color.dim(" (offline: the directory and the tenant are the files above)"),
      );
      o.out("");

      // The plan command's own steps, on the demo's config.
      const loaded = await loadConfig(join(dir, DEMO_CONFIG), ctx.cwd);
      printDiagnostics(o, loaded.warnings, ctx.env);
      const { plan, trips, observation } = await planWithProgress(ctx, o, loaded, { now, observe: true });
      o.out(planRenderer("text", { color: o.color }).render(plan).trimEnd());
      o.out("");
      o.out(coverageChangeLine(planCoverage(observation.recipients, plan, observation.judge)));
      if (trips.length > 0) {
        printGuardTrips(o, trips);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      // npm and npx set npm_command for the scripts they run ("exec" for npx).
      o.out(nextSteps(shown, ctx.env.npm_command === "exec"));
      ctx.setExitCode(EXIT_OK);
    });

function policyTime(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new SmimesyncError("USAGE", `--now: "${text}" is not a date and time`, {
      hint: "Use ISO 8601, e.g. 2025-06-01T12:00:00Z.",
    });
  }
  return d;
}

/** DIR must be new or empty (or --force): the demo never mixes its files into someone's work. */
async function prepare(dir: string, force: boolean, cwd: string): Promise<string> {
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return undefined;
    throw e;
  });
  if (info !== undefined && !info.isDirectory()) {
    throw new SmimesyncError("USAGE", `${display(cwd, dir)} exists and is not a folder`);
  }
  if (info !== undefined && !force && (await readdir(dir)).length > 0) {
    throw new SmimesyncError("USAGE", `${display(cwd, dir)} is not empty`, {
      hint: "Name a new or empty folder, leave DIR out for a temporary one, or pass --force to write the demo's files there anyway.",
    });
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

function display(cwd: string, path: string): string {
  const r = relative(cwd, path);
  return r === "" ? "." : r.startsWith("..") ? path : r;
}

const quote = (path: string): string =>
  /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;

/**
 * How to go on. Installed globally, `cd` into the demo and run the commands there. Started with
 * `npx smimesync` from a clone, stay where you are: npx resolves smimesync from the clone's
 * node_modules, and in the temporary folder it would look for a package of that name on the
 * registry instead.
 */
export function nextSteps(dir: string, viaNpx: boolean): string {
  const tail = [
    "Edit smimesync.yaml (prune, maxPerUser, scope) and plan again to see what each setting does.",
  ];
  if (viaNpx) {
    const at = (file: string): string => quote(dir === "." ? file : `${dir}/${file}`);
    const c = `-c ${at("smimesync.yaml")}`;
    return [
      "",
      "Next, from this folder (the demo's files stay where they are):",
      `  npx smimesync plan ${c} --out ${at("plan.json")}`,
      `  npx smimesync apply ${c} ${at("plan.json")}`,
      `  npx smimesync plan ${c}`,
      `  npx smimesync show ${at("plan.json")} --format markdown`,
      `  npx smimesync report ${c} --out ${at("coverage.html")}`,
      `  npx smimesync inspect ${at("certs/grace.green.pem")} ${c} --mail grace.green@corp.example.com`,
      "apply writes directory.ldif and tenant.json (each atomically); the plan after it shows No changes,",
      "and the drift stays (no Entra Connect runs here). show prints the saved plan as a pull request comment;",
      "report writes who can receive encrypted mail now, and who loses it when, as one HTML page.",
      ...tail,
    ].join("\n");
  }
  return [
    "",
    "Next, in the demo's folder:",
    `  cd ${quote(dir)}`,
    "  smimesync plan --out plan.json    # the same plan, saved for review",
    "  smimesync apply plan.json         # writes directory.ldif and tenant.json, atomically",
    "  smimesync plan                    # then: No changes (the drift stays: no Entra Connect here)",
    "  smimesync show plan.json --format markdown   # the saved plan as a pull request comment",
    "  smimesync report                  # who can receive encrypted mail now, and who loses it when",
    "  smimesync inspect certs/grace.green.pem -c smimesync.yaml --mail grace.green@corp.example.com",
    ...tail,
  ].join("\n");
}
