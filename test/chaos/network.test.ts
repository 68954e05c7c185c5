// The network part of the chaos suite: the demo organisation's tenant served by the emulator
// behind a fault-injecting proxy, `smimesync plan` and `apply` run in-process against it. Every
// fault either heals (the plan equals the one made without faults) or ends in a clear error with
// no plan written and nothing applied; no fault leaks the token or yields a partial plan.
// Backoff and timeouts are shortened through the engine's seams so each case takes seconds.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeDemo } from "../../src/demo/write-demo.js";
import type { Clock } from "../../src/tenant/http/clock.js";
import type { SnapshotDocument } from "../../src/tenant/snapshot/snapshot-format.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { type CliRun, runCli } from "../helpers/cli.js";
import { pointDemoAtEmulator, SECRET_ENV } from "../tenant/helpers.js";
import { type FaultProxy, type ProxyRule, startFaultProxy } from "./fault-proxy.js";

const NOW = new Date("2026-03-01T10:00:00Z");
const figures = new Map<string, number>();

let dir: string;
let emu: Emulator;
let proxy: FaultProxy;
/** Sleeps of the run's clock (instant, recorded): what the client chose to wait. */
let sleeps: number[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "smimesync-chaos-net-"));
  await writeDemo(dir, NOW);
  const seed = JSON.parse(await readFile(join(dir, "tenant.json"), "utf8")) as SnapshotDocument;
  // Small pages: a dozen recipients become several pages per cmdlet, so faults land mid-read.
  emu = await startEmulator({ seed, exchangeMaxPageSize: 3, graphMaxPageSize: 4 });
  proxy = await startFaultProxy(emu);
  await pointDemoAtEmulator(dir, emu, { urls: proxy.urls });
  sleeps = [];
});

