// Reads through the LDAP adapter against the live Samba DC (LDAPS, the run's CA).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LdapDirectory } from "../../../src/directory/ldap-directory.js";
import { openDirectory } from "../../../src/directory/open.js";
import { emptyTally } from "../../../src/directory/types.js";
import { directoryConfig, sambaEnv } from "../../ad/env.js";
import { PAGING_USERS, type Seeded, seedDirectory } from "./fixture.js";
import { defineReadTests, readAll, scopeOf } from "./read-suite.js";

let seeded: Seeded;
let directory: LdapDirectory;
let consistency: LdapDirectory;

beforeAll(async () => {
  const t0 = performance.now();
  seeded = await seedDirectory();
  console.log(
    `[ldap-read] seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s (${PAGING_USERS} paging users: ${seeded.pagingSeedSeconds.toFixed(1)} s)`,
  );
  const ctx = { baseDir: process.cwd(), env: sambaEnv() };
  directory = (await openDirectory(directoryConfig(), ctx)) as LdapDirectory;
  consistency = (await openDirectory(
    directoryConfig({ sourceAnchor: "mS-DS-ConsistencyGuid" }),
    ctx,
  )) as LdapDirectory;
});

afterAll(async () => {
  await directory?.close();
  await consistency?.close();
});

describe("LDAP directory: reads against Samba AD", () => {
  defineReadTests({
    seeded: () => seeded,
    directory: () => directory,
    consistencyDirectory: () => consistency,
  });

  it("counts only what the server returned: OU and object class are the searches' own filters", async () => {
    const tally = emptyTally();
    for await (const _ of directory.readRecipients(
      scopeOf({ ous: [{ dn: seeded.ou.staff, scope: "one-level" }] }),
      tally,
    ));
    expect(tally).toEqual({
      read: 4,
      outOfScope: 0,
      objectClass: 0,
      disabled: 1,
      notIncluded: 0,
      excluded: 0,
    });
  });

  it("pages at 1,000 entries: the paging scope takes two pages", async () => {
    const before = { ...directory.stats };
    const all = await readAll(directory, scopeOf({ ous: [{ dn: seeded.ou.paging, scope: "subtree" }] }));
    expect(all).toHaveLength(PAGING_USERS);
    expect(directory.stats.searches - before.searches).toBe(1);
    expect(directory.stats.pages - before.pages).toBe(2);
  });

  it("streams: the first recipient arrives before the last page is fetched", async () => {
    const before = directory.stats.pages;
    for await (const _ of directory.readRecipients(
      scopeOf({ ous: [{ dn: seeded.ou.paging, scope: "subtree" }] }),
    )) {
      expect(directory.stats.pages - before).toBe(1);
      break;
    }
  });
});
