// The --wait loop on its own: exponential backoff capped at 5 minutes, a last check at the
// deadline, and durations as an admin types them.
import { describe, expect, it } from "vitest";
import type { HealthSummary } from "../../src/health/types.js";
import { formatDuration, parseDuration, waitForSync } from "../../src/health/wait.js";

const summary = (pending: number): HealthSummary => ({
  recipients: 3,
  synced: 3 - pending,
  pending,
  blocked: 0,
});

function clock() {
  let t = 0;
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    t += ms;
  };
  return { sleeps, now: () => t, sleep };
}

describe("waitForSync", () => {
  it("backs off 30 s, 1, 2, 4 min, then every 5 min, and checks once more at the deadline", async () => {
    const c = clock();
    const polls: (number | null)[] = [];
    const r = await waitForSync({
      check: async () => ({ summary: summary(1) }),
      timeoutMs: 20 * 60_000,
      clock: c,
      onPoll: (p) => polls.push(p.nextInMs),
    });
    expect(c.sleeps).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 150_000]);
    expect(r).toMatchObject({ polls: 8, elapsedMs: 20 * 60_000, timedOut: true });
    expect(polls.at(-1)).toBeNull();
  });

  it("stops at the first check with nothing pending; blocked recipients do not keep it waiting", async () => {
    const c = clock();
    let n = 0;
    const r = await waitForSync({
      check: async () => ({ summary: n++ < 2 ? summary(2) : { ...summary(0), synced: 2, blocked: 1 } }),
      timeoutMs: 45 * 60_000,
      clock: c,
    });
    expect(r).toMatchObject({ polls: 3, timedOut: false });
    expect(c.sleeps).toEqual([30_000, 60_000]);
  });
});

describe("durations", () => {
  it("parses what --wait takes", () => {
    expect(parseDuration("45m")).toBe(45 * 60_000);
    expect(parseDuration("1h30m")).toBe(90 * 60_000);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("120")).toBe(120_000);
    expect(parseDuration("soon")).toBeNull();
    expect(parseDuration("-5m")).toBeNull();
  });

  it("formats progress lines", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(90_000)).toBe("1 min 30 s");
    expect(formatDuration(65 * 60_000)).toBe("1 h 5 min");
  });
});
