// `smimesync status` after an apply, against the tenant emulator and its Entra Connect simulator
// (the demo's LDIF export as AD): pending right after the apply, synced once the simulator has run
// a cycle; a user with 16 values in AD blocked, with its cause; a provisioning error Entra ID
// reports; `--wait` timing out (exit 3, naming what is pending) or seeing the sync (exit 0), with
// a fake clock; `--json` against schemas/status.schema.json. And on the offline snapshot backend,
// which no sync ever reaches.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import { openDirectory } from "../../src/directory/open.js";
import { directoryScope } from "../../src/engine/settings.js";
import type { StatusDocument } from "../../src/health/types.js";
import type { WaitClock } from "../../src/health/wait.js";
import { compileSchema } from "../../src/schemas/compile.js";
import type { SnapshotDocument } from "../../src/tenant/snapshot/snapshot-format.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { type AdUser, exportToTenant } from "../emulator/sync-simulator.js";
import { makeRepo } from "../gitops/helpers.js";
import { type CliRun, runCli } from "../helpers/cli.js";
import { pointDemoAtEmulator, SECRET_ENV } from "../tenant/helpers.js";

const NOW = new Date("2031-03-15T10:00:00Z");
const ERIN = "ad:user/erin.evans@corp.example.com";

let dir: string;
let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
  await rm(dir, { recursive: true, force: true });
});

const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
  });

/** The demo in a git repository; with `emulated`, its tenant snapshot served by the emulator. */
async function setUp(emulated: boolean): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), "smimesync-status-"));
  await writeDemo(dir, NOW);
  if (emulated) {
    const seed = JSON.parse(await readFile(join(dir, "tenant.json"), "utf8")) as SnapshotDocument;
    emu = await startEmulator({ seed });
    await pointDemoAtEmulator(dir, emu);
  }
  await (await makeRepo({ dir })).commit("demo");
}

/** A clock whose sleeps pass at once; `onSleep` runs during the n-th one (1-based). */
function fakeClock(onSleep: (n: number) => Promise<void> | void = () => undefined): WaitClock & {
  sleeps: number[];
} {
  let t = Date.parse("2031-03-15T10:05:00Z");
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    async sleep(ms) {
      sleeps.push(ms);
      t += ms;
      await onSleep(sleeps.length);
    },
  };
}

function cli(args: string[], waitClock?: WaitClock): Promise<CliRun> {
  return runCli(args, {
    cwd: dir,
    env: { PATH: process.env.PATH, ...(emu ? { [SECRET_ENV]: emu.app.clientSecret } : {}) },
    seams: {
      now: NOW,
      ...(emu ? { backends: { tenant: { transport: { fetch: emu.fetch } } } } : {}),
      ...(waitClock ? { waitClock } : {}),
    },
  });
}

/** One Entra Connect cycle: the LDIF's users (read by production code) exported to the emulator. */
async function syncCycle(): Promise<void> {
  if (!emu) throw new Error("no emulator");
  const loaded = await loadConfig(join(dir, "smimesync.yaml"), dir);
  if (!loaded.config.directory) throw new Error("no directory");
  const directory = await openDirectory(loaded.config.directory, { baseDir: dir, env: {} });
  const users: AdUser[] = [];
  try {
    for await (const r of directory.readRecipients(directoryScope(loaded))) {
      if (r.kind !== "user" || r.sourceAnchor === undefined) continue;
      users.push({
        dn: r.dn,
        sourceAnchor: r.sourceAnchor,
        userPrincipalName: r.userPrincipalName,
        mail: r.mail,
        proxyAddresses: r.proxyAddresses,
        disabled: r.disabled,
        userCertificate: r.values.userCertificate,
        userSMIMECertificate: r.values.userSMIMECertificate,
      });
    }
  } finally {
    await directory.close();
  }
  exportToTenant(emu.state, users);
}

const lines = (run: CliRun, status: string) =>
  run.stdout.split("\n").filter((l) => l.startsWith(`${status.padEnd(8)}`));

