// The kill -9 loop against the Samba DC (issue 15): the benchmark's organisation seeded as real AD
// users (their Entra side a snapshot made by the Entra Connect simulator), an approved plan that
// writes userCertificate / userSMIMECertificate on most of them, and for each kill point an apply
// in a child process killed with SIGKILL (after its N-th object's write, or at a seeded delay into
// the writes). Then the same approval is applied until `plan` says "No changes", and LDAP dumps of
// every test user are compared with the state before: no value lost, none the plan does not name
// touched (also right after the kill), converged. The DC is put back to the pre-state between
// kill points.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organisation, POLICY_YAML } from "../../../bench/organisation.js";
import type { Plan } from "../../../src/plan/types.js";
import { serializeSnapshot } from "../../../src/tenant/snapshot/snapshot-format.js";
import { SAMBA_PASSWORD_ENV, sambaFacts } from "../../ad/env.js";
import { adminClient, createUsers, testOu } from "../../ad/seed.js";
import { directoryYaml, syncSource } from "../../e2e/stack.js";
import { EmulatorState } from "../../emulator/state.js";
import { type AdUser, type LdapSource, readAdUsers, runSyncCycle } from "../../emulator/sync-simulator.js";
import { runCli } from "../../helpers/cli.js";
import { adObjectKey, compare, type Dump, line, planned } from "../dump.js";
import { cliEntry, spawnCli } from "../spawn-cli.js";

const USERS = 24;
/** After the N-th object written (of ~22). */
const HOOK_POINTS = [1, 3, 6, 10, 15];
/** Real SIGKILLs at these delays after "Planned again" (drawn once from seed 15, kept literal). */
const DELAYS_MS = [40, 150, 320];
const WRITING = /Planned again:/;

const suffix = Math.random().toString(36).slice(2, 6);
let ad: Client;
let ou: string;
let dir: string;
let source: LdapSource;
let plan: Plan;
let pre: AdUser[];
let before: Dump;
let env: NodeJS.ProcessEnv;
const figures = {
  killPoints: 0,
  killedMidWrite: 0,
  valuesWritten: 0,
  valuesLost: 0,
  unplanned: 0,
  reruns: 0,
};

/** Every value of every test user that smimesync reads, as dump lines. */
function dumpOf(users: readonly AdUser[]): Set<string> {
  const out = new Set<string>();
  const text = (v: string) => new TextEncoder().encode(v);
  for (const u of users) {
    const object = adObjectKey(u.dn);
    for (const v of u.userCertificate) out.add(line(object, "userCertificate", v));
    for (const v of u.userSMIMECertificate) out.add(line(object, "userSMIMECertificate", v));
    for (const v of u.proxyAddresses) out.add(line(object, "proxyAddresses", text(v)));
    out.add(line(object, "mail", text(u.mail ?? "")));
    out.add(line(object, "userPrincipalName", text(u.userPrincipalName ?? "")));
    out.add(line(object, "objectGUID", text(u.sourceAnchor)));
  }
  return out;
}

const dumpDc = async (): Promise<Set<string>> => dumpOf(await readAdUsers(source));

/** Puts both certificate attributes of every test user back as they were before the first apply. */
async function restore(): Promise<void> {
  for (const u of pre) {
    const changes = (["userCertificate", "userSMIMECertificate"] as const).map(
      (type) =>
        new Change({
          operation: "replace",
          modification: new Attribute({ type, values: u[type].map((v) => Buffer.from(v)) }),
        }),
    );
    await ad.modify(u.dn, changes);
  }
}

