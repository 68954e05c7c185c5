// --cache-dir / --no-cache, shared by the commands that analyse certificates (plan, apply, report,
// drift). The cache holds facts, never decisions; see src/engine/verdict-cache.ts. Beside it, the
// read state lets the next plan read only changes (src/engine/read-state.ts).
import type { Command } from "commander";

export interface CacheOptions {
  cacheDir?: string;
  /** False with --no-cache. */
  cache: boolean;
  /** --full-read: ignore the read state of the last plan (both sides read whole; the state is rewritten). */
  fullRead?: boolean;
}

export function addCacheOptions(cmd: Command): Command {
  return cmd
    .option(
      "--cache-dir <dir>",
      "where the verdict cache lives (default: $SMIMESYNC_CACHE_DIR, else $XDG_CACHE_HOME/smimesync or ~/.cache/smimesync)",
    )
    .option("--no-cache", "analyse every certificate from its bytes; keep no verdict cache and no read state")
    .option(
      "--full-read",
      "read AD and Office 365 whole instead of only what changed since the last plan (the read state in the cache directory is rewritten)",
    );
}
