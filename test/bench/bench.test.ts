// The benchmark's smoke run (a bounded size), so `npm run bench` cannot rot: slapd loaded and
// started, the emulator seeded, the floors and the four plans measured. Durations are printed by
// the bench, never asserted; what is asserted is that the plans are right: over LDAP and from the
// LDIF export the same organisation gives the same changes, and the 1% change shows in the plan.
import { expect, it } from "vitest";
import { benchSize, tableOf } from "../../bench/run.js";

const USERS = Number(process.env.SMIMESYNC_BENCH_SMOKE_USERS ?? 100);

it(`npm run bench -- ${USERS}: slapd, emulator, floors and plans`, { timeout: 600_000 }, async () => {
  const row = await benchSize(USERS);
  console.log(tableOf([row]));
  expect(row.users).toBe(USERS);
  expect(row.distinctCertificates).toBeGreaterThan(USERS / 2);
  expect(row.changesByPlan.cold).toBeGreaterThan(0);
  expect(row.changesByPlan.warm).toBe(row.changesByPlan.cold);
  expect(row.changesByPlan.ldifFile).toBe(row.changesByPlan.cold);
  expect(row.changesByPlan.incremental).not.toBe(row.changesByPlan.cold);
  for (const m of [row.plan.cold, row.plan.warm, row.plan.incremental, row.plan.ldifFile, row.floor.verify]) {
    expect(m.peakRssMiB).toBeGreaterThan(0);
  }
});
