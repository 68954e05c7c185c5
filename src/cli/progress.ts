// Progress of reads and writes that take more than a moment, on stderr. On a terminal: one line
// redrawn in place after a short delay, so quick runs stay silent. Without one (CI logs, pipes):
// a plain line at most every SMIMESYNC_PROGRESS_INTERVAL seconds, so a long job is never silent
// yet a log is not flooded; 0 turns it off.
import type { Output } from "./output.js";

export interface Progress {
  update(text: string): void;
  done(): void;
}

export interface ProgressOptions {
  /** Where SMIMESYNC_PROGRESS_INTERVAL is read; without it, the default interval. */
  readonly env?: NodeJS.ProcessEnv;
  /** Terminal only: how long a run must last before the line appears. */
  readonly delayMs?: number;
  /** Clock seam for tests. */
  readonly now?: () => number;
}

const SILENT: Progress = { update() {}, done() {} };
const DEFAULT_INTERVAL_S = 30;
const MAX_INTERVAL_S = 86_400;

/** Seconds between progress lines without a terminal: 0 is off; anything unreadable is the default. */
export function progressInterval(env: NodeJS.ProcessEnv | undefined): number {
  const raw = env?.SMIMESYNC_PROGRESS_INTERVAL?.trim();
  if (raw === undefined || raw === "") return DEFAULT_INTERVAL_S;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) return DEFAULT_INTERVAL_S;
  return Math.min(n, MAX_INTERVAL_S);
}

export function progress(o: Output, options: ProgressOptions = {}): Progress {
  const now = options.now ?? Date.now;
  const started = now();
  if (o.interactive) {
    const delayMs = options.delayMs ?? 800;
    let shown = false;
    return {
      update(text) {
        if (now() - started < delayMs) return;
        shown = true;
        o.errRaw(`\r\u001b[2K${o.color.dim(text)}`);
      },
      done() {
        if (shown) o.errRaw("\r\u001b[2K");
      },
    };
  }
  const intervalMs = progressInterval(options.env) * 1000;
  if (intervalMs === 0) return SILENT;
  // The first line comes one interval in: a run shorter than that prints nothing extra.
  let last = started;
  return {
    update(text) {
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      const elapsed = Math.round((t - started) / 1000);
      o.err(o.color.dim(`${text} (${elapsed} s)`));
    },
    done() {},
  };
}
