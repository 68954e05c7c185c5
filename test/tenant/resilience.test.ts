// Retry-After honoured (timed by the emulator, real clock), 5xx retried with exponential
// backoff then given up (recorded clock), non-idempotent creates not retried on 5xx, bounded
// concurrency.
import { afterEach, describe, expect, it } from "vitest";
import { isSmimesyncError } from "../../src/errors.js";
import { emptyValues } from "../../src/model/attributes.js";
import { Limiter } from "../../src/tenant/http/limiter.js";
import { parseRetryAfter } from "../../src/tenant/http/retry-after.js";
import { backoff, DEFAULT_RETRY_POLICY } from "../../src/tenant/http/sender.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { collect, openAgainst, recordingClock } from "./helpers.js";

let emu: Emulator;
afterEach(() => emu.close());

describe("Retry-After", () => {
  it("Graph 429 with Retry-After: 1 is waited out before the retry (timed by the emulator)", async () => {
    emu = await startEmulator({ graphMaxPageSize: 2 });
    for (let i = 0; i < 5; i++) emu.state.addUser({ userPrincipalName: `u${i}@contoso.com` });
    const tenant = await openAgainst(emu);
    // Throttle the second page twice.
    emu.inject.throttle("graph", {
      count: 2,
      retryAfterSeconds: 1,
      match: (r) => r.url.searchParams.has("$skiptoken"),
    });
    const users = await collect(tenant.readUsers());
    expect(users).toHaveLength(5);
    const graph = emu.requests.filter((r) => r.service === "graph");
    const throttled = graph.filter((r) => r.injected);
    expect(throttled.map((r) => r.status)).toEqual([429, 429]);
    for (const t of throttled) {
      const next = graph[graph.indexOf(t) + 1];
      if (!next) throw new Error("no retry logged");
      expect(next.url).toBe(t.url);
      expect(next.receivedAt - t.respondedAt).toBeGreaterThanOrEqual(1000);
      expect(next.receivedAt - t.respondedAt).toBeLessThan(3000);
    }
  });

  it("Exchange 503 with Retry-After is honoured too, even for a non-idempotent New-MailContact", async () => {
    emu = await startEmulator();
    const tenant = await openAgainst(emu);
    emu.inject.fault({ service: "exchange", status: 503, count: 1, retryAfterSeconds: 1 });
    const contact = await tenant.createContact({
      name: "P",
      externalEmailAddress: "p@fabrikam.example",
      values: emptyValues(),
    });
    expect(contact.kind).toBe("MailContact");
    const calls = emu.requests.filter((r) => r.service === "exchange");
    expect(calls.map((c) => [c.cmdlet, c.status])).toEqual([
      ["New-MailContact", 503],
      ["New-MailContact", 200],
    ]);
    const [first, second] = calls;
    expect((second?.receivedAt ?? 0) - (first?.respondedAt ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("a Retry-After longer than what is left of the run's retry budget stops at once with TENANT_THROTTLED", async () => {
    emu = await startEmulator();
    const clock = recordingClock();
    const tenant = await openAgainst(emu, { clock, retry: { retryBudgetMs: 10_000 } });
    emu.inject.throttle("exchange", { retryAfterSeconds: 600 });
    const error = await collect(tenant.readRecipients()).catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("TENANT_THROTTLED");
    expect(String(error)).toMatch(/asked to wait 600 s .*more than the 10 s left of this run's retry budget/);
    expect(clock.sleeps).toEqual([]);
  });
});

describe("transient failures", () => {
  it("5xx is retried with exponential backoff and jitter, then given up with TENANT_UNAVAILABLE", async () => {
    emu = await startEmulator();
    const clock = recordingClock();
    const retries: { attempt: number; delayMs: number; reason: string }[] = [];
    const tenant = await openAgainst(emu, { clock, retries, retry: { maxAttempts: 4, baseDelayMs: 1000 } });
    emu.inject.fail("exchange", 500, { count: 10 });
    const error = await collect(tenant.readRecipients()).catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("TENANT_UNAVAILABLE");
    expect(String(error)).toMatch(/gave up after 4 attempts.*HTTP 500/);
    expect(emu.requests.filter((r) => r.service === "exchange")).toHaveLength(4);
    // random() = 0.5 -> 3/4 of the exponential ceiling: 1000, 2000, 4000.
    expect(clock.sleeps).toEqual([750, 1500, 3000]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it("5xx then success: the read completes", async () => {
    emu = await startEmulator();
    emu.state.addUser({ userPrincipalName: "a@contoso.com" });
    const clock = recordingClock();
    const tenant = await openAgainst(emu, { clock });
    emu.inject.fail("graph", 502, { count: 2 });
    expect(await collect(tenant.readUsers())).toHaveLength(1);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("429 without end is TENANT_THROTTLED after the budget", async () => {
    emu = await startEmulator();
    const clock = recordingClock();
    const tenant = await openAgainst(emu, { clock, retry: { maxAttempts: 3 } });
    emu.inject.throttle("graph", { count: 10, retryAfterSeconds: 2 });
    const error = await collect(tenant.readUsers()).catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("TENANT_THROTTLED");
    expect(clock.sleeps).toEqual([2000, 2000]);
  });

  it("a New-MailContact answered 500 is not repeated: it may have been carried out", async () => {
    emu = await startEmulator();
    const tenant = await openAgainst(emu, { clock: recordingClock() });
    emu.inject.fail("exchange", 500);
    const error = await tenant
      .createContact({ name: "P", externalEmailAddress: "p@x.example", values: emptyValues() })
      .catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("TENANT_ERROR");
    expect(emu.requests.filter((r) => r.cmdlet === "New-MailContact")).toHaveLength(1);
  });
});

describe("building blocks", () => {
  it("parses Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("backoff stays within [ceiling/2, ceiling] and is capped", () => {
    const at = (r: number, attempt: number) =>
      backoff(DEFAULT_RETRY_POLICY, { now: Date.now, sleep: async () => {}, random: () => r }, attempt);
    expect(at(0, 1)).toBe(500);
    expect(at(0.999999, 1)).toBe(1000);
    expect(at(0, 3)).toBe(2000);
    expect(at(0.999999, 20)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it("the limiter never runs more than its bound at once", async () => {
    const limiter = new Limiter(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        limiter.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });
});
