// The snapshot backend: reads, atomic rewrites, the cloud's refusals and limits, validation;
// and the emulator seeded from / dumped to the same format.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isSmimesyncError } from "../../src/errors.js";
import { emptyValues } from "../../src/model/attributes.js";
import { fingerprintOf } from "../../src/model/fingerprint.js";
import { openTenant } from "../../src/tenant/open-tenant.js";
import {
  parseSnapshot,
  type SnapshotDocument,
  serializeSnapshot,
} from "../../src/tenant/snapshot/snapshot-format.js";
import type { Tenant } from "../../src/tenant/types.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { certFor, collect, openAgainst } from "./helpers.js";

let dir: string;
let file: string;
let tenant: Tenant;

const doc = (cert: string): SnapshotDocument => ({
  formatVersion: 1,
  tenantId: "8d2f6a1e-3b4c-4d5e-9f60-7a8b9c0d1e2f",
  domain: "contoso.onmicrosoft.com",
  users: [
    {
      id: "u-cloud",
      userPrincipalName: "cloud@contoso.com",
      mail: "cloud@contoso.com",
      onPremisesSyncEnabled: null,
    },
    {
      id: "u-synced",
      userPrincipalName: "synced@contoso.com",
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: "qrvM3Q==",
    },
  ],
  recipients: [
    {
      kind: "Mailbox",
      identity: "11111111-1111-4111-8111-111111111111",
      name: "cloud",
      externalDirectoryObjectId: "u-cloud",
      primarySmtpAddress: "cloud@contoso.com",
      isDirSynced: false,
      userCertificate: [cert],
    },
    {
      kind: "Mailbox",
      identity: "22222222-2222-4222-8222-222222222222",
      name: "synced",
      externalDirectoryObjectId: "u-synced",
      primarySmtpAddress: "synced@contoso.com",
      isDirSynced: true,
    },
  ],
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "smimesync-snapshot-"));
  file = join(dir, "tenant.json");
  writeFileSync(
    file,
    serializeSnapshot(doc(Buffer.from(await certFor("cloud@contoso.com")).toString("base64"))),
  );
  tenant = await openTenant({ snapshot: "tenant.json" }, { baseDir: dir, env: {} });
});

it("reads users and recipients as the live tenant would return them", async () => {
  const users = await collect(tenant.readUsers());
  expect(users.find((u) => u.id === "u-cloud")).toMatchObject({
    onPremisesSyncEnabled: null,
    accountEnabled: true,
    proxyAddresses: [],
  });
  const recipients = await collect(tenant.readRecipients());
  expect(recipients[0]?.values.userCertificate[0]?.[0]).toBe(0x30);
  expect((await tenant.readUserChanges(undefined)).complete).toBe(true);
});

it("a write rewrites the file atomically and leaves no temporary file", async () => {
  const ref = { kind: "Mailbox" as const, identity: "11111111-1111-4111-8111-111111111111" };
  const before = await tenant.readRecipient(ref);
  if (!before) throw new Error("missing");
  const added = await certFor("cloud@contoso.com");
  const results = await Promise.all([
    tenant.writeValues(
      ref,
      [{ attribute: "userSMIMECertificate", add: [added], remove: [] }],
      tenant.fingerprint(before),
    ),
    tenant.writeValues(
      ref,
      [{ attribute: "userCertificate", add: [], remove: before.values.userCertificate }],
      tenant.fingerprint(before),
    ),
  ]);
  // Serialised: the second write re-reads the file and sees the first one's change.
  expect(results[0]).toEqual({ ok: true });
  expect(!results[1]?.ok && results[1]?.reason).toBe("stale");
  await tenant.close(); // writes are saved in batches, at the latest when the backend is closed
  expect(readdirSync(dir)).toEqual(["tenant.json"]);
  const reread = parseSnapshot(readFileSync(file, "utf8"), file);
  expect(reread.recipients[0]?.userSMIMECertificate).toEqual([Buffer.from(added).toString("base64")]);
  expect(reread.recipients[0]?.name).toBe("cloud");
});

it("refuses a synced recipient with Exchange's message, and the 15-value limit", async () => {
  const synced = { kind: "Mailbox" as const, identity: "22222222-2222-4222-8222-222222222222" };
  const refused = await tenant.writeValues(
    synced,
    [{ attribute: "userCertificate", add: [await certFor("s@contoso.com")], remove: [] }],
    fingerprintOf(emptyValues()),
  );
  expect(!refused.ok && refused.reason).toBe("refused");
  expect(!refused.ok && refused.message).toMatch(/out of the current user's write scope/);
  const cloud = { kind: "Mailbox" as const, identity: "11111111-1111-4111-8111-111111111111" };
  const current = await tenant.readRecipient(cloud);
  if (!current) throw new Error("missing");
  const many = await Promise.all(Array.from({ length: 15 }, () => certFor("cloud@contoso.com")));
  const over = await tenant.writeValues(
    cloud,
    [{ attribute: "userCertificate", add: many, remove: [] }],
    tenant.fingerprint(current),
  );
  expect(!over.ok && over.message).toMatch(/16 values exceed the limit of 15/);
});

it("creates contacts into the file", async () => {
  const created = await tenant.createContact({
    name: "Partner",
    externalEmailAddress: "p@fabrikam.example",
    values: emptyValues(),
  });
  await tenant.close();
  const reread = parseSnapshot(readFileSync(file, "utf8"), file);
  expect(reread.recipients.map((r) => r.identity)).toContain(created.identity);
});

it("a malformed snapshot is SNAPSHOT_INVALID naming the problem", async () => {
  writeFileSync(file, JSON.stringify({ formatVersion: 1, users: [{ id: "x" }], recipients: [] }));
  const error = await openTenant({ snapshot: file }, { baseDir: dir, env: {} }).catch((e: unknown) => e);
  expect(isSmimesyncError(error) && error.code).toBe("SNAPSHOT_INVALID");
  expect(String(error)).toMatch(/users\/0 must have required property 'userPrincipalName'/);
  writeFileSync(file, "{");
  expect(
    String(await openTenant({ snapshot: file }, { baseDir: dir, env: {} }).catch((e: unknown) => e)),
  ).toMatch(/not JSON/);
});

describe("the emulator and the snapshot format", () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });
  it("the emulator seeds from a snapshot and dumps the same data back, certificates included", async () => {
    const seed = parseSnapshot(readFileSync(file, "utf8"), file);
    emu = await startEmulator({ seed });
    const live = await openAgainst(emu);
    const fromEmulator = await collect(live.readRecipients());
    const fromFile = await collect(tenant.readRecipients());
    const key = (r: { identity: string; values: { userCertificate: readonly Uint8Array[] } }) =>
      `${r.identity}:${r.values.userCertificate.map((v) => Buffer.from(v).toString("hex")).join(",")}`;
    expect(fromEmulator.map(key).sort()).toEqual(fromFile.map(key).sort());
    const dumped = emu.dump();
    expect(dumped.recipients.map((r) => r.userCertificate)).toEqual(
      seed.recipients.map((r) => r.userCertificate ?? []),
    );
    expect(parseSnapshot(serializeSnapshot(dumped), "dump").users).toHaveLength(2);
  });
});