describe("smimesync status against the emulator and the Entra Connect simulator", () => {
  it("after an apply: the recipients it wrote are pending, then synced once the simulator has run", async () => {
    await setUp(true);
    const apply = await cli(["apply", "--auto-approve"]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const touched = JSON.parse(git("show", `HEAD:${git("show", "--name-only", "--format=", "HEAD").trim()}`))
      .changes.filter((c: { outcome: string }) => c.outcome === "applied")
      .map((c: { address: string }) => c.address);
    const adTouched = [...new Set<string>(touched)].filter((a) => a.startsWith("ad:user/"));
    expect(adTouched.length).toBeGreaterThan(1);

    const before = await cli(["status"]);
    expect(before.code, before.stderr).toBe(2);
    expect(before.stdout).toMatch(
      /^Checking the \d+ recipients the last apply wrote \(audit commit [0-9a-f]{12}, /,
    );
    const pending = lines(before, "pending").map((l) => l.slice(8, l.indexOf(": ")));
    expect(pending).toEqual(expect.arrayContaining(adTouched));
    // Erin's 16 values went down to 3 in AD; Exchange Online shows its old 15 until the next cycle.
    expect(lines(before, "pending").find((l) => l.includes(ERIN))).toMatch(/not yet in Exchange Online/);
    // What the apply wrote in Exchange Online itself (cloud-only mailboxes) is synced at once.
    expect(lines(before, "synced").every((l) => l.includes("Exchange Online is its authority"))).toBe(true);
    expect(before.stdout.trimEnd().split("\n").at(-1)).toMatch(
      new RegExp(`^Status: \\d+ synced, ${pending.length} pending, 0 blocked, of \\d+ recipients\\.$`),
    );

    await syncCycle();
    const after = await cli(["status"]);
    expect(after.stdout + after.stderr).not.toMatch(/pending {2}|blocked {2}/);
    expect(after.stdout.trimEnd().split("\n").at(-1)).toMatch(/^Status: all \d+ recipients synced/);
    expect(after.code).toBe(0);
  });

  it("reports a user with 16 values in AD as blocked, with the cause, and a provisioning error", async () => {
    await setUp(true);
    const run = await cli(["status", "--all"]);
    expect(run.code, run.stderr).toBe(2);
    const erin = lines(run, "blocked").find((l) => l.includes(ERIN));
    expect(erin).toMatch(
      /userCertificate: AD holds 16 values; Entra Connect does not export an attribute with more than 15/,
    );

    // A provisioning error as Graph reports it, on a user whose values wait: blocked, saying so.
    const waiting = lines(run, "pending")[0]?.slice(8).split(": ")[0] ?? "";
    const mail = waiting.replace(/^ad:user\//, "");
    const user = [...(emu?.state.users.values() ?? [])].find((u) => u.mail?.toLowerCase() === mail);
    if (!user) throw new Error(`no cloud user for ${waiting}`);
    emu?.state.upsertUser({
      ...user,
      onPremisesProvisioningErrors: [
        { category: "PropertyConflict", propertyCausingError: "ProxyAddresses", value: `smtp:${mail}` },
      ],
    });
    const again = await cli(["status", "--all"]);
    expect(lines(again, "blocked").find((l) => l.includes(waiting))).toMatch(
      /Entra ID reports a provisioning error on ProxyAddresses \(PropertyConflict\)/,
    );
  });

  it("a provisioning error Exchange Online publishes (serviceProvisioningErrors) blocks, with its words", async () => {
    await setUp(true);
    expect((await cli(["apply", "--auto-approve"])).code).toBe(0);
    const erin = [...(emu?.state.users.values() ?? [])].find((u) => u.mail === "erin.evans@corp.example.com");
    if (!erin) throw new Error("no cloud user for Erin");
    // As Graph returns it (serviceProvisioningXmlError); the simulator then leaves her mailbox alone.
    emu?.state.upsertUser({
      ...erin,
      serviceProvisioningErrors: [
        {
          createdDateTime: "2031-03-15T09:58:00Z",
          isResolved: false,
          serviceInstance: "exchange/EURPRD05-001-01",
          errorDetail:
            "<ServiceInstance><ObjectErrors><ErrorRecord><ErrorCode>ExC1A2B3</ErrorCode><ErrorDescription>The value is too large for the object.</ErrorDescription></ErrorRecord></ObjectErrors></ServiceInstance>",
        },
      ],
    });
    await syncCycle();
    const run = await cli(["status"]);
    expect(run.code).toBe(2);
    expect(lines(run, "blocked")).toEqual([
      `blocked ${ERIN}: Exchange Online reports a provisioning error for this user (exchange/EURPRD05-001-01, since 2031-03-15T09:58:00Z): The value is too large for the object.`,
    ]);
    expect(lines(run, "pending")).toEqual([]);
    // Blocked is settled: --wait does not wait for it, and exits 2, not 3.
    const clock = fakeClock();
    const waited = await cli(["status", "--wait", "45m"], clock);
    expect(clock.sleeps).toEqual([]);
    expect(waited.code).toBe(2);
  });

  it("--wait with a short timeout exits 3 and names what is still pending", async () => {
    await setUp(true);
    expect((await cli(["apply", "--auto-approve"])).code).toBe(0);
    const clock = fakeClock();
    const run = await cli(["status", "--wait", "2m"], clock);
    expect(run.code).toBe(3);
    // 30 s, then 60 s, then what is left of the 2 minutes: four checks, the last at the deadline.
    expect(clock.sleeps).toEqual([30_000, 60_000, 30_000]);
    const progress = run.stderr.split("\n").filter((l) => l.startsWith("Check "));
    expect(progress).toHaveLength(4);
    expect(progress[0]).toMatch(
      /^Check 1 after 0 s: \d+ synced, \d+ pending, 0 blocked; next check in 30 s\.$/,
    );
    expect(progress[3]).toMatch(/^Check 4 after 2 min: .*pending, 0 blocked\.$/);
    expect(run.stderr).toMatch(
      /Timed out after 2 min with \d+ recipients still pending: .*ad:user\/erin\.evans@corp\.example\.com/,
    );
    expect(lines(run, "pending").length).toBeGreaterThan(0);
  });

  it("--wait that sees the sync happen exits 0", async () => {
    await setUp(true);
    expect((await cli(["apply", "--auto-approve"])).code).toBe(0);
    // Entra Connect runs during the second pause.
    const clock = fakeClock(async (n) => {
      if (n === 2) await syncCycle();
    });
    const run = await cli(["status", "--wait", "45m"], clock);
    expect(run.stderr).not.toMatch(/Timed out/);
    expect(run.code).toBe(0);
    const progress = run.stderr.split("\n").filter((l) => l.startsWith("Check "));
    expect(progress).toHaveLength(3);
    expect(progress[1]).toMatch(/[1-9]\d* pending/);
    expect(progress[2]).toMatch(/^Check 3 after 1 min 30 s: \d+ synced, 0 pending, 0 blocked\.$/);
    expect(run.stdout).toMatch(/Status: all \d+ recipients synced/);
  });

  it("--json writes one document that matches schemas/status.schema.json", async () => {
    await setUp(true);
    expect((await cli(["apply", "--auto-approve"])).code).toBe(0);
    const clock = fakeClock();
    const run = await cli(["status", "--json", "--wait", "1m"], clock);
    expect(run.code).toBe(3);
    const doc = JSON.parse(run.stdout) as StatusDocument;
    const validate = compileSchema<StatusDocument>("status");
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.selection).toMatchObject({ kind: "last-apply", auditCommit: git("rev-parse", "HEAD").trim() });
    expect(doc.wait).toEqual({ timeoutSeconds: 60, polls: 3, elapsedSeconds: 60, timedOut: true });
    expect(doc.summary.pending).toBeGreaterThan(0);
    const erin = doc.recipients.find((r) => r.address === ERIN);
    expect(erin).toMatchObject({
      status: "pending",
      values: { userCertificate: { authority: 3, exchange: 15 } },
    });
    expect(erin?.causes.map((c) => c.kind)).toContain("sync-pending");
    // The schema is strict: an unknown member or status is refused.
    expect(validate({ ...doc, extra: 1 })).toBe(false);
    expect(validate({ ...doc, recipients: [{ ...doc.recipients[0], status: "maybe" }] })).toBe(false);

    const all = JSON.parse((await cli(["status", "--all", "--json"])).stdout) as StatusDocument;
    expect(validate(all), JSON.stringify(validate.errors)).toBe(true);
    expect(all.selection).toEqual({ kind: "all" });
    expect(all.wait).toBeNull();
  });
});

describe("smimesync status on the offline backends", () => {
  it("the snapshot never syncs: pending after the apply; without an apply, a hint to use --all", async () => {
    await setUp(false);
    const none = await cli(["status"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no apply is recorded in git/);
    expect(none.stderr).toMatch(/--all/);

    expect((await cli(["apply", "--auto-approve"])).code).toBe(0);
    const run = await cli(["status"]);
    expect(run.code).toBe(2);
    expect(lines(run, "pending").some((l) => l.includes(ERIN))).toBe(true);
  });

  it("--wait rejects what is not a duration", async () => {
    await setUp(false);
    const run = await cli(["status", "--wait", "soon"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--wait soon: not a duration/);
  });
});
