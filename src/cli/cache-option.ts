// --cache-dir / --no-cache, shared by the commands that analyse certificates (plan, apply, report,
// drift). The cache holds facts, never decisions; see src/engine/verdict-cache.ts.
import type { Command } from "commander";

export interface CacheOptions {
  cacheDir?: string;
  /** False with --no-cache. */
  cache: boolean;
}

export function addCacheOptions(cmd: Command): Command {
  return cmd
    .option(
      "--cache-dir <dir>",
      "where the verdict cache lives (default: $SMIMESYNC_CACHE_DIR, else $XDG_CACHE_HOME/smimesync or ~/.cache/smimesync)",
    )
    .option("--no-cache", "analyse every certificate from its bytes; read and write no verdict cache");
}
