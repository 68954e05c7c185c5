// Change reads (uSNChanged since a cursor) against the live Samba DC: after random changes, the
// previous full read merged with readChanges must equal a full read taken now, round after round;
// and the cases a change read cannot see (scope group membership, a renamed or moved OU, another
// DC) must ask for a full read. Everything lives under this file's own OU.
import { randomBytes } from "node:crypto";
import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeDnValue } from "../../../src/directory/dn.js";
import { guidToText } from "../../../src/directory/guid.js";
import type { LdapDirectory } from "../../../src/directory/ldap-directory.js";
import { openDirectory } from "../../../src/directory/open.js";
import type {
  DirectoryChanges,
  DirectoryCursor,
  DirectoryRecipient,
  DirectoryScope,
} from "../../../src/directory/types.js";
import { directoryConfig, sambaEnv } from "../../ad/env.js";
import {
  addMembers,
  adminClient,
  createGroup,
  createOu,
  createUser,
  fakeDer,
  setText,
  testOu,
} from "../../ad/seed.js";
import { prng } from "../../helpers/prng.js";
import { readAll, scopeOf } from "./read-suite.js";

const SUFFIX = randomBytes(2).toString("hex"); // sAMAccountName is unique in the domain
const UAC_ENABLED = "544"; // NORMAL_ACCOUNT | PASSWD_NOTREQD
const UAC_DISABLED = "546";

let ad: Client;
let directory: LdapDirectory;
let root: string;
let ou: { in: string; sub: string; out: string; groups: string; spare: string };
let group: { members: string; outer: string; other: string };

/** A user or contact as the test knows it, to pick targets for the next change. */
interface Known {
  readonly kind: "user" | "contact";
  dn: string;
  /** The original sAMAccountName (a user) or mail's local part (a contact): the name in messages. */
  readonly name: string;
  where: "in" | "sub" | "out";
  member: boolean;
}
const users: Known[] = [];
let serial = 0;

/**
 * One OU in scope (with a sub-OU) and the direct members of a group anywhere; only this file's
 * accounts and contacts (include), not mail "excluded.*", not disabled.
 */
function mainScope(): DirectoryScope {
  return scopeOf({
    ous: [{ dn: ou.in, scope: "subtree" }],
    groups: [{ dn: group.members, nested: false }],
    include: [
      { attribute: "sAMAccountName", match: `chg${SUFFIX}-*` },
      { attribute: "mail", match: `con${SUFFIX}-*` },
    ],
    exclude: [{ attribute: "mail", match: "excluded.*" }],
    includeDisabled: false,
  });
}

/** Members of a group holding the scope group (nested), disabled ones too. */
function nestedScope(): DirectoryScope {
  return scopeOf({
    groups: [{ dn: group.outer, nested: true }],
    include: [{ attribute: "sAMAccountName", match: `chg${SUFFIX}-?*` }],
    includeDisabled: true,
  });
}

async function addUser(where: Known["where"], member = false): Promise<Known> {
  const n = serial++;
  const sam = `chg${SUFFIX}-${n}`;
  const parent = where === "in" ? ou.in : where === "sub" ? ou.sub : ou.out;
  const dn = await createUser(ad, parent, {
    cn: `User ${n}`,
    sAMAccountName: sam,
    mail: `${sam}@smimesync.test`,
    proxyAddresses: [`SMTP:${sam}@smimesync.test`],
    userCertificate: [fakeDer(300)],
  });
  if (member) await addMembers(ad, group.members, [dn]);
  const known: Known = { kind: "user", dn, name: sam, where, member };
  users.push(known);
  return known;
}

