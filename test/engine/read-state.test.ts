// The read state (src/engine/read-state.ts) and the merges of an incremental read
// (src/engine/read-merge.ts): what is saved comes back exactly, anything else is refused with a
// reason (so the plan reads whole), and a merge yields what a full read would.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DirectoryRecipient } from "../../src/directory/types.js";
import { mergeDirectory, mergeRecipients, mergeUsers } from "../../src/engine/read-merge.js";
import {
  loadReadState,
  type ReadState,
  ReadStateWriter,
  readStateFile,
  type SavedState,
  STATE_FORMAT,
  saveReadState,
} from "../../src/engine/read-state.js";
import type { CloudUser, ExchangeRecipient } from "../../src/tenant/types.js";

const KEY = "a".repeat(64);
const bytes = (...b: number[]) => new Uint8Array(b);

function adUser(n: number, o: Partial<DirectoryRecipient> = {}): DirectoryRecipient {
  return {
    kind: "user",
    dn: `CN=u${n},OU=People,DC=corp,DC=example`,
    objectGuid: `0000000${n}-0000-0000-0000-000000000000`,
    sourceAnchor: n % 2 ? "c291cmNl" : undefined,
    sAMAccountName: `u${n}`,
    userPrincipalName: `u${n}@corp.example`,
    mail: n % 3 ? `u${n}@corp.example` : undefined,
    proxyAddresses: [`SMTP:u${n}@corp.example`],
    disabled: n === 2,
    usnChanged: String(1000 + n),
    values: { userCertificate: [bytes(n, 1, 2)], userSMIMECertificate: n % 2 ? [bytes(9, n)] : [] },
    ...o,
  };
}

function cloudUser(n: number, o: Partial<CloudUser> = {}): CloudUser {
  return {
    id: `id-${n}`,
    userPrincipalName: `u${n}@corp.example`,
    mail: n % 2 ? `u${n}@corp.example` : null,
    proxyAddresses: [],
    accountEnabled: true,
    onPremisesImmutableId: null,
    onPremisesSyncEnabled: n % 2 ? true : null,
    onPremisesDistinguishedName: null,
    onPremisesLastSyncDateTime: "2026-03-01T09:00:00Z",
    onPremisesProvisioningErrors: n === 1 ? [{ category: "PropertyConflict", value: "x@corp.example" }] : [],
    serviceProvisioningErrors:
      n === 3 ? [{ isResolved: false, serviceInstance: "exchange/x", errorDetail: "<e/>" }] : [],
    ...o,
  };
}

function recipient(n: number, o: Partial<ExchangeRecipient> = {}): ExchangeRecipient {
  return {
    kind: n % 3 === 0 ? "MailContact" : "Mailbox",
    identity: `guid-${n}`,
    externalDirectoryObjectId: n % 3 === 0 ? undefined : `id-${n}`,
    primarySmtpAddress: `u${n}@corp.example`,
    emailAddresses: [`SMTP:u${n}@corp.example`],
    isDirSynced: n % 2 === 1,
    values: { userCertificate: [], userSMIMECertificate: [bytes(7, n)] },
    ...o,
  };
}

function state(): SavedState {
  return {
    cursors: {
      directory: {
        invocationId: "1b5a1e4e-0000-0000-0000-000000000001",
        usn: "12345",
        server: "ldaps://dc01",
      },
      graph: "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=abc",
      exchange: { since: "2026-03-01T09:45:00.000Z" },
    },
    directory: [adUser(1), adUser(2), adUser(3)],
    adContacts: [adUser(4, { kind: "contact" })],
    cloudUsers: [cloudUser(1), cloudUser(2), cloudUser(3)],
    exchange: [recipient(1), recipient(2), recipient(3)],
  };
}

async function saved(s: SavedState = state()) {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-rstate-"));
  await saveReadState(dir, KEY, s);
  return { dir, file: readStateFile(dir, KEY) };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const i of items) out.push(i);
  return out;
}

/** The loaded state with the users' scope streamed into a list, as it was saved. */
async function listed(s: ReadState): Promise<SavedState> {
  return { ...s, directory: s.directory && (await collect(s.directory.records())) };
}

