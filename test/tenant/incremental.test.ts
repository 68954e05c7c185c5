// Incremental reads of the tenant through production code against the emulator: Exchange
// recipients by WhenChanged cursor, Graph users by /users/delta (expired tokens included). Each
// test merges the change set as the engine does and compares it with a fresh full read, after
// seeded-random changes, so a change the incremental path misses fails the test.
import { afterEach, describe, expect, it } from "vitest";
import {
  mergeRecipients as mergeRecipientList,
  mergeUsers as mergeUserList,
} from "../../src/engine/read-merge.js";
import { recipientKey } from "../../src/tenant/exchange/change-tracking.js";
import type {
  CloudUser,
  ExchangeCursor,
  ExchangeRecipient,
  RecipientChanges,
  Tenant,
  UserDelta,
} from "../../src/tenant/types.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import type { EmulatorState, EmuRecipient } from "../emulator/state.js";
import { exportToTenant } from "../emulator/sync-simulator.js";
import { prng } from "../helpers/prng.js";
import { collect, invokeCommand, openAgainst } from "./helpers.js";

const HOUR = 3600 * 1000;
let emu: Emulator;
afterEach(() => emu.close());

/** The engine's merge (src/engine/read-merge.ts), over the maps by key this file holds. */
function mergeRecipients(
  previous: ReadonlyMap<string, ExchangeRecipient>,
  changes: Extract<RecipientChanges, { kind: "changes" }>,
): Map<string, ExchangeRecipient> {
  return byKey(mergeRecipientList([...previous.values()], changes));
}

const byKey = (rs: readonly ExchangeRecipient[]) => new Map(rs.map((r) => [recipientKey(r), r]));

async function fullRead(tenant: Tenant): Promise<Map<string, ExchangeRecipient>> {
  return byKey(await collect(tenant.readRecipients()));
}

function bytes(random: () => number, n = 64): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

/** Small pages by default: every listing (filtered, id-only, full) crosses pages. */
async function seedTenant(
  pages: { exchange: number; graph: number } = { exchange: 3, graph: 4 },
): Promise<Emulator> {
  const e = await startEmulator({ exchangeMaxPageSize: pages.exchange, graphMaxPageSize: pages.graph });
  for (let i = 0; i < 14; i++) {
    e.state.addUser(
      {
        userPrincipalName: `user${i}@contoso.com`,
        ...(i % 4 === 0 ? { onPremisesSyncEnabled: true, onPremisesImmutableId: `anchor${i}` } : {}),
      },
      { mailbox: i % 5 === 1 ? "MailUser" : "Mailbox" },
    );
  }
  for (let i = 0; i < 3; i++) {
    e.state.putRecipient({
      kind: "MailContact",
      guid: `00000000-0000-4000-8000-00000000000${i}`,
      name: `partner${i}`,
      externalDirectoryObjectId: undefined,
      primarySmtpAddress: `partner${i}@fabrikam.com`,
      emailAddresses: [`SMTP:partner${i}@fabrikam.com`],
      isDirSynced: false,
      userCertificate: [],
      userSMIMECertificate: [],
    });
  }
  return e;
}

