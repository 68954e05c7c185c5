import { Command, CommanderError } from "commander";
import { SmimesyncError } from "../errors.js";
import { version } from "../version.js";
import { applyCommand } from "./commands/apply.js";
import { auditCommand } from "./commands/audit.js";
import { demoCommand } from "./commands/demo.js";
import { driftCommand } from "./commands/drift.js";
import { initCommand } from "./commands/init.js";
import { inspectCommand } from "./commands/inspect.js";
import { planCommand } from "./commands/plan.js";
import { reportCommand } from "./commands/report.js";
import { showCommand } from "./commands/show.js";
import { statusCommand } from "./commands/status.js";
import { validateCommand } from "./commands/validate.js";
import type { CliContext, CommandFactory, EngineSeams, GlobalOptions } from "./context.js";
import { EXIT_ERROR, EXIT_OK, type ExitCode } from "./exit-codes.js";
import { type Output, processOutput, type TextSink } from "./output.js";
import { reportError } from "./report-error.js";

// One line per command; each lives in commands/<name>.ts.
const COMMANDS: readonly CommandFactory[] = [
  validateCommand,
  planCommand,
  driftCommand,
  showCommand,
  applyCommand,
  statusCommand,
  reportCommand,
  initCommand,
  demoCommand,
  inspectCommand,
  auditCommand,
];

/** Sub-commands (and theirs) write where the program writes and never exit the process. */
function inherit(cmd: Command, parent: Command): Command {
  cmd.copyInheritedSettings(parent);
  for (const sub of cmd.commands) inherit(sub, cmd);
  return cmd;
}

export interface MainOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly stdout?: TextSink;
  readonly stderr?: TextSink;
  /** Test seams passed to the engine (see CliContext.seams). */
  readonly seams?: EngineSeams;
}

export async function main(argv: readonly string[], opts: MainOptions = {}): Promise<ExitCode> {
  const env = opts.env ?? process.env;
  let exitCode: ExitCode = EXIT_OK;
  let output: Output | undefined;
  const program = new Command("smimesync");
  const ctx: CliContext = {
    env,
    cwd: opts.cwd ?? process.cwd(),
    seams: opts.seams ?? {},
    output() {
      if (!output) {
        const g = program.opts<GlobalOptions>();
        output = processOutput({
          noColor: g.color === false,
          debug: g.debug === true,
          env,
          ...(opts.stdout ? { stdout: opts.stdout } : {}),
          ...(opts.stderr ? { stderr: opts.stderr } : {}),
        });
      }
      return output;
    },
    setExitCode(code) {
      exitCode = code;
    },
  };

  program
    .description(
      "Keeps users' S/MIME certificates correctly published between Active Directory and Office 365.\n" +
        "The desired state lives in smimesync.yaml: `plan` shows the changes, `apply` makes them.",
    )
    .version(version, "-V, --version", "print the version and exit")
    .option("--no-color", "no colours (also when NO_COLOR is set or output is not a terminal)")
    .option("--debug", "show stack traces and internal details of errors")
    .helpOption("-h, --help", "show help for smimesync or a command")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => (opts.stdout ?? process.stdout).write(s),
      writeErr: (s) => (opts.stderr ?? process.stderr).write(s),
    })
    .addHelpText(
      "after",
      "\nExit codes: 0 success, 1 error, 2 changes present (plan --detailed-exitcode), drift (drift) or\n" +
        "recipients not synced (status); 3 status --wait timed out.\n" +
        'Documentation: README.md, shipped with the package (npm: "smimesync"): "Usage" for each command,\n' +
        '"Configuration" for smimesync.yaml (JSON Schema: schemas/config.schema.json), "Workflow in GitHub".',
    );
  for (const make of COMMANDS) program.addCommand(inherit(make(ctx), program));

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; a usage mistake was already printed.
      return e.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    }
    reportError(
      ctx.output(),
      e instanceof SmimesyncError || e instanceof Error ? e : new Error(String(e)),
      env,
    );
    return EXIT_ERROR;
  }
}
