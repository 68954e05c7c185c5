// Pieces the plan, apply and demo commands share: running the plan, and how tripped guards read.
import type { GuardTrip } from "../../apply/guards.js";
import type { LoadedConfig } from "../../config/load.js";
import type { BackendOptions } from "../../engine/backends.js";
import type { ObservedPlan, PlanResult } from "../../engine/plan-run.js";
import type { ReadSummary, SideRead } from "../../engine/read.js";
import type { CacheOptions } from "../cache-option.js";
import type { CliContext } from "../context.js";
import type { Output } from "../output.js";
import { progress } from "../progress.js";

export interface PlanRunChoices {
  /** The policy's `now`; default: the seam's, else the wall clock. */
  readonly now?: Date;
  /** The command's --cache-dir / --no-cache; without them no verdict cache is used (demo). */
  readonly cache?: CacheOptions;
  /** `refresh`: read both sides whole even with a read state (apply re-reads what it writes). */
  readonly readState?: "incremental" | "refresh";
  /** `--target`: a partial plan of the recipients these name; empty or absent: the full plan. */
  readonly targets?: readonly string[];
  /** Keep every recipient for the coverage report (report, status, inspect, markdown plans). */
  readonly observe?: boolean;
}

/**
 * `plan` as every command runs it (plan, apply without a file, demo): the engine's test seams,
 * the verdict cache, and a progress line on a terminal while both sides are read.
 */
export async function planWithProgress(
  ctx: CliContext,
  o: Output,
  loaded: LoadedConfig,
  choices: PlanRunChoices & { observe: true },
): Promise<ObservedPlan>;
export async function planWithProgress(
  ctx: CliContext,
  o: Output,
  loaded: LoadedConfig,
  choices?: PlanRunChoices,
): Promise<PlanResult>;
export async function planWithProgress(
  ctx: CliContext,
  o: Output,
  loaded: LoadedConfig,
  choices: PlanRunChoices = {},
): Promise<PlanResult> {
  const [{ computePlan }, { resolveCacheDir }] = await Promise.all([
    import("../../engine/plan-run.js"),
    import("../../engine/cache-dir.js"),
  ]);
  const now = choices.now ?? ctx.seams.now;
  const cacheDir = choices.cache ? resolveCacheDir(choices.cache, ctx.env, ctx.cwd) : undefined;
  const p = progress(o, { env: ctx.env });
  let result: PlanResult;
  try {
    const note = (line: string) => o.err(o.color.yellow(line));
    result = await computePlan(loaded, {
      env: ctx.env,
      analysis: { note },
      ...backendsWithNotices(ctx, o),
      ...(now ? { now } : {}),
      ...(cacheDir
        ? {
            cache: {
              dir: cacheDir,
              note,
              readState: choices.cache?.fullRead ? "refresh" : (choices.readState ?? "incremental"),
            },
          }
        : {}),
      ...(choices.targets && choices.targets.length > 0 ? { targets: choices.targets } : {}),
      ...(choices.observe ? { observe: true } : {}),
      onRead: (c) =>
        p.update(
          `Reading… AD ${c.directory} objects, Entra ID ${c.cloudUsers} users, Exchange ${c.exchange} recipients`,
        ),
    });
  } finally {
    p.done();
  }
  for (const line of readStateLines(result.read)) o.err(o.color.dim(line));
  // One line: whether a cache restored in CI (or kept on disk) served this run.
  const c = result.cache;
  if (c)
    o.err(
      o.color.dim(
        `Verdict cache: ${c.hits} of ${c.hits + c.misses} values from recorded facts, ${c.misses} analysed (${c.file}).`,
      ),
    );
  return result;
}

/**
 * What the read state did, on stderr: which sides read only their changes (so the admin knows,
 * and how to not), and why a side that had a state was read whole after all.
 */
function readStateLines(read: ReadSummary): string[] {
  const changed: string[] = [];
  const whole: string[] = [];
  const side = (name: string, r: SideRead | undefined, what: string) => {
    if (r?.how === "changes") changed.push(`${name} ${r.changed} changed ${what}`);
    else if (r?.why !== undefined) whole.push(`${name} (${r.why})`);
  };
  side("AD", read.directory, "objects");
  side("AD contacts OU", read.contacts, "objects");
  side("Entra ID", read.cloudUsers, "users");
  side("Exchange", read.exchange, "recipients");
  return [
    ...(changed.length > 0
      ? [`Read only what changed since the last plan: ${changed.join(", ")} (--full-read reads everything).`]
      : []),
    ...(whole.length > 0 ? [`Read whole despite the last plan's read state: ${whole.join("; ")}.`] : []),
  ];
}

export function printGuardTrips(o: Output, trips: readonly GuardTrip[]): void {
  for (const t of trips) {
    o.err(o.color.red(`Error: safety guard ${t.guard}: ${t.message}.`));
    o.err(`  ${t.hint}`);
  }
  o.err("Nothing was written. apply refuses this plan while the guard trips.");
}

/** Waits shorter than this pass silently; longer ones say what they wait for. */
const WAIT_NOTICE_MS = 3_000;

/**
 * The engine's backend seams, with a line on stderr for each wait of more than a few seconds
 * (throttling, an unavailable service), so a run that seems stuck says why, in CI too.
 */
export function backendsWithNotices(ctx: CliContext, o: Output): Omit<BackendOptions, "env"> {
  const seams = ctx.seams.backends ?? {};
  const seamRetry = seams.tenant?.onRetry;
  return {
    ...seams,
    tenant: {
      ...seams.tenant,
      onRetry: (info) => {
        seamRetry?.(info);
        if (info.delayMs < WAIT_NOTICE_MS) return;
        o.err(
          o.color.yellow(
            `Waiting ${Math.ceil(info.delayMs / 1000)} s: ${info.service}, ${info.what}: ${info.reason} (retry ${info.attempt}).`,
          ),
        );
      },
    },
  };
}

/** Commander's collector for a repeatable option (`--target a --target b`). */
export function collect(value: string, previous: readonly string[]): string[] {
  return [...previous, value];
}

/** The `--target` option of plan and apply, repeatable. */
export const TARGET_HELP =
  "plan only this recipient (repeatable): its mail or smtp proxy address, userPrincipalName, plan address (ad:user/...), DN or objectGUID; the plan is partial and says so";

/** One line for stderr after a partial run, as Terraform warns after `apply -target`. */
export function partialRunWarning(targets: readonly string[], what: string): string {
  return `Warning: targeting was in effect (--target ${targets.join(", ")}): ${what} only the recipients named. Run a full \`smimesync plan\` to see what else the configuration asks for.`;
}
