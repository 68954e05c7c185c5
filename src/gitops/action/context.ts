// What every mode of the GitHub Action works with: its inputs (read through @actions/core), the
// run it is part of, the GitHub client, and the smimesync CLI run in-process (the bundle carries
// the engine, so a job installs nothing).
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import * as core from "@actions/core";
import { SmimesyncError } from "../../errors.js";
import { parseDuration } from "../../health/wait.js";
import { type GitHubClient, githubClient, type RepoRef, repoRef } from "../github-client.js";
import { type GitHubRun, githubRun } from "../github-env.js";
import { type CacheSettings, cacheSettings } from "./cache.js";
import { configKey } from "./plan-run.js";

export const MODES = ["plan", "apply", "reconcile"] as const;
export type ActionMode = (typeof MODES)[number];

/** The smimesync CLI: argv in, exit code and captured output back; `env` adds to the process's. */
export type CliRunner = (
  argv: readonly string[],
  cwd: string,
  env?: Readonly<Record<string, string>>,
) => Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>;

export interface ActionInputs {
  readonly mode: ActionMode;
  /** As given, relative to the working directory. */
  readonly config: string;
  readonly workingDirectory: string;
  readonly token: string;
  readonly comment: boolean;
  readonly maxComments: number;
  readonly planArtifact: string;
  readonly planWorkflow: string;
  readonly pushAudit: boolean;
  readonly maxCommits: number;
  readonly trackingLabel: string;
  readonly autoApply: boolean;
  /** apply: after a successful apply, wait this long for Entra Connect (`status --wait`); null: do not. */
  readonly statusWait: string | null;
  /** Restore and save the cache directory with @actions/cache. */
  readonly cache: boolean;
  /** `cache-dir`, relative to the working directory; empty: one under RUNNER_TEMP. */
  readonly cacheDir: string;
}

export interface ActionContext {
  readonly inputs: ActionInputs;
  readonly env: NodeJS.ProcessEnv;
  readonly repo: RepoRef;
  readonly run: GitHubRun;
  readonly gh: GitHubClient;
  readonly cli: CliRunner;
  /** The working directory, absolute. */
  readonly cwd: string;
  /** A directory of this job for plan files and downloads (under RUNNER_TEMP). */
  readonly temp: string;
  /** The cache directory every CLI run gets (SMIMESYNC_CACHE_DIR), and how it is kept. */
  readonly cache: CacheSettings;
}

export function readInputs(): ActionInputs {
  const mode = core.getInput("mode");
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new SmimesyncError("USAGE", `mode must be one of ${MODES.join(", ")}, not '${mode}'.`, {
      hint: "with: mode: plan (pull requests), apply (after the merge) or reconcile (on a schedule).",
    });
  }
  return {
    mode: mode as ActionMode,
    config: core.getInput("config") || "smimesync.yaml",
    workingDirectory: core.getInput("working-directory") || ".",
    token: core.getInput("github-token"),
    comment: bool("comment", true),
    maxComments: positive("max-comments", 3),
    planArtifact: core.getInput("plan-artifact") || "smimesync-plan",
    planWorkflow: core.getInput("plan-workflow") || "smimesync-plan.yml",
    pushAudit: bool("push-audit", true),
    maxCommits: positive("max-commits", 100),
    trackingLabel: core.getInput("tracking-label") || "smimesync-drift",
    autoApply: bool("auto-apply", false),
    statusWait: duration("status-wait"),
    cache: bool("cache", true),
    cacheDir: core.getInput("cache-dir").trim(),
  };
}

function bool(name: string, fallback: boolean): boolean {
  const v = core.getInput(name).trim().toLowerCase();
  if (v === "") return fallback;
  if (v === "true") return true;
  if (v === "false") return false;
  throw new SmimesyncError("USAGE", `input ${name} must be true or false, not '${v}'.`);
}

function duration(name: string): string | null {
  const v = core.getInput(name).trim();
  if (v === "") return null;
  if (parseDuration(v) === null) {
    throw new SmimesyncError(
      "USAGE",
      `input ${name} must be a duration such as 45m, 90s or 1h30m, not '${v}'.`,
    );
  }
  return v;
}

function positive(name: string, fallback: number): number {
  const v = core.getInput(name).trim();
  if (v === "") return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    throw new SmimesyncError("USAGE", `input ${name} must be a whole number of 1 or more, not '${v}'.`);
  }
  return Number(v);
}

export async function actionContext(
  inputs: ActionInputs,
  env: NodeJS.ProcessEnv,
  cli: CliRunner,
): Promise<ActionContext> {
  const run = githubRun(env);
  if (run === null) {
    throw new SmimesyncError(
      "USAGE",
      "Not in GitHub Actions: GITHUB_REPOSITORY and GITHUB_RUN_ID are not set.",
      {
        hint: "Run the smimesync CLI directly outside Actions.",
      },
    );
  }
  if (!inputs.token) {
    throw new SmimesyncError("USAGE", "input github-token is empty.", {
      hint: "Leave it at its default (${{ github.token }}) or pass a token.",
    });
  }
  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  const cwd = isAbsolute(inputs.workingDirectory)
    ? inputs.workingDirectory
    : resolve(workspace, inputs.workingDirectory);
  const temp = join(env.RUNNER_TEMP || tmpdir(), `smimesync-${run.runId}-${inputs.mode}`);
  await mkdir(temp, { recursive: true });
  core.setSecret(inputs.token);
  const cache = cacheSettings({
    persist: inputs.cache,
    cacheDir: inputs.cacheDir,
    configKey: configKey({ env, cwd, inputs }),
    cwd,
    env,
    runId: run.runId,
  });
  // With `cache: false` and no cache-dir, the CLI keeps its own default (a persistent runner's home).
  const cliEnv: Record<string, string> =
    inputs.cache || inputs.cacheDir ? { SMIMESYNC_CACHE_DIR: cache.dir } : {};
  return {
    inputs,
    env,
    repo: repoRef(run.repository),
    run,
    gh: githubClient({
      apiUrl: env.GITHUB_API_URL || "https://api.github.com",
      token: inputs.token,
      log: core.warning,
    }),
    cli: (argv, dir, env) => cli(argv, dir, { ...cliEnv, ...env }),
    cwd,
    temp,
    cache,
  };
}

/** The job summary's address: the run page shows every job's summary. */
export function summaryUrl(ctx: ActionContext): string {
  return ctx.run.runUrl;
}
