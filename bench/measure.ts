// Running a command as a child process and measuring it with GNU time: wall clock, CPU (user +
// system) and peak RSS, the same way for `smimesync plan` and for the floor's tools.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

export interface Measured {
  readonly wallS: number;
  readonly cpuS: number;
  readonly peakRssMiB: number;
  /** The command's stderr, when asked for (what the plan said about its cache and read state). */
  readonly stderr?: string;
}

const TIME = "/usr/bin/time";

/** Runs `cmd args` with stdout discarded; throws with its stderr when it fails. */
export async function measure(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  keepStderr = false,
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
    const measured = { wallS, cpuS: user! + sys!, peakRssMiB: rssKiB! / 1024 };
    return keepStderr ? { ...measured, stderr: Buffer.concat(stderr).toString() } : measured;
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

const CLK_TCK = 100; // USER_HZ: /proc/stat counts in it on every Linux architecture Node runs on

/** The machine at one instant: CPU time busy on all cores and time tasks waited for a core. */
export interface MachineSample {
  readonly busyS: number;
  /** /proc/pressure/cpu `some` total: time at least one runnable task had no core (PSI). */
  readonly stallS: number | undefined;
  /** This (the bench) process's CPU so far: the in-process tenant emulator's share. */
  readonly selfCpuS: number;
}

export function sampleMachine(): MachineSample {
  let busyS = 0;
  try {
    const [, ...ticks] = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest is already counted in user)
    const t = ticks.map(Number);
    busyS = ((t[0] ?? 0) + (t[1] ?? 0) + (t[2] ?? 0) + (t[5] ?? 0) + (t[6] ?? 0) + (t[7] ?? 0)) / CLK_TCK;
  } catch {
    // not Linux: no machine figures
  }
  let stallS: number | undefined;
  try {
    const m = /^some .* total=(\d+)/m.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    stallS = m ? Number(m[1]) / 1e6 : undefined;
  } catch {
    stallS = undefined;
  }
  const self = process.cpuUsage();
  return { busyS, stallS, selfCpuS: (self.user + self.system) / 1e6 };
}

/** What else ran on the machine while one measured process did (its own CPU excluded). */
export interface Surroundings {
  /** The bench process, i.e. the in-process tenant emulator answering the plan. */
  readonly emulatorCpuS: number;
  readonly slapdCpuS: number;
  /** Every other process on the machine (other jobs): busy CPU minus all of the above. */
  readonly othersCpuS: number;
  /** Time at least one runnable task waited for a core (PSI `some`), when the kernel says. */
  readonly cpuStallS: number | undefined;
  /** 1-minute load average at the end. */
  readonly loadAverage: number;
}

export function surroundings(
  before: MachineSample,
  after: MachineSample,
  measuredCpuS: number,
  slapdCpuS: number,
): Surroundings {
  const emulatorCpuS = after.selfCpuS - before.selfCpuS;
  const busy = after.busyS - before.busyS;
  return {
    emulatorCpuS,
    slapdCpuS,
    othersCpuS: Math.max(0, busy - measuredCpuS - emulatorCpuS - slapdCpuS),
    cpuStallS:
      before.stallS === undefined || after.stallS === undefined ? undefined : after.stallS - before.stallS,
    loadAverage: loadavg()[0] ?? 0,
  };
}