async function addContact(where: Known["where"]): Promise<Known> {
  const name = `con${SUFFIX}-${serial++}`;
  const dn = `CN=${escapeDnValue(`Contact ${name}`)},${where === "in" ? ou.in : where === "sub" ? ou.sub : ou.out}`;
  await ad.add(dn, [
    new Attribute({ type: "objectClass", values: ["top", "person", "organizationalPerson", "contact"] }),
    new Attribute({ type: "mail", values: [`${name}@partner.test`] }),
    new Attribute({ type: "proxyAddresses", values: [`SMTP:${name}@partner.test`] }),
    new Attribute({ type: "userSMIMECertificate", values: [Buffer.from(fakeDer(200))] }),
  ]);
  const known: Known = { kind: "contact", dn, name, where, member: false };
  users.push(known);
  return known;
}

async function move(user: Known, where: Known["where"]): Promise<void> {
  const parent = where === "in" ? ou.in : where === "sub" ? ou.sub : ou.out;
  const rdn = user.dn.slice(0, user.dn.search(/[^\\],/) + 1);
  const dn = `${rdn},${parent}`;
  await ad.modifyDN(user.dn, dn);
  user.dn = dn;
  user.where = where;
}

type Mutation = (pick: <T>(xs: readonly T[]) => T | undefined) => Promise<string | undefined>;

/** The kinds of change a run must see, each returning what it did (for the failure message). */
const CHANGES: Record<string, Mutation> = {
  "new certificate value": async (pick) => {
    const u = pick(users);
    if (!u) return undefined;
    await ad.modify(
      u.dn,
      new Change({
        operation: "replace",
        modification: new Attribute({ type: "userCertificate", values: [Buffer.from(fakeDer(400))] }),
      }),
    );
    return `new userCertificate on ${u.name} (${u.where}${u.member ? ", member" : ""})`;
  },
  "user added in scope": async (pick) => {
    const u = await addUser(pick(["in", "sub"] as const) ?? "in");
    return `added ${u.name} in ${u.where}`;
  },
  "contact added in scope": async (pick) => {
    const c = await addContact(pick(["in", "sub"] as const) ?? "in");
    return `added contact ${c.name} in ${c.where}`;
  },
  "user added outside scope": async () => {
    const u = await addUser("out");
    return `added ${u.name} outside`;
  },
  "user deleted": async (pick) => {
    const u = pick(users);
    if (!u) return undefined;
    await ad.del(u.dn);
    users.splice(users.indexOf(u), 1);
    return `deleted ${u.name} (${u.where})`;
  },
  "moved out of the scope OU": async (pick) => {
    const u = pick(users.filter((x) => x.where !== "out"));
    if (!u) return undefined;
    await move(u, "out");
    return `moved ${u.name} out${u.member ? " (still a member)" : ""}`;
  },
  "moved into the scope OU": async (pick) => {
    const u = pick(users.filter((x) => x.where === "out"));
    if (!u) return undefined;
    await move(u, pick(["in", "sub"] as const) ?? "in");
    return `moved ${u.name} into ${u.where}`;
  },
  "disabled or enabled": async (pick) => {
    const u = pick(users.filter((x) => x.kind === "user"));
    if (!u) return undefined;
    const disable = (pick([true, false]) ?? true) as boolean;
    await setText(ad, u.dn, "userAccountControl", [disable ? UAC_DISABLED : UAC_ENABLED]);
    return `${disable ? "disabled" : "enabled"} ${u.name}`;
  },
  renamed: async (pick) => {
    const u = pick(users);
    if (!u) return undefined;
    const cn = `Renamed ${serial++}`;
    const parent = u.dn.slice(u.dn.search(/[^\\],/) + 2);
    await ad.modifyDN(u.dn, `CN=${escapeDnValue(cn)}`);
    u.dn = `CN=${escapeDnValue(cn)},${parent}`;
    return `renamed ${u.name} to ${cn}`;
  },
  "mail and proxyAddresses": async (pick) => {
    const u = pick(users);
    if (!u) return undefined;
    const mail = `${u.name}.${serial++}@smimesync.test`;
    await setText(ad, u.dn, "mail", [mail]);
    await setText(ad, u.dn, "proxyAddresses", [`SMTP:${mail}`, `smtp:${u.name}@smimesync.test`]);
    return `new mail ${mail} for ${u.name}`;
  },
  "out of the include pattern by sAMAccountName, or back": async (pick) => {
    const u = pick(users.filter((x) => x.kind === "user"));
    if (!u) return undefined;
    const out = (pick([true, false]) ?? true) as boolean;
    await setText(ad, u.dn, "sAMAccountName", [`${out ? "x" : ""}${u.name}`]);
    return `${out ? "renamed" : "restored"} the sAMAccountName of ${u.name}`;
  },
  "excluded by mail, or back": async (pick) => {
    const u = pick(users);
    if (!u) return undefined;
    const out = (pick([true, false]) ?? true) as boolean;
    await setText(ad, u.dn, "mail", [`${out ? "excluded." : ""}${u.name}@smimesync.test`]);
    return `${out ? "excluded" : "re-included"} ${u.name} by mail`;
  },
};

