// End to end: certificates seeded in the Samba AD, carried up by the Entra Connect simulator
// into the tenant emulator, then read on both sides through production code (src/directory over
// LDAPS, src/tenant over Graph + Exchange) and joined by source anchor, as reconcile will.
import { readFileSync } from "node:fs";
import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDirectory } from "../../src/directory/open.js";
import type { Directory, DirectoryRecipient, DirectoryScope } from "../../src/directory/types.js";
import type { CertAttribute } from "../../src/model/attributes.js";
import type { CloudUser, ExchangeRecipient, Tenant } from "../../src/tenant/types.js";
import { directoryConfig, sambaEnv, sambaFacts } from "../ad/env.js";
import { adminClient, createUser, fakeDer, testOu } from "../ad/seed.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { type LdapSource, runSyncCycle } from "../emulator/sync-simulator.js";
import { certFor, collect, openAgainst } from "../tenant/helpers.js";

let ad: Client;
let ou: string;
let emu: Emulator;
let directory: Directory;
let tenant: Tenant;
let source: LdapSource;
const seeded: Record<string, { userCertificate: Uint8Array[]; userSMIMECertificate: Uint8Array[] }> = {};

const hex = (values: readonly Uint8Array[]) => values.map((v) => Buffer.from(v).toString("hex")).sort();

beforeAll(async () => {
  ad = await adminClient();
  ou = await testOu(ad, "tenant-sync");
  seeded.alice = {
    userCertificate: [await certFor("alice@smimesync.test"), await certFor("alice@smimesync.test")],
    userSMIMECertificate: [fakeDer(1200)],
  };
  seeded.bob = {
    userCertificate: await Promise.all(Array.from({ length: 16 }, () => certFor("bob@smimesync.test"))),
    userSMIMECertificate: [],
  };
  for (const name of ["alice", "bob"] as const) {
    await createUser(ad, ou, {
      cn: name,
      sAMAccountName: name,
      mail: `${name}@smimesync.test`,
      proxyAddresses: [`SMTP:${name}@smimesync.test`],
      ...seeded[name],
    });
  }
  const f = sambaFacts();
  source = {
    url: f.ldapsUrl,
    bindDn: f.adminUpn,
    password: f.password,
    caPem: readFileSync(f.caFile, "utf8"),
    baseDn: ou,
  };
  emu = await startEmulator();
  emu.state.addUser({ userPrincipalName: "cloudonly@contoso.com" });
  directory = await openDirectory(directoryConfig(), { baseDir: process.cwd(), env: sambaEnv() });
  tenant = await openAgainst(emu);
});

afterAll(async () => {
  await directory?.close();
  await tenant?.close();
  await emu?.close();
  await ad?.unbind();
});

const scope = (): DirectoryScope => ({
  ous: [{ dn: ou, scope: "subtree" }],
  groups: [],
  include: [],
  exclude: [],
  includeDisabled: true,
});

/** Both sides through production code, joined by onPremisesImmutableId = source anchor. */
async function joined(): Promise<
  Map<string, { ad: DirectoryRecipient; user: CloudUser | undefined; mailbox: ExchangeRecipient | undefined }>
> {
  const adObjects = await collect(directory.readRecipients(scope()));
  const users = await collect(tenant.readUsers());
  const recipients = await collect(tenant.readRecipients());
  const out = new Map<
    string,
    { ad: DirectoryRecipient; user: CloudUser | undefined; mailbox: ExchangeRecipient | undefined }
  >();
  for (const a of adObjects) {
    const user = users.find(
      (u) => u.onPremisesImmutableId !== null && u.onPremisesImmutableId === a.sourceAnchor,
    );
    const mailbox = user && recipients.find((r) => r.externalDirectoryObjectId === user.id);
    out.set(a.sAMAccountName ?? a.dn, { ad: a, user, mailbox });
  }
  return out;
}

describe("AD -> Entra Connect (simulated) -> Office 365 (emulated)", () => {
  it("shows the same certificates on a synced user on both sides", async () => {
    const report = await runSyncCycle(source, emu.state, { deleteMissingUnder: ou });
    expect(report.provisioned).toHaveLength(2);
    const view = await joined();
    const alice = view.get("alice");
    expect(alice?.user).toMatchObject({
      onPremisesSyncEnabled: true,
      userPrincipalName: "alice@smimesync.test",
      mail: "alice@smimesync.test",
    });
    expect(alice?.user?.onPremisesDistinguishedName?.toLowerCase()).toBe(alice?.ad.dn.toLowerCase());
    expect(alice?.mailbox?.isDirSynced).toBe(true);
    for (const attribute of ["userCertificate", "userSMIMECertificate"] as CertAttribute[]) {
      expect(hex(alice?.mailbox?.values[attribute] ?? [])).toEqual(hex(alice?.ad.values[attribute] ?? []));
      expect(hex(alice?.ad.values[attribute] ?? [])).toEqual(hex(seeded.alice?.[attribute] ?? []));
    }
    // Same bytes, so the same values hash on both sides.
    if (!alice?.mailbox) throw new Error("no mailbox");
    expect(tenant.fingerprint(alice.mailbox).valuesHash).toBe(directory.fingerprint(alice.ad).valuesHash);
  });

  it("a user with 16 values in AD gets none in the cloud (exported as AuthoritativeNull)", async () => {
    const bob = (await joined()).get("bob");
    expect(bob?.ad.values.userCertificate).toHaveLength(16);
    expect(bob?.mailbox?.values.userCertificate).toEqual([]);
  });

  it("a change in AD reaches the cloud on the next cycle, and the cloud refuses to be written directly", async () => {
    const before = await joined();
    const aliceDn = before.get("alice")?.ad.dn ?? "";
    const removed = seeded.alice?.userCertificate[0] ?? new Uint8Array();
    await ad.modify(
      aliceDn,
      new Change({
        operation: "delete",
        modification: new Attribute({ type: "userCertificate", values: [Buffer.from(removed)] }),
      }),
    );
    const delta = await tenant.readUserChanges(undefined);
    // A later cycle: onPremisesLastSyncDateTime has second resolution.
    const report = await runSyncCycle(source, emu.state, {
      deleteMissingUnder: ou,
      now: () => new Date(Date.now() + 60_000),
    });
    expect(report.updated).toEqual([aliceDn]);
    const after = (await joined()).get("alice");
    expect(after?.ad.values.userCertificate).toHaveLength(1);
    expect(hex(after?.mailbox?.values.userCertificate ?? [])).toEqual(
      hex(after?.ad.values.userCertificate ?? []),
    );
    const changes = await tenant.readUserChanges(delta.deltaLink);
    expect(changes.changes.map((c) => (c.kind === "upsert" ? c.user.userPrincipalName : c.id))).toContain(
      "alice@smimesync.test",
    );

    if (!after?.mailbox) throw new Error("no mailbox");
    const refused = await tenant.writeValues(
      { kind: after.mailbox.kind, identity: after.mailbox.identity },
      [{ attribute: "userCertificate", add: [await certFor("alice@smimesync.test")], remove: [] }],
      tenant.fingerprint(after.mailbox),
    );
    expect(!refused.ok && refused.reason).toBe("refused");
    expect(!refused.ok && refused.message).toMatch(/synchronized from your on-premises organization/);
  });
});