describe("read state file", () => {
  it("gives back exactly what was saved, bytes and absent fields included", async () => {
    const { dir } = await saved();
    const loaded = await loadReadState(dir, KEY);
    if (!loaded.ok) throw new Error(loaded.reason);
    expect(loaded.state.directory?.count).toBe(3);
    expect(await listed(loaded.state)).toEqual(state());
    // Streamed as often as asked, each time from the file.
    expect(await listed(loaded.state)).toEqual(state());
  });

  it("streams the users' scope from the file it checked: replaced or edited since, the stream fails", async () => {
    const { dir, file } = await saved();
    const loaded = await loadReadState(dir, KEY);
    if (!loaded.ok || !loaded.state.directory) throw new Error("not loaded");
    const text = await readFile(file, "utf8");
    // Another plan saved its state meanwhile (a new file renamed over this one).
    await saveReadState(dir, KEY, { ...state(), directory: [adUser(7)] });
    await expect(collect(loaded.state.directory.records())).rejects.toMatchObject({
      code: "FILE_UNREADABLE",
      message: expect.stringMatching(/read state .* changed while the plan read it/),
    });
    // Edited in place, its size and mtime kept (whole seconds, so that utimes restores them exactly):
    // the checksum taken again as it streams fails.
    const second = new Date("2026-03-01T09:00:00Z");
    await writeFile(file, text);
    await utimes(file, second, second);
    const again = await loadReadState(dir, KEY);
    if (!again.ok || !again.state.directory) throw new Error("not loaded");
    await writeFile(file, text.replace("u1@corp.example", "u9@corp.example"));
    await utimes(file, second, second);
    await expect(collect(again.state.directory.records())).rejects.toMatchObject({
      code: "FILE_UNREADABLE",
    });
  });

  it("fails the stream on a users' scope record of the wrong shape, even under a valid checksum", async () => {
    const { dir, file } = await saved();
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    const body = [lines[0], '["d",{"kind":"user"}]'];
    const trailer = JSON.parse(lines.at(-1) as string);
    const sha = createHash("sha256");
    for (const l of body) sha.update(`${l}\n`);
    const forged = { ...trailer, lines: body.length, sha256: sha.digest("hex") };
    await writeFile(file, `${[...body, JSON.stringify(forged)].join("\n")}\n`);
    const loaded = await loadReadState(dir, KEY);
    if (!loaded.ok || !loaded.state.directory) throw new Error("not loaded");
    expect(loaded.state.directory.count).toBe(1);
    await expect(collect(loaded.state.directory.records())).rejects.toMatchObject({
      code: "FILE_UNREADABLE",
      message: expect.stringMatching(/changed while the plan read it \(line 2 is not a record\)/),
    });
  });

  it("is private to its owner: the file 0600 in a new 0700 directory", async () => {
    const parent = await mkdtemp(join(tmpdir(), "smimesync-rstate-"));
    const dir = join(parent, "cache");
    await saveReadState(dir, KEY, state());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(readStateFile(dir, KEY))).mode & 0o777).toBe(0o600);
  });

  it("keeps 'no directory read' apart from 'an empty directory read'", async () => {
    const { dir } = await saved({ ...state(), directory: null, adContacts: undefined });
    const loaded = await loadReadState(dir, KEY);
    expect(loaded.ok && loaded.state.directory).toBeNull();
    expect(loaded.ok && loaded.state.adContacts).toBeUndefined();
  });

  it("is absent for another key, and says none", async () => {
    const { dir } = await saved();
    expect(await loadReadState(dir, "b".repeat(64))).toEqual({ ok: false, reason: "none" });
  });

  it("refuses a truncated, edited, foreign or garbage file with a reason", async () => {
    const { dir, file } = await saved();
    const text = await readFile(file, "utf8");
    const lines = text.trimEnd().split("\n");
    const cases: [string, string, RegExp][] = [
      ["truncated", `${lines.slice(0, -1).join("\n")}\n`, /truncated/],
      ["edited", text.replace("u1@corp.example", "evil@corp.example"), /checksum/],
      ["another key", text.replace(KEY, "c".repeat(64)), /not a read state/],
      ["another format", text.replace(`"version":${STATE_FORMAT}`, '"version":99'), /not a read state/],
      ["garbage", "{not json\n", /not JSON/],
      ["a bad record", `${lines[0]}\n["c",{"kind":"user"}]\n${lines.at(-1)}\n`, /not a record/],
      ["a users' record written otherwise", `${lines[0]}\n[ "d",{}]\n${lines.at(-1)}\n`, /not a record/],
      ["after the end", `${text}["u",{}]\n`, /after its end/],
    ];
    for (const [what, content, reason] of cases) {
      await writeFile(file, content);
      const loaded = await loadReadState(dir, KEY);
      expect(loaded.ok, what).toBe(false);
      expect(loaded.ok ? "" : loaded.reason, what).toMatch(reason);
    }
  });

  it("written as the directory streams: the same file; an abort leaves the last one and no temp file", async () => {
    const { dir, file } = await saved();
    const before = await readFile(file, "utf8");
    const s = state();
    const streamed = new ReadStateWriter(dir, KEY);
    for (const r of s.directory ?? []) streamed.directory(r);
    await streamed.finish({ ...s, hasDirectory: true });
    expect(await readFile(file, "utf8")).toBe(before);

    // The next plan streams the loaded records back: each goes out as the line it came from, even
    // where encoding the decoded record again would order its fields otherwise.
    const reordered = (s.directory ?? []).map(({ values, ...rest }) => ({ values, ...rest }));
    await saveReadState(dir, KEY, { ...s, directory: reordered });
    const written = await readFile(file, "utf8");
    expect(written).not.toBe(before);
    const loaded = await loadReadState(dir, KEY);
    if (!loaded.ok || !loaded.state.directory) throw new Error("not loaded");
    const next = new ReadStateWriter(dir, KEY);
    for await (const r of loaded.state.directory.records()) next.directory(r);
    await next.finish({ ...s, hasDirectory: true });
    expect(await readFile(file, "utf8")).toBe(written);
    await saveReadState(dir, KEY, s);

    const failed = new ReadStateWriter(dir, KEY);
    for (const r of s.directory ?? []) failed.directory(r);
    await failed.abort();
    expect(await readFile(file, "utf8")).toBe(before);
    expect(await readdir(dir)).toEqual([readStateFile(dir, KEY).split("/").at(-1)]);
  });

  it("is replaced whole, leaving no temp file, and old keys are pruned to a few", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-rstate-"));
    for (const k of ["1", "2", "3", "4", "5", "6"]) await saveReadState(dir, k.repeat(64), state());
    const names = await readdir(dir);
    expect(names.every((n) => n.startsWith("read-state-") && n.endsWith(".jsonl"))).toBe(true);
    expect(names.length).toBeLessThanOrEqual(4);
    expect(names).toContain(`read-state-${"6".repeat(32)}.jsonl`);
  });
});

