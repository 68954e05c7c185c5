// The read tests, run unchanged against every backend: the live Samba DC over LDAPS and an LDIF
// export of the same seeded tree. `scopeOf` builds scopes; results are compared by DN.
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { sameDn } from "../../../src/directory/dn.js";
import { guidFromText } from "../../../src/directory/guid.js";
import {
  type Directory,
  type DirectoryRecipient,
  type DirectoryScope,
  emptyTally,
} from "../../../src/directory/types.js";
import { sambaFacts } from "../../ad/env.js";
import { PAGING_USERS, type Seeded } from "./fixture.js";

export function scopeOf(patch: Partial<DirectoryScope>): DirectoryScope {
  return { ous: [], groups: [], include: [], exclude: [], includeDisabled: false, ...patch };
}

export async function readAll(dir: Directory, scope: DirectoryScope): Promise<DirectoryRecipient[]> {
  const out: DirectoryRecipient[] = [];
  for await (const r of dir.readRecipients(scope)) out.push(r);
  return out;
}

/** The recipients' DNs, mapped back to the fixture's names for readable failures. */
function names(seeded: Seeded, rs: readonly DirectoryRecipient[]): string[] {
  const byDn = Object.entries(seeded.dn);
  return rs.map((r) => byDn.find(([, dn]) => sameDn(dn, r.dn))?.[0] ?? r.dn).sort();
}

const sortedHex = (vs: readonly Uint8Array[]): string[] =>
  vs.map((v) => Buffer.from(v).toString("hex")).sort();

export interface ReadSuiteContext {
  readonly seeded: () => Seeded;
  /** A directory with sourceAnchor objectGUID, and one with mS-DS-ConsistencyGuid. */
  readonly directory: () => Directory;
  readonly consistencyDirectory: () => Directory;
}