/** (previous minus gone minus upserted) plus upserts, sorted by objectGuid: the engine's merge. */
function merge(previous: readonly DirectoryRecipient[], changes: DirectoryChanges): DirectoryRecipient[] {
  if (changes.kind !== "changes") throw new Error(`expected changes, got a full read: ${changes.reason}`);
  const drop = new Set([...changes.gone, ...changes.upserts.map((r) => r.objectGuid)]);
  return byGuid([...previous.filter((r) => !drop.has(r.objectGuid)), ...changes.upserts]);
}

const byGuid = (rs: readonly DirectoryRecipient[]): DirectoryRecipient[] =>
  [...rs].sort((a, b) => a.objectGuid.localeCompare(b.objectGuid));

async function changesSince(scope: DirectoryScope, cursor: DirectoryCursor): Promise<DirectoryChanges> {
  return directory.readChanges(scope, cursor);
}

beforeAll(async () => {
  ad = await adminClient();
  root = await testOu(ad, "changes");
  const inOu = await createOu(ad, root, "In");
  ou = {
    in: inOu,
    sub: await createOu(ad, inOu, "Sub"),
    out: await createOu(ad, root, "Out"),
    groups: await createOu(ad, root, "Groups"),
    spare: await createOu(ad, inOu, "Spare"),
  };
  group = {
    members: await createGroup(ad, ou.groups, `Members ${SUFFIX}`),
    outer: "",
    other: await createGroup(ad, ou.groups, `Other ${SUFFIX}`),
  };
  group.outer = await createGroup(ad, ou.groups, `Outer ${SUFFIX}`, [group.members]);
  for (let i = 0; i < 6; i++) await addUser("in");
  for (let i = 0; i < 3; i++) await addUser("sub");
  for (let i = 0; i < 3; i++) await addUser("out");
  for (let i = 0; i < 3; i++) await addUser("out", true);
  await addUser("in", true);
  for (let i = 0; i < 2; i++) await addContact("in");
  await addContact("sub");
  await addContact("out");
  // Never touched by the random rounds (not in `users`): every scope keeps an object whose absence
  // from the changes proves a change read, however the rounds fall (seed 1746921610 changed all
  // the others in the nested scope).
  for (let i = 0; i < 2; i++) {
    await addUser("in", true);
    users.pop();
  }
  directory = (await openDirectory(directoryConfig(), {
    baseDir: process.cwd(),
    env: sambaEnv(),
  })) as LdapDirectory;
});

afterAll(async () => {
  await directory?.close();
  await ad?.unbind();
});

