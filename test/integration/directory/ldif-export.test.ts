// The same read tests as ldap-read.test.ts, on an `ldapsearch -LLL` export of the same seeded
// tree (folded lines, base64 values), through the LDIF backend; then writes to that file.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LdifDirectory } from "../../../src/directory/ldif-directory.js";
import { openDirectory } from "../../../src/directory/open.js";
import { emptyTally } from "../../../src/directory/types.js";
import { sambaFacts } from "../../ad/env.js";
import { fakeDer } from "../../ad/seed.js";
import { type Seeded, seedDirectory } from "./fixture.js";
import { defineReadTests, readAll, scopeOf } from "./read-suite.js";

const run = promisify(execFile);
let seeded: Seeded;
let tmp: string;
let exportPath: string;
let directory: LdifDirectory;
let consistency: LdifDirectory;

/** What an admin would run: every attribute plus the operational ones smimesync reads. */
async function exportLdif(base: string, path: string): Promise<void> {
  const f = sambaFacts();
  const { stdout } = await run(
    "ldapsearch",
    [
      "-LLL",
      "-H",
      f.ldapsUrl,
      "-D",
      f.adminUpn,
      "-w",
      f.password,
      "-E",
      "pr=1000/noprompt",
      "-b",
      base,
      "(objectClass=*)",
      "*",
      "objectGUID",
      "uSNChanged",
      "memberOf",
    ],
    { env: { ...process.env, LDAPTLS_CACERT: f.caFile }, maxBuffer: 256 * 1024 * 1024 },
  );
  await writeFile(path, stdout, { mode: 0o640 });
}

beforeAll(async () => {
  seeded = await seedDirectory();
  tmp = await mkdtemp(join(tmpdir(), "smimesync-ldif-"));
  exportPath = join(tmp, "directory.ldif");
  const t0 = performance.now();
  await exportLdif(seeded.root, exportPath);
  console.log(`[ldif-export] ldapsearch export in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  directory = (await openDirectory({ ldif: "directory.ldif" }, { baseDir: tmp, env: {} })) as LdifDirectory;
  consistency = await LdifDirectory.open(exportPath, "mS-DS-ConsistencyGuid");
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("LDIF directory: reads of an ldapsearch export of the Samba tree", () => {
  it("is a real export: folded lines and base64 values", async () => {
    const text = await readFile(exportPath, "utf8");
    expect(text).toMatch(/\n [A-Za-z0-9+/]/); // a continuation line
    expect(text).toMatch(/^userCertificate:: /m);
    expect(text).toMatch(/^objectGUID:: /m);
  });

  defineReadTests({
    seeded: () => seeded,
    directory: () => directory,
    consistencyDirectory: () => consistency,
  });

  it("counts every record of the file: outside the scope, not a recipient, filtered", async () => {
    const tally = emptyTally();
    for await (const _ of directory.readRecipients(
      scopeOf({ ous: [{ dn: seeded.ou.staff, scope: "one-level" }] }),
      tally,
    ));
    // The computer PC1 and OU=Sub sit directly under OU=Staff; the paging users are elsewhere.
    expect(tally.objectClass).toBe(2);
    expect(tally.disabled).toBe(1);
    expect(tally.outOfScope).toBeGreaterThan(1000);
    expect(tally.read).toBe(tally.outOfScope + tally.objectClass + tally.disabled + 3);
  });
});

describe("LDIF directory: writes", () => {
  it("adds and removes single values, rewriting the file atomically and only the changed record", async () => {
    const path = join(tmp, "write.ldif");
    await writeFile(path, await readFile(exportPath), { mode: 0o640 });
    const before = await readFile(path, "utf8");
    const d = await LdifDirectory.open(path, "objectGUID");
    const [alice] = await readAll(
      d,
      scopeOf({
        ous: [{ dn: seeded.ou.staff, scope: "one-level" }],
        include: [{ attribute: "sAMAccountName", match: "alice-dfx" }],
      }),
    );
    if (!alice) throw new Error("alice missing from the export");
    const added = fakeDer(2000);
    const removed = seeded.aliceUserCertificate[0] as Uint8Array;
    const ref = { objectGuid: alice.objectGuid, dn: alice.dn };
    expect(
      await d.writeValues(
        ref,
        [{ attribute: "userCertificate", add: [added], remove: [removed] }],
        d.fingerprint(alice),
      ),
    ).toEqual({
      ok: true,
    });
    await d.close(); // writes are saved in batches, at the latest when the backend is closed

    const reopened = await LdifDirectory.open(path, "objectGUID");
    const after = await reopened.readObject(ref);
    const hex = (vs: readonly Uint8Array[]) => vs.map((v) => Buffer.from(v).toString("hex")).sort();
    expect(hex(after?.values.userCertificate ?? [])).toEqual(
      hex([seeded.aliceUserCertificate[1] as Uint8Array, added]),
    );
    expect(hex(after?.values.userSMIMECertificate ?? [])).toEqual(hex(seeded.aliceSmime));

    // every other record is byte for byte as exported
    const text = await readFile(path, "utf8");
    const records = (t: string) => t.split("\n\n").filter((r) => !r.includes(`sAMAccountName: alice-dfx\n`));
    expect(records(text)).toEqual(records(before));
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect((await readdir(tmp)).filter((n) => n.endsWith(".tmp"))).toEqual([]);

    // the plan's fingerprint is now stale
    expect(
      await d.writeValues(
        ref,
        [{ attribute: "userCertificate", add: [fakeDer()], remove: [] }],
        d.fingerprint(alice),
      ),
    ).toMatchObject({
      ok: false,
      reason: "stale",
    });
  });
});
