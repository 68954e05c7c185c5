// What every command gets: where to write, the environment, the working directory, and how to
// report its exit code. Commands never call process.exit, so they run unchanged inside tests.
import type { Command } from "commander";
import type { BackendOptions } from "../engine/backends.js";
import type { WaitClock } from "../health/wait.js";
import type { ExitCode } from "./exit-codes.js";
import type { Output } from "./output.js";

export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Built on first use, after the global --no-color / --debug flags are parsed. */
  output(): Output;
  setExitCode(code: ExitCode): void;
  /** Test seams for the backends (emulator CA, fast clock) and the policy time; production: none. */
  readonly seams: EngineSeams;
}

export interface EngineSeams {
  readonly backends?: Omit<BackendOptions, "env">;
  readonly now?: Date;
  /** What `status --wait` sleeps and measures its timeout with. */
  readonly waitClock?: WaitClock;
}

export type CommandFactory = (ctx: CliContext) => Command;

/** The global flags, readable from any sub-command. */
export interface GlobalOptions {
  readonly color: boolean;
  readonly debug: boolean;
}
