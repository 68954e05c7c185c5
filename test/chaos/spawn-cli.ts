// Runs the CLI in a child process (node with tsx's loader, not the tsx wrapper, which would outlive
// a kill), for the tests that kill it: the journal test and the kill -9 loops.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Writes the entry script into `dir` (once per test directory) and returns its path. */
export function cliEntry(dir: string): string {
  const script = join(dir, "smimesync-entry.mts");
  writeFileSync(
    script,
    `import { main } from ${JSON.stringify(MAIN)};\nprocess.exitCode = await main(process.argv.slice(2));\n`,
  );
  return script;
}

export function spawnCli(
  entry: string,
  args: readonly string[],
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    /** A real SIGKILL `ms` after the child first prints `after` (the kill -9 loop's random kill points). */
    kill?: { after: RegExp; ms: number };
  },
): Promise<ChildRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", TSX, entry, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
      const kill = opts.kill;
      if (kill === undefined || timer !== undefined || !kill.after.test(stdout + stderr)) return;
      timer = setTimeout(() => child.kill("SIGKILL"), kill.ms);
    };
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      watch();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      watch();
    });
    child.once("error", fail);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}