describe("LDAP directory: changes since a cursor (Samba AD)", () => {
  it("gives a cursor holding this DC's invocationId and highestCommittedUSN", async () => {
    const cursor = await directory.changeCursor();
    const rootDse = (
      await ad.search("", { scope: "base", attributes: ["highestCommittedUSN", "dsServiceName"] })
    ).searchEntries[0];
    const ntds = (
      await ad.search(String(rootDse?.dsServiceName), {
        scope: "base",
        attributes: ["invocationId"],
        explicitBufferAttributes: ["invocationId"],
      })
    ).searchEntries[0];
    expect(cursor?.invocationId).toBe(guidToText(ntds?.invocationId as Buffer));
    expect(BigInt(cursor?.usn ?? "0")).toBeLessThanOrEqual(BigInt(String(rootDse?.highestCommittedUSN)));
    expect(BigInt(cursor?.usn ?? "0")).toBeGreaterThan(0n);
  });

  it("after random changes, the last read merged with the changes equals a full read, round after round", async () => {
    const seed = Number(process.env.SMIMESYNC_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = prng(seed);
    const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(random() * xs.length)];
    // each scope keeps its own last read and cursor, as the engine would
    const tracked: {
      label: string;
      scope: DirectoryScope;
      cursor: DirectoryCursor;
      state: DirectoryRecipient[];
    }[] = [];
    for (const [label, scope] of [
      ["OU and group", mainScope()],
      ["nested group", nestedScope()],
    ] as const) {
      const cursor = (await directory.changeCursor()) as DirectoryCursor;
      expect(cursor).toBeDefined();
      tracked.push({ label, scope, cursor, state: byGuid(await readAll(directory, scope)) });
    }
    expect(tracked[0]?.state.length).toBeGreaterThan(8);
    expect(tracked[1]?.state.length).toBeGreaterThan(3);
    for (let round = 1; round <= 3; round++) {
      // every kind once, in a random order, then a few more of random kinds
      const kinds = Object.keys(CHANGES).sort(() => random() - 0.5);
      for (let i = 0; i < 4; i++) kinds.push(pick(Object.keys(CHANGES)) as string);
      const done: string[] = [];
      for (const kind of kinds) {
        const what = await (CHANGES[kind] as Mutation)(pick);
        if (what !== undefined) done.push(what);
      }
      for (const t of tracked) {
        const context = `seed ${seed} (SMIMESYNC_TEST_SEED), ${t.label}, round ${round}: ${done.join("; ")}`;
        const changes = await changesSince(t.scope, t.cursor);
        expect(changes.kind === "full" ? changes.reason : changes.kind, context).toBe("changes");
        if (changes.kind !== "changes") return;
        const fresh = byGuid(await readAll(directory, t.scope));
        expect(merge(t.state, changes), context).toEqual(fresh);
        // a change read, not a full one: what did not change does not come back
        const unchanged = fresh.filter((r) =>
          t.state.some((p) => p.objectGuid === r.objectGuid && p.usnChanged === r.usnChanged),
        );
        expect(unchanged.length, context).toBeGreaterThan(0);
        const upserted = changes.upserts.map((u) => u.objectGuid);
        for (const r of unchanged) expect(upserted, context).not.toContain(r.objectGuid);
        expect(BigInt(changes.cursor.usn)).toBeGreaterThan(BigInt(t.cursor.usn));
        t.state = fresh;
        t.cursor = changes.cursor;
      }
    }
  });

  it("reports no change when nothing changed", async () => {
    const cursor = (await directory.changeCursor()) as DirectoryCursor;
    const changes = await changesSince(mainScope(), cursor);
    expect(changes).toEqual({ kind: "changes", cursor, upserts: [], gone: [] });
  });

  it("does not fall back when a group outside the scope changes", async () => {
    const cursor = (await directory.changeCursor()) as DirectoryCursor;
    await addMembers(ad, group.other, [users[0]?.dn as string]);
    const changes = await changesSince(mainScope(), cursor);
    expect(changes.kind).toBe("changes");
    expect(changes.kind === "changes" && changes.upserts).toEqual([]);
  });

  it("asks for a full read when a scope group's membership changed: its members' uSNChanged did not", async () => {
    const outsider = users.find((u) => u.where === "out" && !u.member) ?? (await addUser("out"));
    const cursor = (await directory.changeCursor()) as DirectoryCursor;
    await addMembers(ad, group.members, [outsider.dn]);
    outsider.member = true;
    const changes = await changesSince(mainScope(), cursor);
    expect(changes).toEqual({ kind: "full", reason: expect.stringContaining("scope group") });
    // with a nested scope group, any group that changed could be one of its members
    const nested = nestedScope();
    const cursor2 = (await directory.changeCursor()) as DirectoryCursor;
    await addMembers(ad, group.other, [users[1]?.dn as string]);
    expect(await changesSince(nested, cursor2)).toEqual({
      kind: "full",
      reason: expect.stringContaining("nested"),
    });
  });

  it("asks for a full read when an OU was renamed or moved: its children's uSNChanged did not change", async () => {
    const spareUser = await createUser(ad, ou.spare, { cn: "Spare", sAMAccountName: `chg${SUFFIX}-spare` });
    const scope = mainScope();
    const before = await readAll(directory, scope);
    expect(before.map((r) => r.dn)).toContain(spareUser);
    const cursor = (await directory.changeCursor()) as DirectoryCursor;
    const renamed = `OU=Spare2,${ou.in}`;
    await ad.modifyDN(ou.spare, "OU=Spare2");
    const changes = await changesSince(scope, cursor);
    expect(changes).toEqual({ kind: "full", reason: expect.stringContaining("Spare2") });
    const cursor2 = (await directory.changeCursor()) as DirectoryCursor;
    await ad.modifyDN(renamed, `OU=Spare2,${ou.out}`); // moved out: its user leaves the scope
    expect(await changesSince(scope, cursor2)).toEqual({
      kind: "full",
      reason: expect.stringContaining("renamed or moved OU"),
    });
    expect((await readAll(directory, scope)).map((r) => r.objectGuid)).not.toContain(
      before.find((r) => r.dn === spareUser)?.objectGuid,
    );
  });

  it("asks for a full read from a cursor of another DC (or this one restored), or one ahead of this DC", async () => {
    const cursor = (await directory.changeCursor()) as DirectoryCursor;
    const other = { ...cursor, invocationId: "00000000-1111-2222-3333-444444444444" };
    expect(await changesSince(mainScope(), other)).toEqual({
      kind: "full",
      reason: expect.stringContaining("domain controller changed or was restored"),
    });
    const ahead = { ...cursor, usn: String(BigInt(cursor.usn) + 1000n) };
    expect(await changesSince(mainScope(), ahead)).toEqual({
      kind: "full",
      reason: expect.stringContaining("not one"),
    });
  });

  it("asks for a full read when a scope group was renamed: memberOf no longer names it", async () => {
    const member = await addUser("out");
    const renamedGroup = await createGroup(ad, ou.groups, `Renamed group ${SUFFIX}`, [member.dn]);
    const scope = scopeOf({ groups: [{ dn: renamedGroup, nested: false }] });
    expect((await readAll(directory, scope)).map((r) => r.dn)).toEqual([member.dn]);
    const cursor = (await directory.changeCursor()) as DirectoryCursor;
    await ad.modifyDN(renamedGroup, `CN=${escapeDnValue(`Renamed group 2 ${SUFFIX}`)}`);
    expect(await changesSince(scope, cursor)).toEqual({
      kind: "full",
      reason: expect.stringContaining("is not there"),
    });
    expect(await readAll(directory, scope)).toEqual([]);
  });

  it("reports a deleted user gone (its tombstone, found with Show Deleted)", async () => {
    const u = await addUser("in");
    const cursor = (await directory.changeCursor()) as DirectoryCursor;
    const guid = (await readAll(directory, mainScope())).find((r) => r.dn === u.dn)?.objectGuid;
    await ad.del(u.dn);
    users.splice(users.indexOf(u), 1);
    const changes = await changesSince(mainScope(), cursor);
    expect(changes.kind === "changes" && changes.gone).toEqual([guid]);
  });
});