afterEach(async () => {
  for (const [kind, n] of proxy.injected) figures.set(kind, (figures.get(kind) ?? 0) + n);
  await proxy.close();
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

afterAll(() => {
  const total = [...figures.values()].reduce((a, b) => a + b, 0);
  const lines = [...figures].sort().map(([k, n]) => `  ${k.padEnd(16)} ${n}`);
  process.stdout.write(`\nchaos/network: ${total} faults injected\n${lines.join("\n")}\n`);
});

const clock: Clock = {
  now: () => Date.now(),
  sleep: async (ms) => void sleeps.push(ms),
  random: () => 0.5,
};

function cli(args: string[], retry: Record<string, number> = {}): Promise<CliRun> {
  return runCli(args, {
    cwd: dir,
    env: { PATH: process.env.PATH, [SECRET_ENV]: emu.app.clientSecret },
    seams: {
      now: NOW,
      backends: {
        tenant: {
          transport: { fetch: emu.fetch },
          clock,
          retry: {
            baseDelayMs: 100,
            maxDelayMs: 400,
            requestTimeoutMs: 1500,
            retryBudgetMs: 60_000,
            ...retry,
          },
        },
      },
    },
  });
}

/** The plan as `plan --out` wrote it, without what differs between two runs. */
async function planChanges(file: string): Promise<string[]> {
  const plan = JSON.parse(await readFile(join(dir, file), "utf8")) as {
    changes: { address: string; attribute: string; action: string; valueSha256: string }[];
  };
  return plan.changes.map((c) => `${c.address} ${c.attribute} ${c.action} ${c.valueSha256}`).sort();
}

async function baseline(): Promise<string[]> {
  const run = await cli(["plan", "--detailed-exitcode", "--out", "baseline.json"]);
  expect(run.stderr).not.toMatch(/Error|Waiting/);
  expect(run.code).toBe(2);
  return planChanges("baseline.json");
}

function inject(...rules: ProxyRule[]): void {
  for (const r of rules) proxy.add(r);
}

const exchangePage = (cmdlet: string) => (r: { cmdlet: string | undefined; nextPage: boolean }) =>
  r.cmdlet === cmdlet && r.nextPage;

function expectCleanFailure(run: CliRun, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/Internal error|at .*\.ts:\d+/);
  expect(existsSync(join(dir, "plan.json"))).toBe(false);
}

describe("paging links are followed only to the service that was called", () => {
  it("an Exchange nextLink to another host: the token does not leave, the plan fails instead of being partial", async () => {
    await baseline();
    inject({
      service: "exchange",
      fault: { kind: "foreign-link" },
      match: (r) => r.cmdlet === "Get-Mailbox",
    });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(proxy.foreignRequests).toEqual([]);
    expectCleanFailure(run, /Exchange Online.*paging link.*127\.0\.0\.1:\d+.*not the service/s);
  });

  it("a Graph nextLink to another host is not followed either (no request leaves, no partial plan)", async () => {
    await baseline();
    inject({ service: "graph", fault: { kind: "foreign-link" } });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(proxy.foreignRequests).toEqual([]);
    expectCleanFailure(run, /Microsoft Graph.*paging link.*not the service/s);
  });

  it("a nextLink to another path of the same host is refused too", async () => {
    await baseline();
    inject({
      service: "exchange",
      fault: { kind: "foreign-path" },
      match: (r) => r.cmdlet === "Get-Mailbox",
    });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(proxy.seen.some((r) => r.url.pathname.startsWith("/elsewhere"))).toBe(false);
    expectCleanFailure(run, /paging link.*\/elsewhere\//s);
  });
});

describe("resets, hangs and truncated bodies on reads are retried like 5xx", () => {
  it("a connection reset in the middle of an Exchange page is retried: the plan equals the fault-free one", async () => {
    const expected = await baseline();
    inject({ service: "exchange", fault: { kind: "reset" }, count: 2, match: exchangePage("Get-Mailbox") });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(run.stderr).not.toMatch(/Internal error/);
    expect(run.code).toBe(2);
    expect(await planChanges("plan.json")).toEqual(expected);
    expect(proxy.injected.get("reset")).toBe(2);
  });

  it("a reset on every Exchange answer ends in TENANT_UNAVAILABLE, not an internal error", async () => {
    inject({ service: "exchange", fault: { kind: "reset" }, count: 1000 });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"], { maxAttempts: 3 });
    expectCleanFailure(run, /Exchange Online is unavailable.*gave up after 3 attempts.*connection/s);
  });

  it("a Graph page cut in the middle is retried too", async () => {
    const expected = await baseline();
    inject({ service: "graph", fault: { kind: "reset" }, match: (r) => r.nextPage });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(run.code).toBe(2);
    expect(await planChanges("plan.json")).toEqual(expected);
  });

  it("a page that never answers times out and is asked again", async () => {
    const expected = await baseline();
    inject({ service: "exchange", fault: { kind: "hang" }, match: exchangePage("Get-Mailbox") });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"], { requestTimeoutMs: 800 });
    expect(run.code).toBe(2);
    expect(await planChanges("plan.json")).toEqual(expected);
  });

  it("a truncated body (complete HTTP answer, half the JSON) is retried", async () => {
    const expected = await baseline();
    inject(
      { service: "exchange", fault: { kind: "truncate" }, match: exchangePage("Get-Mailbox") },
      { service: "graph", fault: { kind: "truncate" } },
    );
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(run.code).toBe(2);
    expect(await planChanges("plan.json")).toEqual(expected);
  });
});

describe("tokens that stop working mid-run", () => {
  it("tokens expiring in the middle of the Exchange read are refreshed once and the plan completes", async () => {
    const expected = await baseline();
    inject(
      { service: "exchange", fault: { kind: "expire-tokens" }, match: exchangePage("Get-Mailbox") },
      { service: "graph", fault: { kind: "expire-tokens" }, match: (r) => r.nextPage },
    );
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(2);
    expect(await planChanges("plan.json")).toEqual(expected);
  });

  it("revoked mid-run (tokens and the app's secret): one refresh, then a clear auth error", async () => {
    inject({ service: "exchange", fault: { kind: "revoke" }, match: exchangePage("Get-Mailbox") });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expectCleanFailure(run, /Error:.*(token|secret)/i);
    expect(run.stderr).toMatch(/client secret|credential/i);
    // One token request after the 401 (the refresh), not a loop.
    const logins = emu.requests.filter((r) => r.service === "login" && r.path.endsWith("/token"));
    expect(logins.length).toBeLessThanOrEqual(4);
  });
});

describe("throttling and the run's retry budget", () => {
  it("a Retry-After longer than the retry budget fails at once, saying so", async () => {
    inject({ service: "exchange", fault: { kind: "status", status: 429, retryAfterSeconds: 290 } });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"], { retryBudgetMs: 120_000 });
    expectCleanFailure(run, /asked to wait 290 s.*budget/s);
    expect(sleeps).toEqual([]);
  });

  it("a wait of several seconds prints what it waits for", async () => {
    const expected = await baseline();
    inject({
      service: "exchange",
      fault: { kind: "status", status: 429, retryAfterSeconds: 7 },
      match: exchangePage("Get-Mailbox"),
    });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Waiting 7 s.*Exchange Online.*Get-Mailbox.*429/);
    expect(sleeps).toContain(7000);
    expect(await planChanges("plan.json")).toEqual(expected);
  });

  it("a 503 storm shorter than the budget heals; a longer one ends in TENANT_UNAVAILABLE", async () => {
    const expected = await baseline();
    inject({ service: "exchange", fault: { kind: "status", status: 503 }, count: 4 });
    const healed = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"]);
    expect(healed.code).toBe(2);
    expect(await planChanges("plan.json")).toEqual(expected);
    await rm(join(dir, "plan.json"));

    inject({
      service: "exchange",
      fault: { kind: "status", status: 503, retryAfterSeconds: 2 },
      count: 1000,
    });
    const run = await cli(["plan", "--detailed-exitcode", "--out", "plan.json"], {
      retryBudgetMs: 9_000,
      maxAttempts: 100,
    });
    expectCleanFailure(run, /Exchange Online.*unavailable|retry budget/s);
    expect(sleeps.filter((s) => s === 2000).length).toBeGreaterThan(0);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(9_000 + 1000);
  });
});

describe("apply through the faulty network", () => {
  it("resets on reads and a 503 storm on writes: apply converges, the next plan has no changes", async () => {
    inject(
      { service: "exchange", fault: { kind: "reset" }, count: 2, match: exchangePage("Get-Mailbox") },
      {
        service: "exchange",
        fault: { kind: "status", status: 503 },
        count: 3,
        match: (r) => r.cmdlet === "Set-Mailbox",
      },
      { service: "graph", fault: { kind: "reset" }, match: (r) => r.nextPage },
    );
    const apply = await cli(["apply", "--auto-approve", "--no-audit"]);
    expect(apply.stderr).not.toMatch(/Internal error/);
    expect(apply.code).toBe(0);
    const again = await cli(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toMatch(/No changes/);
    expect(again.code).toBe(0);
  });

  it("a foreign link during apply's own plan writes nothing", async () => {
    const before = JSON.stringify(emu.dump().recipients);
    const ldif = await readFile(join(dir, "directory.ldif"), "utf8");
    inject({
      service: "exchange",
      fault: { kind: "foreign-link" },
      match: (r) => r.cmdlet === "Get-Mailbox",
    });
    const apply = await cli(["apply", "--auto-approve", "--no-audit"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/paging link/);
    expect(proxy.foreignRequests).toEqual([]);
    expect(JSON.stringify(emu.dump().recipients)).toBe(before);
    expect(await readFile(join(dir, "directory.ldif"), "utf8")).toBe(ldif);
  });
});

describe("what Exchange answers to a write", () => {
  it("a Set-Mailbox answered with @adminapi.warnings is reported unconfirmed, not applied", async () => {
    // Someone publishes the same values by hand after apply re-read Frank's mailbox: smimesync's
    // adds then change nothing, and Exchange says so in a warning.
    emu.inject.beforeCommand("Set-Mailbox", (state, parameters) => {
      const frank = [...state.recipients.values()].find((r) => r.name === "Frank Fischer");
      if (!frank) return;
      const added = (p: unknown) =>
        ((p as { add?: string[] } | undefined)?.add ?? []).map(
          (v) => new Uint8Array(Buffer.from(v, "base64")),
        );
      frank.userCertificate = [...frank.userCertificate, ...added(parameters.UserCertificate)];
      frank.userSMIMECertificate = [...frank.userSMIMECertificate, ...added(parameters.UserSMimeCertificate)];
    });
    const apply = await cli(["apply", "--auto-approve", "--no-audit"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(
      /unconfirmed: exchange:mailbox\/frank\.fischer@corp\.example\.com userCertificate publish: .*no settings of 'Frank Fischer' have been modified/,
    );
    expect(apply.stdout).toMatch(/Apply complete: \d+ applied, \d+ unconfirmed/);
  });
});