/** One seeded-random batch of the changes a tenant sees between runs; returns the keys it touched. */
async function randomChanges(tenant: Tenant, state: EmulatorState, random: () => number, round: number) {
  const touched = new Set<string>();
  const cloud = () => [...state.recipients.values()].filter((r) => !r.isDirSynced);
  const keyOf = (r: EmuRecipient) => recipientKey({ kind: r.kind, identity: r.guid });
  const ops = [
    // A certificate value added on a cloud recipient, through production's Set-* path.
    async () => {
      const r = pick(random, cloud());
      const current = await tenant.readRecipient({ kind: r.kind, identity: r.guid });
      if (!current) throw new Error("vanished");
      const result = await tenant.writeValues(
        { kind: r.kind, identity: r.guid },
        [
          {
            attribute: random() < 0.5 ? "userCertificate" : "userSMIMECertificate",
            add: [bytes(random)],
            remove: [],
          },
        ],
        tenant.fingerprint(current),
      );
      expect(result).toEqual({ ok: true });
      touched.add(keyOf(r));
    },
    // A value removed by another admin (straight in the service).
    async () => {
      const withValues = cloud().filter((r) => r.userCertificate.length > 0);
      const r = withValues.length > 0 ? pick(random, withValues) : pick(random, cloud());
      state.editRecipient(r.guid, (x) => {
        x.userCertificate = x.userCertificate.slice(1);
        x.userSMIMECertificate = [...x.userSMIMECertificate, bytes(random)];
      });
      touched.add(keyOf(r));
    },
    // A recipient created: a new user's mailbox, or a partner contact through production.
    async () => {
      if (random() < 0.5) {
        const u = state.addUser({
          userPrincipalName: `new${round}-${Math.floor(random() * 1e6)}@contoso.com`,
        });
        const r = state.recipientOfUser(u.id);
        if (r) touched.add(keyOf(r));
      } else {
        const c = await tenant.createContact({
          name: `contact${round}-${Math.floor(random() * 1e6)}`,
          externalEmailAddress: `c${Math.floor(random() * 1e6)}@partner.example`,
          values: { userCertificate: [bytes(random)], userSMIMECertificate: [] },
        });
        touched.add(recipientKey(c));
      }
    },
    // A recipient deleted.
    async () => {
      const r = pick(random, [...state.recipients.values()]);
      state.deleteRecipient(r.guid);
      touched.add(keyOf(r));
    },
    // An address changed.
    async () => {
      const r = pick(random, [...state.recipients.values()]);
      state.editRecipient(r.guid, (x) => {
        x.emailAddresses = [...x.emailAddresses, `smtp:alias${Math.floor(random() * 1e6)}@contoso.com`];
      });
      touched.add(keyOf(r));
    },
    // Entra Connect exports a changed certificate of a synced user (the sync simulator).
    async () => {
      const synced = [...state.users.values()].filter(
        (u) => u.onPremisesSyncEnabled === true && u.onPremisesImmutableId && state.recipientOfUser(u.id),
      );
      if (synced.length === 0) return;
      const u = pick(random, synced);
      const r = state.recipientOfUser(u.id);
      exportToTenant(state, [
        {
          dn: u.onPremisesDistinguishedName ?? `CN=${u.userPrincipalName},OU=Staff,DC=corp,DC=example`,
          sourceAnchor: u.onPremisesImmutableId ?? "",
          userPrincipalName: u.userPrincipalName,
          mail: u.mail ?? undefined,
          proxyAddresses: u.proxyAddresses,
          disabled: !u.accountEnabled,
          userCertificate: [...(r?.userCertificate ?? []), bytes(random)],
          userSMIMECertificate: r?.userSMIMECertificate ?? [],
        },
      ]);
      if (r) touched.add(keyOf(r));
    },
    // A mailbox whose Entra user is deleted.
    async () => {
      const users = [...state.users.values()].filter((u) => state.recipientOfUser(u.id) !== undefined);
      const u = pick(random, users);
      const r = state.recipientOfUser(u.id);
      state.deleteUser(u.id);
      if (r) touched.add(keyOf(r));
    },
  ];
  // Every kind of change once, in a random order, then a few more at random.
  const order = ops.map((op) => ({ op, at: random() })).sort((a, b) => a.at - b.at);
  for (const { op } of order) await op();
  for (let i = 0; i < 3; i++) await pick(random, ops)();
  return touched;
}

function asChanges(c: RecipientChanges): Extract<RecipientChanges, { kind: "changes" }> {
  if (c.kind !== "changes") throw new Error(`expected a change set, got a full read: ${c.reason}`);
  return c;
}

