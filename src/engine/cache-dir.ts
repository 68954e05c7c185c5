// Where the verdict cache lives: --cache-dir, else SMIMESYNC_CACHE_DIR, else the OS cache path.
// Only the environment given is read (commands run inside tests with a bare one): with no
// home to put it in, there is no cache rather than one in a guessed place.
import { isAbsolute, join, resolve } from "node:path";

export interface CacheChoice {
  /** `--cache-dir`, relative to the working directory. */
  readonly cacheDir?: string | undefined;
  /** False with `--no-cache`. */
  readonly cache: boolean;
}

export function resolveCacheDir(
  choice: CacheChoice,
  env: NodeJS.ProcessEnv,
  cwd: string,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  if (!choice.cache) return undefined;
  if (choice.cacheDir) return resolve(cwd, choice.cacheDir);
  const fromEnv = env.SMIMESYNC_CACHE_DIR;
  if (fromEnv) return resolve(cwd, fromEnv);
  if (platform === "win32" && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, "smimesync", "cache");
  // XDG says a relative XDG_CACHE_HOME is to be ignored.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "smimesync");
  const home = env.HOME;
  if (!home) return undefined;
  if (platform === "darwin") return join(home, "Library", "Caches", "smimesync");
  return join(home, ".cache", "smimesync");
}
