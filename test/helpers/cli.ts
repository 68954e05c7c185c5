// Runs the CLI in-process with captured output, the way a user would call it.
import type { EngineSeams } from "../../src/cli/context.js";
import { main } from "../../src/cli/main.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; tty?: boolean; seams?: EngineSeams } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const tty = opts.tty ?? false;
  const code = await main(args, {
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? { PATH: process.env.PATH },
    stdout: { write: (s: string) => (stdout += s), isTTY: tty },
    stderr: { write: (s: string) => (stderr += s), isTTY: tty },
    ...(opts.seams ? { seams: opts.seams } : {}),
  });
  return { code, stdout, stderr };
}
