// The smimesync cache directory (verdict cache, incremental-read state) kept between runs with
// @actions/cache: restored before the mode runs, saved after it under a key of its own, so every
// run saves a fresh entry and the next restores the newest by prefix. Which protocol is spoken
// (the legacy REST service at ACTIONS_CACHE_URL, or v2) is @actions/cache's choice from the
// environment. A cache that cannot be reached costs a cold run and a warning, never the step.
//
// Why restoring is safe even for apply: GitHub scopes cache entries by the ref that saved them. A
// run reads its own ref's entries, then its base / default branch's; it writes only its own ref.
// A pull request's job (which may run a workflow its author edited) saves into refs/pull/N/merge
// only, which no run on main ever reads: what apply restores was saved by runs on main.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as cache from "@actions/cache";
import * as core from "@actions/core";

/** Bumped when what the directory holds changes in a way older entries must not be restored into. */
export const CACHE_KEY_VERSION = "v1";

export interface CacheSettings {
  /** The directory handed to the CLI as SMIMESYNC_CACHE_DIR. */
  readonly dir: string;
  /** False with `cache: false`: the directory is used as it is, neither restored nor saved. */
  readonly persist: boolean;
  /** `smimesync-cache-v1-<config hash>-`: the restore key (the newest entry under it wins). */
  readonly prefix: string;
  /** prefix + run id + attempt: this run's entry. */
  readonly key: string;
  /** Each request to the cache service is given up after this long. */
  readonly timeoutMs: number;
}

export type RestoreOutcome =
  | { readonly kind: "restored"; readonly key: string }
  | { readonly kind: "none" }
  | { readonly kind: "unavailable" }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "off" };

export type SaveOutcome =
  | { readonly kind: "saved"; readonly key: string }
  | { readonly kind: "nothing" }
  | { readonly kind: "skipped"; readonly why: string }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "off" };

const DEFAULT_TIMEOUT_MS = 300_000;

export function cacheSettings(o: {
  readonly persist: boolean;
  /** The `cache-dir` input; empty: a directory of its own under RUNNER_TEMP. */
  readonly cacheDir: string;
  /** The config path as the repository names it (the comment key). */
  readonly configKey: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runId: string;
}): CacheSettings {
  // Per config: two smimesync steps of one job must not restore into each other's directory.
  const configHash = createHash("sha256").update(o.configKey).digest("hex").slice(0, 16);
  const dir = o.cacheDir
    ? resolve(o.cwd, o.cacheDir)
    : join(o.env.RUNNER_TEMP || tmpdir(), "smimesync-cache", configHash);
  const prefix = `smimesync-cache-${CACHE_KEY_VERSION}-${configHash}-`;
  const timeout = Number(o.env.SMIMESYNC_CACHE_TIMEOUT_SECONDS);
  return {
    dir,
    persist: o.persist,
    prefix,
    key: `${prefix}${o.runId}-${o.env.GITHUB_RUN_ATTEMPT || "1"}`,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : DEFAULT_TIMEOUT_MS,
  };
}

/** Requests given up on that may still hold a socket open (the entry point ends the process). */
let abandoned = 0;
export const abandonedCacheRequests = (): number => abandoned;

export async function restoreCacheDir(s: CacheSettings): Promise<RestoreOutcome> {
  if (!s.persist) return { kind: "off" };
  core.setOutput("cache-hit", "false");
  if (!cache.isFeatureAvailable()) {
    core.warning(
      "The Actions cache service is not available to this job (no ACTIONS_CACHE_URL / ACTIONS_RESULTS_URL): " +
        "smimesync analyses every certificate from its bytes and saves no cache. Set `cache: false` to silence this.",
    );
    return { kind: "unavailable" };
  }
  const outcome = await bounded(s, "restoring", () => cache.restoreCache([s.dir], s.key, [s.prefix]));
  if (outcome.kind === "failed") {
    core.warning(`The smimesync cache was not restored (${outcome.message}): this run starts cold.`);
    return outcome;
  }
  if (outcome.value === undefined) {
    core.info(`Cache miss: no entry restored under ${s.prefix}; a cold run.`);
    return { kind: "none" };
  }
  core.setOutput("cache-hit", "true");
  core.info(`Cache hit: restored ${outcome.value} into ${s.dir}.`);
  return { kind: "restored", key: outcome.value };
}

export async function saveCacheDir(s: CacheSettings, restored: RestoreOutcome): Promise<SaveOutcome> {
  if (!s.persist || restored.kind === "off") return { kind: "off" };
  if (restored.kind === "unavailable") return { kind: "skipped", why: "no cache service" };
  const mode = (process.env.ACTIONS_CACHE_MODE ?? "").trim().toLowerCase();
  if (mode === "none" || mode === "read") {
    core.info(`Cache not saved: the runner's cache mode '${mode}' permits no writes.`);
    return { kind: "skipped", why: `cache mode ${mode}` };
  }
  if (!existsSync(s.dir)) {
    core.info(`Cache not saved: ${s.dir} was not written (nothing was analysed).`);
    return { kind: "nothing" };
  }
  const outcome = await bounded(s, "saving", () => cache.saveCache([s.dir], s.key));
  // saveCache reports its own failures (a conflict only as info) and answers -1.
  const message =
    outcome.kind === "failed" ? outcome.message : outcome.value === -1 ? "see the message above" : null;
  if (message !== null) {
    core.warning(`The smimesync cache was not saved as ${s.key} (${message}): the next run starts colder.`);
    return { kind: "failed", message };
  }
  core.info(`Cache saved as ${s.key}.`);
  return { kind: "saved", key: s.key };
}

/** The call, or why it did not answer: its own error, or no answer within the timeout. */
async function bounded<T>(
  s: CacheSettings,
  what: string,
  call: () => Promise<T>,
): Promise<{ kind: "done"; value: T } | { kind: "failed"; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), s.timeoutMs);
  });
  try {
    const res = await Promise.race([call().then((value) => ({ value })), timeout]);
    if (res === "timeout") {
      abandoned++;
      return {
        kind: "failed",
        message: `no answer from the cache service after ${s.timeoutMs / 1000} s ${what} it`,
      };
    }
    return { kind: "done", value: res.value };
  } catch (e) {
    return { kind: "failed", message: e instanceof Error ? e.message : String(e) };
  } finally {
    clearTimeout(timer);
  }
}