describe("Exchange recipients by WhenChanged", () => {
  it("after random changes, 3 chained rounds merged equal a fresh full read; untouched recipients are not re-read", async () => {
    emu = await seedTenant();
    const tenant = await openAgainst(emu);
    const random = prng(20261203);
    emu.state.advanceClock(HOUR);
    let cursor = await tenant.recipientCursor();
    if (!cursor) throw new Error("the live tenant must give a cursor");
    let held = await fullRead(tenant);
    expect(held.size).toBe(17);

    for (let round = 1; round <= 3; round++) {
      const touched = await randomChanges(tenant, emu.state, random, round);
      // Time passes before the next run: beyond the cursor's 15-minute margin, so the cursor it
      // takes is after this batch and the next batch alone is read next time.
      emu.state.advanceClock(HOUR);
      const changes = asChanges(await tenant.readRecipientChanges(cursor, new Set(held.keys())));
      held = mergeRecipients(held, changes);
      const fresh = await fullRead(tenant);
      expect([...held.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [k, r] of fresh) expect(held.get(k), k).toEqual(r);
      // The filter did its job: every upsert is a recipient this round touched (and present).
      for (const r of changes.upserts) expect(touched, recipientKey(r)).toContain(recipientKey(r));
      expect(changes.upserts.length).toBeLessThan(fresh.size);
      cursor = changes.cursor;
    }

    // Nothing changed since: no record is read again, and the set stays as it is.
    const quiet = asChanges(await tenant.readRecipientChanges(cursor, new Set(held.keys())));
    expect(quiet.upserts).toEqual([]);
    expect(mergeRecipients(held, quiet)).toEqual(await fullRead(tenant));
  });

  it("sends WhenChangedUTC -gt in the en-US form, the cursor 15 minutes before the service's Date, ids with $select=Guid", async () => {
    emu = await seedTenant();
    const tenant = await openAgainst(emu);
    emu.state.advanceClock(5 * HOUR);
    const cursor = await tenant.recipientCursor();
    const probe = emu.requests.filter((r) => r.service === "exchange").at(-1);
    expect(probe?.cmdlet).toBe("Get-Mailbox");
    expect(new URL(probe?.url ?? "").searchParams.get("$select")).toBe("Guid");
    const serverNow = emu.state.now();
    expect(cursor).toBeDefined();
    const since = Date.parse(cursor?.since ?? "");
    // Date headers have whole seconds: the cursor is 15 min before the server's clock, to the second.
    expect(serverNow - 15 * 60_000 - since).toBeGreaterThanOrEqual(0);
    expect(serverNow - 15 * 60_000 - since).toBeLessThan(2_000);

    const before = emu.requests.length;
    const fixed: ExchangeCursor = { since: "2026-02-03T04:05:06.789Z" };
    await tenant.readRecipientChanges(fixed, new Set());
    const sent = emu.requests.slice(before).filter((r) => r.cmdlet?.startsWith("Get-") && !r.inBatch);
    const filtered = sent.filter((r) => JSON.stringify(r.body).includes("Filter"));
    expect(new Set(filtered.map((r) => r.cmdlet))).toEqual(
      new Set(["Get-Mailbox", "Get-MailUser", "Get-MailContact"]),
    );
    for (const r of filtered) {
      expect(r.body).toMatchObject({
        CmdletInput: {
          Parameters: { Filter: "WhenChangedUTC -gt '02/03/2026 04:05:06'", ResultSize: "Unlimited" },
        },
      });
    }
    const idOnly = sent.filter((r) => !JSON.stringify(r.body).includes("Filter"));
    expect(idOnly.length).toBeGreaterThanOrEqual(3);
    for (const r of idOnly) expect(new URL(r.url).searchParams.get("$select")).toBe("Guid");
  });

  it("a present recipient the caller does not hold is read whole; one it holds and is gone is not present", async () => {
    emu = await seedTenant();
    const tenant = await openAgainst(emu);
    emu.state.advanceClock(HOUR);
    const cursor = await tenant.recipientCursor();
    if (!cursor) throw new Error("cursor");
    const full = await fullRead(tenant);
    emu.state.advanceClock(HOUR);
    // The caller lost two records (say a state file from an older run), and one recipient is deleted.
    const [lostA, lostB, deleted] = [...full.keys()];
    if (!lostA || !lostB || !deleted) throw new Error("seed");
    const known = new Set([...full.keys()].filter((k) => k !== lostA && k !== lostB));
    const deletedRef = full.get(deleted);
    if (!deletedRef) throw new Error("seed");
    emu.state.deleteRecipient(deletedRef.identity);
    const changes = asChanges(await tenant.readRecipientChanges(cursor, known));
    expect(changes.upserts.map(recipientKey).sort()).toEqual([lostA, lostB].sort());
    expect(changes.present.map(recipientKey)).not.toContain(deleted);
    const held = new Map([...full].filter(([k]) => known.has(k)));
    expect(mergeRecipients(held, changes)).toEqual(await fullRead(tenant));
  });

  it("falls back to a full read when the caller holds too little to make reading unknowns worth it, or its cursor is corrupt", async () => {
    emu = await seedTenant({ exchange: 1000, graph: 999 });
    for (let i = 0; i < 110; i++) emu.state.addUser({ userPrincipalName: `bulk${i}@contoso.com` });
    const tenant = await openAgainst(emu);
    emu.state.advanceClock(HOUR);
    const cursor = await tenant.recipientCursor();
    if (!cursor) throw new Error("cursor");
    emu.state.advanceClock(HOUR);
    // 127 present recipients, none known (a lost state file): one full read beats 127 single reads.
    const lost = await tenant.readRecipientChanges(cursor, new Set());
    expect(lost).toMatchObject({ kind: "full", reason: expect.stringMatching(/127 recipients are present/) });
    const corrupt = await tenant.readRecipientChanges({ since: "yesterday" }, new Set());
    expect(corrupt).toMatchObject({ kind: "full", reason: expect.stringMatching(/not a UTC date/) });
  });

  it("a snapshot file has no cursor and answers every change read with `full`", async () => {
    emu = await seedTenant();
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = await mkdtemp(join(tmpdir(), "smimesync-inc-"));
    await writeFile(join(dir, "tenant.json"), JSON.stringify(emu.dump()));
    const { openTenant } = await import("../../src/tenant/open-tenant.js");
    const snapshot = await openTenant({ snapshot: "tenant.json" }, { baseDir: dir, env: {} });
    expect(await snapshot.recipientCursor()).toBeUndefined();
    expect(await snapshot.readRecipientChanges({ since: new Date().toISOString() }, new Set())).toMatchObject(
      {
        kind: "full",
      },
    );
    await snapshot.close();
  });
});

describe("the emulator's -Filter stays as strict as Exchange", () => {
  const exo = (parameters: Record<string, unknown>) => invokeCommand(emu, "Get-Mailbox", parameters);

  it("refuses ISO dates, day-first or impossible dates, other properties, operators and clauses; filters the accepted forms", async () => {
    emu = await seedTenant({ exchange: 1000, graph: 999 });
    const refused = [
      "WhenChanged -gt '2026-12-03T10:00:00Z'",
      "WhenChangedUTC -gt '2026-12-03 10:00:00'",
      "WhenChanged -gt '13/01/2026 10:00:00'",
      "WhenChanged -gt '02/30/2026 10:00:00'",
      "WhenChanged -gt '12/03/2026 13:00:00 PM'",
      "WhenChanged -ge '12/03/2026 10:00:00'",
      "WhenCreated -gt '12/03/2026 10:00:00'",
      "WhenChanged -gt '12/03/2026 10:00:00' -and IsDirSynced -eq $false",
      "WhenChanged -gt 12/03/2026",
    ];
    for (const filter of refused) {
      const res = await exo({ ResultSize: "Unlimited", Filter: filter });
      expect(res.status, filter).toBe(400);
      const body = (await res.json()) as { error: { details: { message: string }[] } };
      expect(body.error.details[0]?.message, filter).toMatch(
        /^Ex[0-9A-F]{6}\|System\.Management\.Automation\.ParameterBindingException\|Cannot bind parameter 'Filter'/,
      );
    }
    const count = async (filter: string) => {
      const res = await exo({ ResultSize: "Unlimited", Filter: filter });
      expect(res.status, filter).toBe(200);
      return ((await res.json()) as { value: unknown[] }).value.length;
    };
    const stamp = new Date(emu.state.now() - HOUR);
    const pad = (n: number) => String(n).padStart(2, "0");
    const invariant = `${pad(stamp.getUTCMonth() + 1)}/${pad(stamp.getUTCDate())}/${stamp.getUTCFullYear()} ${pad(stamp.getUTCHours())}:${pad(stamp.getUTCMinutes())}:${pad(stamp.getUTCSeconds())}`;
    const h = stamp.getUTCHours();
    const enUs = `${stamp.getUTCMonth() + 1}/${stamp.getUTCDate()}/${stamp.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(stamp.getUTCMinutes())}:${pad(stamp.getUTCSeconds())} ${h < 12 ? "AM" : "PM"}`;
    const mailboxes = [...emu.state.recipients.values()].filter((r) => r.kind === "Mailbox").length;
    expect(await count(`WhenChanged -gt '${invariant}'`)).toBe(mailboxes);
    expect(await count(`whenchangedutc -GT '${enUs}'`)).toBe(mailboxes);
    emu.state.advanceClock(2 * HOUR);
    expect(await count(`WhenChangedUTC -gt '${invariant}'`)).toBe(mailboxes);
    const later = new Date(emu.state.now() - HOUR);
    const laterText = `${pad(later.getUTCMonth() + 1)}/${pad(later.getUTCDate())}/${later.getUTCFullYear()} ${pad(later.getUTCHours())}:${pad(later.getUTCMinutes())}:${pad(later.getUTCSeconds())}`;
    expect(await count(`WhenChangedUTC -gt '${laterText}'`)).toBe(0);
  });
});

// ---------------------------------------------------------------- Graph users by /users/delta

/** The engine's merge (src/engine/read-merge.ts), over the maps by id this file holds. */
function mergeUsers(previous: ReadonlyMap<string, CloudUser>, delta: UserDelta): Map<string, CloudUser> {
  return new Map(mergeUserList([...previous.values()], delta).map((u) => [u.id, u]));
}

async function allUsers(tenant: Tenant): Promise<Map<string, CloudUser>> {
  return new Map((await collect(tenant.readUsers())).map((u) => [u.id, u]));
}

function randomUserChanges(state: EmulatorState, random: () => number, round: number): void {
  for (let i = 0; i < 6; i++) {
    const users = [...state.users.values()];
    const u = pick(random, users);
    const op = Math.floor(random() * 5);
    if (op === 0) state.upsertUser({ ...u, mail: `renamed${round}-${i}@contoso.com` });
    else if (op === 1)
      state.upsertUser({ ...u, proxyAddresses: [...u.proxyAddresses, `smtp:x${round}${i}@contoso.com`] });
    else if (op === 2) state.upsertUser({ ...u, accountEnabled: !u.accountEnabled });
    else if (op === 3) state.deleteUser(u.id);
    else state.addUser({ userPrincipalName: `hire${round}-${i}@contoso.com` });
  }
}

describe("Graph users by /users/delta", () => {
  it("after random user changes, 3 chained delta rounds merged equal a full /users read", async () => {
    emu = await seedTenant();
    const tenant = await openAgainst(emu);
    const random = prng(7);
    let delta = await tenant.readUserChanges(undefined);
    let held = mergeUsers(new Map(), delta);
    expect(held).toEqual(await allUsers(tenant));
    for (let round = 1; round <= 3; round++) {
      randomUserChanges(emu.state, random, round);
      delta = await tenant.readUserChanges(delta.deltaLink);
      expect(delta.complete).toBe(false);
      held = mergeUsers(held, delta);
      expect(held).toEqual(await allUsers(tenant));
    }
  });

  for (const [how, expire] of [
    ["expired by the service (410 Gone, resyncRequired)", (e: Emulator) => e.state.expireDeltaTokens(410)],
    ["expired by the service (400 syncStateNotFound)", (e: Emulator) => e.state.expireDeltaTokens(400)],
    ["past the 7-day lifetime", (e: Emulator) => e.state.advanceClock(8 * 24 * HOUR)],
  ] as const) {
    it(`a delta token ${how} restarts a complete round that equals a full read`, async () => {
      emu = await seedTenant();
      const tenant = await openAgainst(emu);
      const first = await tenant.readUserChanges(undefined);
      randomUserChanges(emu.state, prng(11), 1);
      expire(emu);
      const before = emu.requests.length;
      const again = await tenant.readUserChanges(first.deltaLink);
      expect(again.complete).toBe(true);
      expect(again.restartedBecause).toMatch(/no longer serves the kept delta token/);
      // Complete: a caller holding users that are gone drops them.
      const stale = new Map([["gone-user", { id: "gone-user" } as CloudUser]]);
      expect(mergeUsers(stale, again)).toEqual(await allUsers(tenant));
      // The restart went to this client's own start URL, on the Graph origin, not to a served link.
      const graphCalls = emu.requests
        .slice(before)
        .filter((r) => r.service === "graph" && r.path === "/v1.0/users/delta");
      const restart = graphCalls[1];
      expect(new URL(restart?.url ?? "").searchParams.has("$deltatoken")).toBe(false);
      expect(new URL(restart?.url ?? "").origin).toBe(new URL(emu.urls.graph).origin);
      // And the new deltaLink works: the next round is incremental again.
      const next = await tenant.readUserChanges(again.deltaLink);
      expect(next.complete).toBe(false);
      expect(next.changes).toEqual([]);
    });
  }

  it("a token the service cannot read (400 Badly formed delta token) restarts too; other failures do not", async () => {
    emu = await seedTenant();
    const tenant = await openAgainst(emu);
    const first = await tenant.readUserChanges(undefined);
    const garbled = first.deltaLink.replace(/\$deltatoken=[^&]+/, "$deltatoken=bm90LWEtdG9rZW4");
    const again = await tenant.readUserChanges(garbled);
    expect(again.complete).toBe(true);
    expect(again.restartedBecause).toMatch(/Badly formed delta token/);
    expect(mergeUsers(new Map(), again)).toEqual(await allUsers(tenant));
    // A 403 is not an expired token: it stays an error.
    emu.authority.register({ ...emu.app, graphRoles: [] });
    emu.inject.revokeTokens();
    await expect(tenant.readUserChanges(first.deltaLink)).rejects.toThrow(/Insufficient privileges|refused/);
  });
});