describe("merging changes", () => {
  it("directory: drops gone objects, replaces changed ones, appends new ones", async () => {
    const moved = adUser(2, { dn: "CN=u2,OU=Elsewhere,DC=corp,DC=example", usnChanged: "2000" });
    const merged = await collect(
      mergeDirectory([adUser(1), adUser(2), adUser(3)], {
        kind: "changes",
        cursor: { invocationId: "x", usn: "3000", server: "dc" },
        upserts: [moved, adUser(5)],
        gone: [adUser(3).objectGuid, "not-known-guid"],
      }),
    );
    expect(merged).toEqual([adUser(1), moved, adUser(5)]);
  });

  it("users: a removal and an upsert of the same id take the later one; a complete round replaces", () => {
    const renamed = cloudUser(2, { userPrincipalName: "new@corp.example" });
    const before = [cloudUser(1), cloudUser(2), cloudUser(3)];
    expect(
      mergeUsers(before, {
        complete: false,
        deltaLink: "l",
        changes: [
          { kind: "removed", id: "id-1", reason: "deleted" },
          { kind: "upsert", user: renamed },
          { kind: "upsert", user: cloudUser(4) },
          { kind: "removed", id: "id-4", reason: "changed" },
          { kind: "removed", id: "id-3", reason: "changed" },
          { kind: "upsert", user: cloudUser(3) },
        ],
      }),
    ).toEqual([renamed, cloudUser(3)]);
    expect(
      mergeUsers(before, {
        complete: true,
        deltaLink: "l",
        changes: [{ kind: "upsert", user: cloudUser(9) }],
      }),
    ).toEqual([cloudUser(9)]);
  });

  it("exchange: keeps only present recipients, replaces changed ones, adds new ones", () => {
    const changed = recipient(1, { values: { userCertificate: [bytes(1)], userSMIMECertificate: [] } });
    const merged = mergeRecipients([recipient(1), recipient(2), recipient(3)], {
      kind: "changes",
      cursor: { since: "2026-03-01T10:00:00Z" },
      present: [recipient(1), recipient(3), recipient(4)].map((r) => ({
        kind: r.kind,
        identity: r.identity,
      })),
      upserts: [changed, recipient(4)],
    });
    expect(merged).toEqual([changed, recipient(3), recipient(4)]);
  });
});