beforeAll(async () => {
  const f = sambaFacts();
  ad = await adminClient();
  ou = await testOu(ad, "chaos-kill");
  const { org } = await organisation(USERS, new Date());
  await createUsers(
    ad,
    ou,
    org.users.map((u) => {
      const mail = `${u.sam}@corp.example.com`; // the address the certificates name
      return {
        cn: `${u.sam} ${suffix}`,
        sAMAccountName: `ck${suffix}${u.sam}`,
        userPrincipalName: `ck${suffix}${u.sam}@smimesync.test`,
        mail,
        proxyAddresses: [`SMTP:${mail}`],
        userCertificate: u.values.userCertificate,
      };
    }),
  );
  source = syncSource(ou);
  const tenant = new EmulatorState("6a5e2c1d-0000-4000-8000-00000000c4a0", "corpexample.onmicrosoft.com");
  await runSyncCycle(source, tenant);

  dir = await mkdtemp(join(tmpdir(), "smimesync-kill-ad-"));
  await mkdir(join(dir, "pki"));
  for (const p of [...org.pki.trustAnchors, ...org.pki.intermediates])
    await writeFile(join(dir, p.path), p.text);
  await writeFile(join(dir, "tenant.json"), serializeSnapshot(tenant.toSnapshot()));
  await writeFile(
    join(dir, "smimesync.yaml"),
    `version: 1
${directoryYaml()}tenant:
  snapshot: tenant.json
scope:
  ous:
    - dn: "${ou}"
${POLICY_YAML}`,
  );
  env = { PATH: process.env.PATH, [SAMBA_PASSWORD_ENV]: f.password };
  const r = await runCli(["plan", "--out", "plan.json"], { cwd: dir, env });
  expect(r.code, r.stderr).toBe(0);
  plan = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as Plan;
  pre = await readAdUsers(source);
  before = dumpOf(pre);
}, 180_000);

afterAll(async () => {
  await ad?.unbind();
  if (dir) await rm(dir, { recursive: true, force: true });
  console.log(
    `kill -9 loop (Samba DC): ${figures.killPoints} kill points (${HOOK_POINTS.length} after the N-th write, ${DELAYS_MS.length} SIGKILL at delays into the writes; ${figures.killedMidWrite} landed mid-apply), ${figures.valuesWritten} values written before the kills, ${figures.reruns} re-runs to converge; values lost = ${figures.valuesLost}, unplanned values touched = ${figures.unplanned}`,
  );
});

async function converge(): Promise<number> {
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
  throw new Error("no convergence after 3 applies");
}

async function killPoint(kill: { afterWrites: number } | { msIntoWrites: number }): Promise<void> {
  await restore();
  expect(compare(before, plan, await dumpDc()).unplanned).toEqual([]);
  const killed = await spawnCli(cliEntry(dir), ["apply", "plan.json"], {
    cwd: dir,
    ...("afterWrites" in kill
      ? { env: { ...env, SMIMESYNC_TEST_KILL_AFTER_WRITES: String(kill.afterWrites) } }
      : { env, kill: { after: WRITING, ms: kill.msIntoWrites } }),
  });
  if ("afterWrites" in kill) expect(killed.signal, killed.stderr).toBe("SIGKILL");
  else expect(killed.signal === "SIGKILL" || killed.code === 0, killed.stderr).toBe(true);
  figures.killPoints++;

  const mid = await dumpDc();
  const atKill = compare(before, plan, mid);
  expect(atKill.unplanned).toEqual([]);
  const written =
    [...mid].filter((l) => !before.has(l)).length + [...before].filter((l) => !mid.has(l)).length;
  figures.valuesWritten += written;
  if (written > 0 && atKill.lost.length > 0) figures.killedMidWrite++;
  if ("afterWrites" in kill) {
    expect(written).toBeGreaterThan(0);
    expect(atKill.lost.length).toBeGreaterThan(0);
  }

  figures.reruns += await converge();
  const after = compare(before, plan, await dumpDc());
  figures.valuesLost += after.lost.length;
  figures.unplanned += after.unplanned.length;
  expect(after).toEqual({ lost: [], unplanned: [] });
}

describe("kill -9 of apply against the Samba DC", () => {
  it("the plan writes AD for most test users, and the dump comparison sees what is not applied", () => {
    expect(new Set(plan.changes.map((c) => c.authority))).toEqual(new Set(["ad"]));
    expect(plan.summary.recipients).toBeGreaterThan(Math.max(...HOOK_POINTS));
    const { publish } = planned(plan);
    expect(compare(before, plan, before).lost.length).toBe(publish.size);
  });

  it.each(HOOK_POINTS)("killed after write %i: converges with no value lost or unplanned", async (n) => {
    await killPoint({ afterWrites: n });
  });

  it.each(DELAYS_MS)(
    "SIGKILL %i ms into the writes: converges with no value lost or unplanned",
    async (ms) => {
      await killPoint({ msIntoWrites: ms });
    },
  );
});
