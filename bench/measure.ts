// Running a command as a child process and measuring it with GNU time: wall clock, CPU (user +
// system) and peak RSS, the same way for `smimesync plan` and for the floor's tools.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Measured {
  readonly wallS: number;
  readonly cpuS: number;
  readonly peakRssMiB: number;
}

const TIME = "/usr/bin/time";

/** Runs `cmd args` with stdout discarded; throws with its stderr when it fails. */
export async function measure(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Measured> {
  if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed: apt-get install -y time`);
  const dir = await mkdtemp(join(tmpdir(), "smimesync-time-"));
  const out = join(dir, "time");
  try {
    const stderr: Buffer[] = [];
    const started = performance.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(TIME, ["-f", "%e %U %S %M", "-o", out, cmd, ...args], {
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      child.stderr.on("data", (c: Buffer) => stderr.push(c));
      child.on("error", reject);
      child.on("exit", resolve);
    });
    const wallS = (performance.now() - started) / 1000;
    if (code !== 0)
      throw new Error(`${cmd} ${args.join(" ")} exited ${code}: ${Buffer.concat(stderr).toString()}`);
    const [, user, sys, rssKiB] = (await readFile(out, "utf8")).trim().split(/\s+/).slice(-4).map(Number);
    return { wallS, cpuS: user! + sys!, peakRssMiB: rssKiB! / 1024 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `f` in this process: wall clock and this process's CPU time. */
export async function measureHere(f: () => Promise<unknown>): Promise<Omit<Measured, "peakRssMiB">> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await f();
  const used = process.cpuUsage(cpu);
  return { wallS: (performance.now() - started) / 1000, cpuS: (used.user + used.system) / 1e6 };
}
