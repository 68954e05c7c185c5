// The kill -9 loop on the offline backends (issue 15): a generated organisation whose plan writes
// both the LDIF directory (synced users) and the tenant snapshot (cloud-only mailboxes). For each
// kill point the approved plan is applied in a child process that is killed with SIGKILL, either
// right after its N-th object's write (SMIMESYNC_TEST_KILL_AFTER_WRITES) or at a delay drawn from
// a fixed seed after it starts writing; the offline backends save after every write under these hooks, so that a kill lands
// between real saves. Then the same approval is applied again until `plan` says "No changes", and
// full dumps of both files are compared with the state before: no value lost, none touched that
// the plan does not name (also right after the kill), converged.
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOrganisation } from "../../bench/organisation.js";
import type { Plan } from "../../src/plan/types.js";
import { runCli } from "../helpers/cli.js";
import { prng } from "../helpers/prng.js";
import { compare, type Dump, offlineDump, planned } from "./dump.js";
import { cliEntry, spawnCli } from "./spawn-cli.js";

const USERS = 64;
const NOW = new Date();
const env = { PATH: process.env.PATH };
/** Deterministic kill points: after the N-th object written (of 56; the last leaves margin for writes in flight). */
const HOOK_POINTS = [1, 2, 3, 5, 8, 12, 17, 23, 30, 38, 44, 50];
/** Real SIGKILLs at delays from a fixed seed after "Planned again" (the writes come next). */
const RANDOM_KILLS = 10;
const WRITING = /Planned again:/;
const SEED = 0x15c4a05;

let pristine: string;
let plan: Plan;
let before: Dump;
const figures = {
  killPoints: 0,
  killedMidWrite: 0,
  valuesWrittenBeforeKill: 0,
  valuesLost: 0,
  unplannedTouched: 0,
  reruns: 0,
};

beforeAll(async () => {
  pristine = await mkdtemp(join(tmpdir(), "smimesync-kill-"));
  await writeOrganisation(pristine, USERS, NOW, { cloudOnlyEvery: 4 });
  const r = await runCli(["plan", "--out", "plan.json"], { cwd: pristine, env });
  expect(r.code, r.stderr).toBe(0);
  plan = JSON.parse(await readFile(join(pristine, "plan.json"), "utf8")) as Plan;
  before = await offlineDump(pristine);
}, 120_000);

afterAll(async () => {
  await rm(pristine, { recursive: true, force: true });
  console.log(
    `kill -9 loop (LDIF + snapshot): ${figures.killPoints} kill points (${HOOK_POINTS.length} after the N-th write, ${RANDOM_KILLS} SIGKILL at seeded delays into the writes; ${figures.killedMidWrite} landed mid-apply), ${figures.valuesWrittenBeforeKill} values written before the kills, ${figures.reruns} re-runs to converge; values lost = ${figures.valuesLost}, unplanned values touched = ${figures.unplannedTouched}`,
  );
});

/** Applies the approval until `plan` has nothing left; returns the number of applies it took. */
async function converge(dir: string): Promise<number> {
  for (let round = 1; round <= 3; round++) {
    const applied = await runCli(["apply", "plan.json"], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    const again = await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env });
    if (again.code === 0) {
      expect(again.stdout).toMatch(/No changes/);
      return round;
    }
    expect(again.code, again.stderr).toBe(2);
  }
  throw new Error(`${dir}: no convergence after 3 applies`);
}

async function killPoint(kill: { afterWrites: number } | { msIntoWrites: number }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-killpoint-"));
  try {
    await cp(pristine, dir, { recursive: true });
    const killed = await spawnCli(cliEntry(dir), ["apply", "plan.json"], {
      cwd: dir,
      ...("afterWrites" in kill
        ? { env: { ...env, SMIMESYNC_TEST_KILL_AFTER_WRITES: String(kill.afterWrites) } }
        : {
            env: { ...env, SMIMESYNC_TEST_SAVE_EACH_WRITE: "1" },
            kill: { after: WRITING, ms: kill.msIntoWrites },
          }),
    });
    if ("afterWrites" in kill) expect(killed.signal, killed.stderr).toBe("SIGKILL");
    else expect(killed.signal === "SIGKILL" || killed.code === 0, killed.stderr).toBe(true);
    figures.killPoints++;

    // Right after the kill: both files parse (a save is atomic) and hold only planned differences.
    const mid = await offlineDump(dir);
    const atKill = compare(before, plan, mid);
    expect(atKill.unplanned).toEqual([]);
    const written =
      [...mid].filter((l) => !before.has(l)).length + [...before].filter((l) => !mid.has(l)).length;
    figures.valuesWrittenBeforeKill += written;
    if (written > 0 && atKill.lost.length > 0) figures.killedMidWrite++;
    if ("afterWrites" in kill) {
      // The hook fires after the N-th object's write returned, and that write was saved.
      expect(written).toBeGreaterThan(0);
      expect(atKill.lost.length).toBeGreaterThan(0);
    }

    figures.reruns += await converge(dir);
    const after = compare(before, plan, await offlineDump(dir));
    figures.valuesLost += after.lost.length;
    figures.unplannedTouched += after.unplanned.length;
    expect(after).toEqual({ lost: [], unplanned: [] });
    // The temp file of a save the kill interrupted is gone once the next run opened the file.
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("kill -9 of apply on the LDIF directory and the tenant snapshot", () => {
  it("the organisation's plan writes both backends, and the dump comparison sees what is not applied", () => {
    const authorities = new Set(plan.changes.map((c) => c.authority));
    expect([...authorities].sort()).toEqual(["ad", "exchange"]);
    expect(plan.summary.recipients).toBeGreaterThan(Math.max(...HOOK_POINTS));
    // Nothing applied: every planned publication is missing, every removal still there.
    const { publish, remove } = planned(plan);
    expect(publish.size).toBeGreaterThan(50);
    expect(remove.size).toBeGreaterThan(5);
    const none = compare(before, plan, before);
    expect(none.lost.length).toBe(publish.size);
    expect(none.unplanned).toEqual([]);
  });

  it.each(HOOK_POINTS)("killed after write %i: converges with no value lost or unplanned", async (n) => {
    await killPoint({ afterWrites: n });
  });

  const random = prng(SEED);
  const delays = Array.from({ length: RANDOM_KILLS }, () => Math.round(random() * 1000));
  it.each(delays)("SIGKILL %i ms into the writes: converges with no value lost or unplanned", async (ms) => {
    await killPoint({ msIntoWrites: ms });
  });
});
