// `status --wait`: check, and while something is still pending check again with exponential
// backoff (capped), until everything is synced or blocked or the time is up. The clock is a
// parameter so tests run a 45-minute wait in milliseconds.
import type { HealthSummary } from "./types.js";

export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realWaitClock: WaitClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** 30 s, 1 min, 2 min, 4 min, then every 5 min: Entra Connect's cycle is 30 min by default. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 30_000, maxMs: 300_000 };

export interface PollInfo {
  /** 1-based. */
  readonly poll: number;
  readonly elapsedMs: number;
  readonly summary: HealthSummary;
  /** The pause before the next check; null when this was the last. */
  readonly nextInMs: number | null;
}

export interface WaitResult<T> {
  readonly last: T;
  readonly polls: number;
  readonly elapsedMs: number;
  readonly timedOut: boolean;
}

/**
 * Calls `check` until its summary has nothing pending, or until `timeoutMs` has passed (a last
 * check is made at the deadline). `onPoll` hears of each check before the pause that follows it.
 */
export async function waitForSync<T extends { readonly summary: HealthSummary }>(opts: {
  readonly check: () => Promise<T>;
  readonly timeoutMs: number;
  readonly clock: WaitClock;
  readonly backoff?: Backoff;
  readonly onPoll?: (info: PollInfo) => void;
}): Promise<WaitResult<T>> {
  const { clock, timeoutMs } = opts;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const start = clock.now();
  let delay = backoff.initialMs;
  for (let poll = 1; ; poll++) {
    const last = await opts.check();
    const elapsedMs = clock.now() - start;
    const settled = last.summary.pending === 0;
    const left = timeoutMs - elapsedMs;
    const nextInMs = settled || left <= 0 ? null : Math.min(delay, left);
    opts.onPoll?.({ poll, elapsedMs, summary: last.summary, nextInMs });
    if (nextInMs === null) return { last, polls: poll, elapsedMs, timedOut: !settled };
    await clock.sleep(nextInMs);
    delay = Math.min(delay * 2, backoff.maxMs);
  }
}

/** `45m`, `90s`, `2h`, `1h30m`, `500ms` (a bare number is seconds) -> milliseconds; null if not one. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  if (!/^(\d+(ms|h|m|s))+$/.test(t)) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  let ms = 0;
  for (const [, n, u] of t.matchAll(/(\d+)(ms|h|m|s)/g)) ms += Number(n) * unit[u as keyof typeof unit];
  return ms;
}

/** 45 s, 2 min, 1 h 5 min: for progress lines. */
export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  return m % 60 === 0 ? `${Math.floor(m / 60)} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const emptySummary = { recipients: 0, synced: 0, pending: 0, blocked: 0 } as const;
