// The benchmark's smoke run (a bounded size), so `npm run bench` cannot rot: slapd loaded and
// started, the emulator seeded, the floors and the plans measured. Durations are printed by
// the bench, never asserted; what is asserted is that the plans are right: over LDAP and from the
// LDIF export the same organisation gives the same changes, the 1% change shows in the plan, and
// the plan after it (incremental once the engine keeps a read state) equals a full plan of the
// same directory. The bench's slapd must look enough like AD for change tracking: checked too.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { writeOrganisation } from "../../bench/organisation.js";
import { benchSize, measureStartup, tableOf } from "../../bench/run.js";
import { BASE_DN, BIND_DN, BIND_PASSWORD, DS_SERVICE_NAME, startSlapd } from "../../bench/slapd.js";
import { targetsOf, targetsTable } from "../../bench/targets.js";

const USERS = Number(process.env.SMIMESYNC_BENCH_SMOKE_USERS ?? 100);

it(`npm run bench -- ${USERS}: slapd, emulator, floors and plans`, { timeout: 600_000 }, async () => {
  const row = await benchSize(USERS);
  console.log(tableOf([row]));
  const targets = targetsOf(row, await measureStartup(1));
  console.log(targetsTable(targets));
  expect(targets.map((t) => t.met)).not.toContain(undefined);
  expect(row.users).toBe(USERS);
  expect(row.distinctCertificates).toBeGreaterThan(USERS / 2);
  expect(row.changedUsers).toBeGreaterThan(0);
  expect(row.changesByPlan.cold).toBeGreaterThan(0);
  expect(row.changesByPlan.warm).toBe(row.changesByPlan.cold);
  expect(row.changesByPlan.ldifFile).toBe(row.changesByPlan.cold);
  expect(row.changesByPlan.incremental).not.toBe(row.changesByPlan.cold);
  expect(row.incrementalEqualsFull).toBe(true);
  for (const m of [
    row.plan.cold,
    row.plan.warm,
    row.plan.incremental,
    row.plan.fullAfterChange,
    row.plan.ldifFile ?? { peakRssMiB: 0 },
    row.floor.verify,
  ]) {
    expect(m.peakRssMiB).toBeGreaterThan(0);
  }
});

it("the bench's slapd shows AD's change tracking: highestCommittedUSN, invocationId, uSNChanged", {
  timeout: 120_000,
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-bench-slapd-"));
  const slapd = await startSlapd(
    join(dir, "slapd"),
    await writeOrganisation(dir, 20, new Date()).then(() => join(dir, "directory.ldif")),
  );
  try {
    const search = (base: string, scope: string, filter: string, ...attrs: string[]) =>
      execFileSync(
        "/usr/bin/ldapsearch",
        ["-x", "-LLL", "-o", "ldif-wrap=no", "-H", slapd.url, "-D", BIND_DN, "-w", BIND_PASSWORD].concat([
          "-E",
          "1.2.840.113556.1.4.417",
          "-b",
          base,
          "-s",
          scope,
          filter,
          ...attrs,
        ]),
        { encoding: "utf8" },
      );
    const rootDse = () => search("", "base", "(objectClass=*)", "highestCommittedUSN", "dsServiceName");
    const before = slapd.highestUsn();
    expect(rootDse()).toContain(`highestCommittedUSN: ${before}`);
    expect(rootDse()).toContain(`dsServiceName: ${DS_SERVICE_NAME}`);
    const ntds = search(DS_SERVICE_NAME, "base", "(objectClass=*)", "invocationId");
    expect(ntds).toContain(`invocationId:: ${Buffer.from(slapd.invocationId, "hex").toString("base64")}`);
    // Every entry has a uSNChanged, none above the rootDSE's highest.
    expect(search(BASE_DN, "sub", "(!(uSNChanged=*))", "1.1").trim()).toBe("");
    expect(search(BASE_DN, "sub", `(uSNChanged>=${before + 1})`, "1.1").trim()).toBe("");

    const dn = `CN=User 5,OU=Staff,${BASE_DN}`;
    await slapd.change([{ dn, changes: "delete: userCertificate\n-\n" }]);
    expect(slapd.highestUsn()).toBe(before + 1);
    expect(rootDse()).toContain(`highestCommittedUSN: ${before + 1}`);
    const changed = search(BASE_DN, "sub", `(uSNChanged>=${before + 1})`, "uSNChanged", "userCertificate");
    expect(changed.toLowerCase()).toContain(dn.toLowerCase());
    expect(changed).toContain(`uSNChanged: ${before + 1}`);
    expect(changed).not.toContain("userCertificate");
    expect(changed.match(/^dn:/gm)).toHaveLength(1);
  } finally {
    await slapd.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
