// Writes through the LDAP adapter against the live Samba DC: exact add / delete of single values,
// the fingerprint check before writing, concurrent writers detected (before the modify, and by
// the server during it), insufficient rights reported per object, and the cloud-side guards.
import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guidToText } from "../../../src/directory/guid.js";
import type { LdapDirectory } from "../../../src/directory/ldap-directory.js";
import { openDirectory } from "../../../src/directory/open.js";
import type { Directory, DirectoryObjectRef, DirectoryRecipient } from "../../../src/directory/types.js";
import type { CertAttribute } from "../../../src/model/attributes.js";
import { directoryConfig, sambaEnv } from "../../ad/env.js";
import {
  addBinaryValues,
  adminClient,
  createLoginUser,
  createUser,
  fakeDer,
  setText,
  testOu,
} from "../../ad/seed.js";

let ad: Client;
let ou: string;
let directory: LdapDirectory;
const ctx = () => ({ baseDir: process.cwd(), env: sambaEnv() });
let n = 0;
// sAMAccountName / UPN are unique in the whole domain, which every test file (and a reused DC) shares
const tag = Math.random().toString(36).slice(2, 6);

beforeAll(async () => {
  ad = await adminClient();
  ou = await testOu(ad, "ldap-write");
  directory = (await openDirectory(directoryConfig(), ctx())) as LdapDirectory;
});

afterAll(async () => {
  await directory?.close();
  await ad?.unbind();
});

const hex = (vs: readonly Uint8Array[]): string[] => vs.map((v) => Buffer.from(v).toString("hex")).sort();

/** A fresh user with the given values, as the directory reads it. */
async function userWith(values: Partial<Record<CertAttribute, Uint8Array[]>>): Promise<DirectoryRecipient> {
  n++;
  const dn = await createUser(ad, ou, { cn: `Writer ${n}`, sAMAccountName: `w${n}-${tag}`, ...values });
  const { searchEntries } = await ad.search(dn, {
    scope: "base",
    attributes: ["objectGUID"],
    explicitBufferAttributes: ["objectGUID"],
  });
  const guid = guidToText(searchEntries[0]?.objectGUID as Buffer);
  const r = await directory.readObject({ objectGuid: guid, dn });
  if (!r) throw new Error("seeded user not found");
  return r;
}

const ref = (r: DirectoryRecipient): DirectoryObjectRef => ({ objectGuid: r.objectGuid, dn: r.dn });

async function reread(dir: Directory, r: DirectoryRecipient): Promise<DirectoryRecipient> {
  const again = await dir.readObject(ref(r));
  if (!again) throw new Error("gone");
  return again;
}