export function defineReadTests(ctx: ReadSuiteContext): void {
  const read = async (patch: Partial<DirectoryScope>): Promise<string[]> =>
    names(ctx.seeded(), await readAll(ctx.directory(), scopeOf(patch)));

  it("reads an OU's subtree, or only its direct children", async () => {
    const { ou } = ctx.seeded();
    expect(await read({ ous: [{ dn: ou.staff, scope: "subtree" }] })).toEqual([
      "alice",
      "carol",
      "contact",
      "juergen",
    ]);
    expect(await read({ ous: [{ dn: ou.staff, scope: "one-level" }] })).toEqual([
      "alice",
      "contact",
      "juergen",
    ]);
  });

  it("skips disabled accounts unless includeDisabled, and never returns computers", async () => {
    const { ou } = ctx.seeded();
    const all = await readAll(
      ctx.directory(),
      scopeOf({ ous: [{ dn: ou.staff, scope: "one-level" }], includeDisabled: true }),
    );
    expect(names(ctx.seeded(), all)).toEqual(["alice", "bob", "contact", "juergen"]);
    expect(all.find((r) => r.sAMAccountName === "bob-dfx")?.disabled).toBe(true);
    expect(all.find((r) => r.sAMAccountName === "alice-dfx")?.disabled).toBe(false);
    expect(all.find((r) => r.mail === "partner@example.org")?.kind).toBe("contact");
  });

  it("counts what it read and what each filter removed (for the empty-directory guard)", async () => {
    const { ou } = ctx.seeded();
    const tally = emptyTally();
    const scope = scopeOf({
      ous: [{ dn: ou.staff, scope: "one-level" }],
      exclude: [{ attribute: "sAMAccountName", match: "alice-*" }],
    });
    const found: DirectoryRecipient[] = [];
    for await (const r of ctx.directory().readRecipients(scope, tally)) found.push(r);
    expect(names(ctx.seeded(), found)).toEqual(["contact", "juergen"]);
    expect(tally).toMatchObject({ disabled: 1, excluded: 1, notIncluded: 0 });
    // Read, less what scope and object class took: alice, bob, jürgen and the contact. (The LDAP
    // server leaves the computer and other OUs out; the LDIF backend sees and counts them.)
    expect(tally.read - tally.outOfScope - tally.objectClass).toBe(4);
    expect(tally.read).toBeGreaterThanOrEqual(4);
  });

  it("reads members of a group, directly or through nested groups", async () => {
    const { group } = ctx.seeded();
    expect(await read({ groups: [{ dn: group.outer, nested: false }] })).toEqual(["dave"]);
    expect(await read({ groups: [{ dn: group.outer, nested: true }] })).toEqual(["dave", "erin"]);
    expect(await read({ groups: [{ dn: group.inner, nested: true }] })).toEqual(["erin"]);
  });

  it("handles DNs with escaped characters and non-ASCII names (group, OU and user)", async () => {
    const { group, ou, dn } = ctx.seeded();
    expect(await read({ groups: [{ dn: group.weird, nested: true }] })).toEqual(["frank", "juergen"]);
    expect(await read({ groups: [{ dn: group.weird, nested: false }] })).toEqual(["frank", "juergen"]);
    expect(await read({ ous: [{ dn: ou.zurich, scope: "subtree" }] })).toEqual(["zoe"]);
    const [j] = await readAll(
      ctx.directory(),
      scopeOf({
        ous: [{ dn: ou.staff, scope: "one-level" }],
        include: [{ attribute: "sAMAccountName", match: "jmueller-dfx" }],
      }),
    );
    expect(j?.userPrincipalName).toBe("jürgen.müller-dfx@smimesync.test");
    expect(sameDn(j?.dn ?? "", dn.juergen)).toBe(true);
    const again = await ctx.directory().readObject({ objectGuid: j?.objectGuid ?? "", dn: j?.dn ?? "" });
    expect(again?.sAMAccountName).toBe("jmueller-dfx");
  });

  it("unions OUs and groups, each object once", async () => {
    const { ou, group } = ctx.seeded();
    expect(
      await read({
        ous: [{ dn: ou.others, scope: "subtree" }],
        groups: [
          { dn: group.outer, nested: true },
          { dn: group.weird, nested: true },
        ],
      }),
    ).toEqual(["dave", "erin", "frank", "juergen", "olivia"]);
  });

  it("applies include and exclude wildcards case-insensitively on mail, UPN and sAMAccountName", async () => {
    const { ou } = ctx.seeded();
    const staff = [{ dn: ou.staff, scope: "subtree" as const }];
    expect(await read({ ous: staff, include: [{ attribute: "mail", match: "*@SMIMESYNC.test" }] })).toEqual([
      "alice",
      "juergen",
    ]);
    expect(
      await read({
        ous: staff,
        include: [{ attribute: "mail", match: "*@smimesync.test" }],
        exclude: [{ attribute: "sAMAccountName", match: "A?ICE-*" }],
      }),
    ).toEqual(["juergen"]);
    // `?` is exactly one character (ü), where the server-side filter can only say `*`
    expect(
      await read({ ous: staff, include: [{ attribute: "userPrincipalName", match: "j?rgen.*" }] }),
    ).toEqual(["juergen"]);
    expect(
      await read({ ous: staff, include: [{ attribute: "userPrincipalName", match: "j?gen.*" }] }),
    ).toEqual([]);
    // filter metacharacters in a pattern are literal
    expect(await read({ ous: staff, include: [{ attribute: "mail", match: "*(*" }] })).toEqual([]);
    // an object without the attribute matches no pattern on it: the contact has no UPN
    expect(await read({ ous: staff, exclude: [{ attribute: "userPrincipalName", match: "*" }] })).toEqual([
      "contact",
    ]);
  });

  it(`streams more than 1,000 users in scope (${PAGING_USERS}, paged)`, async () => {
    const { ou } = ctx.seeded();
    const all = await readAll(ctx.directory(), scopeOf({ ous: [{ dn: ou.paging, scope: "subtree" }] }));
    expect(all).toHaveLength(PAGING_USERS);
    expect(new Set(all.map((r) => r.objectGuid)).size).toBe(PAGING_USERS);
    expect(new Set(all.map((r) => r.sAMAccountName))).toEqual(
      new Set(Array.from({ length: PAGING_USERS }, (_, i) => `pager${i}-dfx`)),
    );
  });

  it("reads binary values byte for byte, and the other attributes", async () => {
    const s = ctx.seeded();
    const all = await readAll(ctx.directory(), scopeOf({ ous: [{ dn: s.ou.staff, scope: "one-level" }] }));
    const alice = all.find((r) => r.sAMAccountName === "alice-dfx");
    expect(sortedHex(alice?.values.userCertificate ?? [])).toEqual(sortedHex(s.aliceUserCertificate));
    expect(sortedHex(alice?.values.userSMIMECertificate ?? [])).toEqual(sortedHex(s.aliceSmime));
    expect(alice?.userPrincipalName).toBe("alice-dfx@smimesync.test");
    expect(alice?.mail).toBe("alice@smimesync.test");
    expect([...(alice?.proxyAddresses ?? [])].sort()).toEqual([
      "SMTP:alice@smimesync.test",
      "smtp:a.archer@smimesync.test",
    ]);
    expect(alice?.usnChanged).toMatch(/^\d+$/);
    const contact = all.find((r) => r.kind === "contact");
    expect(sortedHex(contact?.values.userCertificate ?? [])).toEqual(sortedHex([s.contactCert]));
    const juergen = all.find((r) => r.sAMAccountName === "jmueller-dfx");
    expect(juergen?.values).toEqual({ userCertificate: [], userSMIMECertificate: [] });
  });

  it("gives objectGUID in Windows byte order and its base64 as the source anchor", async () => {
    const s = ctx.seeded();
    const [alice] = await readAll(
      ctx.directory(),
      scopeOf({
        ous: [{ dn: s.ou.staff, scope: "one-level" }],
        include: [{ attribute: "sAMAccountName", match: "alice-dfx" }],
      }),
    );
    // Samba's own tool prints objectGUID as text: an independent check of the byte order
    const f = sambaFacts();
    const ldb = execFileSync(
      "ldbsearch",
      ["-H", `${f.dir}/private/sam.ldb`, "(sAMAccountName=alice-dfx)", "objectGUID"],
      { encoding: "utf8" },
    );
    const samba = /objectGUID: ([0-9a-f-]{36})/.exec(ldb)?.[1];
    expect(alice?.objectGuid).toBe(samba);
    expect(alice?.sourceAnchor).toBe(Buffer.from(guidFromText(samba ?? "")).toString("base64"));

    const byConsistency = await readAll(
      ctx.consistencyDirectory(),
      scopeOf({ ous: [{ dn: s.ou.staff, scope: "subtree" }] }),
    );
    expect(byConsistency.find((r) => r.sAMAccountName === "alice-dfx")?.sourceAnchor).toBe(
      Buffer.from(s.aliceConsistencyGuid).toString("base64"),
    );
    expect(byConsistency.find((r) => r.sAMAccountName === "carol-dfx")?.sourceAnchor).toBeUndefined();
  });
}