describe("LDAP directory: writes against Samba AD", () => {
  it("adds one value and leaves the other values of both attributes untouched", async () => {
    const [c1, c2, s1, c3] = [fakeDer(), fakeDer(), fakeDer(), fakeDer()] as const;
    const r = await userWith({ userCertificate: [c1, c2], userSMIMECertificate: [s1] });
    expect(
      await directory.writeValues(
        ref(r),
        [{ attribute: "userCertificate", add: [c3], remove: [] }],
        directory.fingerprint(r),
      ),
    ).toEqual({ ok: true });
    const after = await reread(directory, r);
    expect(hex(after.values.userCertificate)).toEqual(hex([c1, c2, c3]));
    expect(hex(after.values.userSMIMECertificate)).toEqual(hex([s1]));
    expect(Number(after.usnChanged)).toBeGreaterThan(Number(r.usnChanged));
  });

  it("removes one value and leaves the others", async () => {
    const [c1, c2, c3, s1] = [fakeDer(), fakeDer(), fakeDer(), fakeDer()] as const;
    const r = await userWith({ userCertificate: [c1, c2, c3], userSMIMECertificate: [s1] });
    expect(
      await directory.writeValues(
        ref(r),
        [{ attribute: "userCertificate", add: [], remove: [c2] }],
        directory.fingerprint(r),
      ),
    ).toEqual({ ok: true });
    const after = await reread(directory, r);
    expect(hex(after.values.userCertificate)).toEqual(hex([c1, c3]));
    expect(hex(after.values.userSMIMECertificate)).toEqual(hex([s1]));
  });

  it("adds and removes in one modify, on userSMIMECertificate too, and removes the last value", async () => {
    const [s1, s2, s3] = [fakeDer(), fakeDer(), fakeDer()] as const;
    const r = await userWith({ userSMIMECertificate: [s1, s2] });
    expect(
      await directory.writeValues(
        ref(r),
        [{ attribute: "userSMIMECertificate", add: [s3], remove: [s1] }],
        directory.fingerprint(r),
      ),
    ).toEqual({ ok: true });
    const mid = await reread(directory, r);
    expect(hex(mid.values.userSMIMECertificate)).toEqual(hex([s2, s3]));
    expect(
      await directory.writeValues(
        ref(mid),
        [{ attribute: "userSMIMECertificate", add: [], remove: [s2, s3] }],
        directory.fingerprint(mid),
      ),
    ).toEqual({ ok: true });
    expect((await reread(directory, r)).values.userSMIMECertificate).toEqual([]);
  });

  it("detects a concurrent change of the values between plan and write, and writes nothing", async () => {
    const [c1, c2, c3] = [fakeDer(), fakeDer(), fakeDer()] as const;
    const r = await userWith({ userCertificate: [c1] });
    const planned = directory.fingerprint(r);
    await addBinaryValues(ad, r.dn, "userCertificate", [c2]); // another admin, after the plan
    const result = await directory.writeValues(
      ref(r),
      [{ attribute: "userCertificate", add: [c3], remove: [] }],
      planned,
    );
    expect(result).toMatchObject({ ok: false, reason: "stale" });
    expect(hex((await reread(directory, r)).values.userCertificate)).toEqual(hex([c1, c2]));
  });

  it("detects any change of the object through uSNChanged", async () => {
    const c1 = fakeDer();
    const r = await userWith({});
    const planned = directory.fingerprint(r);
    await setText(ad, r.dn, "description", ["touched by someone else"]);
    expect(
      await directory.writeValues(ref(r), [{ attribute: "userCertificate", add: [c1], remove: [] }], planned),
    ).toMatchObject({
      ok: false,
      reason: "stale",
    });
    expect((await reread(directory, r)).values.userCertificate).toEqual([]);
  });

  it("reports the server's attributeOrValueExists / noSuchAttribute (a writer between re-read and modify) as stale", async () => {
    const [c1, c2] = [fakeDer(), fakeDer()] as const;
    const racing = async (between: (dn: string) => Promise<void>): Promise<Directory> =>
      openDirectory(directoryConfig(), { ...ctx(), ldapHooks: { beforeModify: between } });

    const r1 = await userWith({ userCertificate: [c1] });
    const d1 = await racing((dn) => addBinaryValues(ad, dn, "userCertificate", [c2]));
    try {
      expect(
        await d1.writeValues(
          ref(r1),
          [{ attribute: "userCertificate", add: [c2], remove: [] }],
          d1.fingerprint(r1),
        ),
      ).toMatchObject({
        ok: false,
        reason: "stale",
      });
    } finally {
      await d1.close();
    }

    const r2 = await userWith({ userCertificate: [c1, c2] });
    const d2 = await racing((dn) =>
      ad.modify(
        dn,
        new Change({
          operation: "delete",
          modification: new Attribute({ type: "userCertificate", values: [Buffer.from(c1)] }),
        }),
      ),
    );
    try {
      expect(
        await d2.writeValues(
          ref(r2),
          [{ attribute: "userCertificate", add: [], remove: [c1] }],
          d2.fingerprint(r2),
        ),
      ).toMatchObject({
        ok: false,
        reason: "stale",
      });
      // the modify is atomic: nothing of it was applied
      expect(hex((await reread(directory, r2)).values.userCertificate)).toEqual(hex([c2]));
    } finally {
      await d2.close();
    }
  });

  it("reports an object that no longer exists as not-found", async () => {
    const r = await userWith({});
    const result = await directory.writeValues(
      { objectGuid: "00000000-1111-2222-3333-444444444444", dn: r.dn },
      [{ attribute: "userCertificate", add: [fakeDer()], remove: [] }],
      directory.fingerprint(r),
    );
    expect(result).toMatchObject({ ok: false, reason: "not-found" });
  });

  it("reports insufficient rights as refused, naming the attribute and what to grant", async () => {
    const r = await userWith({});
    const password = "Str0ng.Pass!w0rd";
    await createLoginUser(ad, ou, { cn: "Reader Only", sAMAccountName: `reader-${tag}` }, password);
    const env = { READER_PW: password };
    const reader = await openDirectory(
      directoryConfig({ bind: { dn: `reader-${tag}@smimesync.test`, password: "${env:READER_PW}" } }),
      { baseDir: process.cwd(), env },
    );
    try {
      const seen = await reader.readObject(ref(r));
      expect(seen?.objectGuid).toBe(r.objectGuid);
      const result = await reader.writeValues(
        ref(r),
        [{ attribute: "userCertificate", add: [fakeDer()], remove: [] }],
        reader.fingerprint(r),
      );
      expect(result).toMatchObject({ ok: false, reason: "refused" });
      expect(result.ok ? "" : result.message).toMatch(/may not write userCertificate.*Write userCertificate/);
    } finally {
      await reader.close();
    }
    expect((await reread(directory, r)).values.userCertificate).toEqual([]);
  });

  it("refuses a 16th value and a value over 32,768 bytes without writing", async () => {
    const fifteen = Array.from({ length: 15 }, () => fakeDer(64));
    const r = await userWith({ userCertificate: fifteen });
    expect(
      await directory.writeValues(
        ref(r),
        [{ attribute: "userCertificate", add: [fakeDer(64)], remove: [] }],
        directory.fingerprint(r),
      ),
    ).toMatchObject({
      ok: false,
      reason: "refused",
    });
    // replacing one of fifteen is fine
    expect(
      await directory.writeValues(
        ref(r),
        [{ attribute: "userCertificate", add: [fakeDer(64)], remove: [fifteen[0] as Uint8Array] }],
        directory.fingerprint(r),
      ),
    ).toEqual({ ok: true });
    const r2 = await userWith({});
    expect(
      await directory.writeValues(
        ref(r2),
        [{ attribute: "userCertificate", add: [fakeDer(32_769)], remove: [] }],
        directory.fingerprint(r2),
      ),
    ).toMatchObject({
      ok: false,
      reason: "refused",
    });
    expect((await reread(directory, r2)).values.userCertificate).toEqual([]);
  });

  it("never sends replace: the modify carries only add and delete", async () => {
    // a replace would have clobbered the concurrent value; add/delete leaves it in place
    const [c1, c2, c3] = [fakeDer(), fakeDer(), fakeDer()] as const;
    const r = await userWith({ userCertificate: [c1] });
    const d = await openDirectory(directoryConfig(), {
      ...ctx(),
      ldapHooks: { beforeModify: (dn) => addBinaryValues(ad, dn, "userCertificate", [c2]) },
    });
    try {
      expect(
        await d.writeValues(
          ref(r),
          [{ attribute: "userCertificate", add: [c3], remove: [c1] }],
          d.fingerprint(r),
        ),
      ).toEqual({
        ok: true,
      });
    } finally {
      await d.close();
    }
    expect(hex((await reread(directory, r)).values.userCertificate)).toEqual(hex([c2, c3]));
  });
});
