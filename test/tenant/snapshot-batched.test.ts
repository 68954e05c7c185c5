// The snapshot backend saves its writes in batches (src/tenant/snapshot/batched-file.ts): many
// writes make one atomic rewrite, an edit of the file during the apply is detected and never
// overwritten, a contact creation is batched like a write, and a failed save is a clear error.
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isSmimesyncError } from "../../src/errors.js";
import { writeFileAtomic } from "../../src/files/atomic-write.js";
import type { BatchOptions } from "../../src/files/batched-file.js";
import { emptyValues } from "../../src/model/attributes.js";
import {
  parseSnapshot,
  type SnapshotDocument,
  type SnapshotRecipient,
  serializeSnapshot,
} from "../../src/tenant/snapshot/snapshot-format.js";
import { openSnapshotTenant, type SnapshotTenant } from "../../src/tenant/snapshot/snapshot-tenant.js";

const b64 = (text: string) => Buffer.from(`0\x82${text}`).toString("base64");
const identity = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
const ref = (i: number) => ({ kind: "Mailbox" as const, identity: identity(i) });

function snapshot(n: number): SnapshotDocument {
  return {
    formatVersion: 1,
    users: [],
    recipients: Array.from(
      { length: n },
      (_, i): SnapshotRecipient => ({
        kind: "Mailbox",
        identity: identity(i),
        name: `user${i}`,
        primarySmtpAddress: `user${i}@contoso.com`,
        isDirSynced: false,
        userCertificate: [b64(`old${i}`)],
      }),
    ),
  };
}

let dir: string;
let file: string;
let saves: number;
const counting: BatchOptions["writeFile"] = (p, text, options) => {
  saves++;
  return writeFileAtomic(p, text, options);
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "snapshot-batched-"));
  file = join(dir, "tenant.json");
  saves = 0;
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

/** What apply does for one recipient: read it, write its edit with the plan's fingerprint. */
async function publishNew(t: SnapshotTenant, i: number) {
  const current = await t.readRecipient(ref(i));
  if (!current) throw new Error(`recipient ${i} missing`);
  const add = [new Uint8Array(Buffer.from(b64(`new${i}`), "base64"))];
  return t.writeValues(ref(i), [{ attribute: "userCertificate", add, remove: [] }], t.fingerprint(current));
}

async function onDisk(): Promise<SnapshotDocument> {
  return parseSnapshot(await readFile(file, "utf8"), file);
}

const written = (doc: SnapshotDocument, n: number) =>
  Array.from({ length: n }, (_, i) =>
    (doc.recipients.find((r) => r.identity === identity(i))?.userCertificate ?? []).includes(b64(`new${i}`)),
  );

describe("SnapshotTenant batches its writes", () => {
  it("300 writes are one atomic rewrite at close, the file keeping its mode", async () => {
    const original = serializeSnapshot(snapshot(300));
    await writeFile(file, original);
    await chmod(file, 0o600);
    const t = await openSnapshotTenant(file, { writeFile: counting });
    for (let i = 0; i < 300; i++) expect(await publishNew(t, i)).toEqual({ ok: true });
    expect(saves).toBe(0);
    expect(await readFile(file, "utf8")).toBe(original);
    await t.close();
    expect(saves).toBe(1);
    expect(written(await onDisk(), 300).every(Boolean)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(["tenant.json"]);
  });

  it("saves every N objects: without close, the file holds a prefix of the writes", async () => {
    await writeFile(file, serializeSnapshot(snapshot(30)));
    const t = await openSnapshotTenant(file, {
      writeFile: counting,
      flush: { objects: 10, ms: 60_000, costFactor: 0 },
    });
    for (let i = 0; i < 25; i++) await publishNew(t, i);
    expect(saves).toBe(2);
    expect(written(await onDisk(), 30)).toEqual(Array.from({ length: 30 }, (_, i) => i < 20));
    await t.close();
    expect(written(await onDisk(), 30)).toEqual(Array.from({ length: 30 }, (_, i) => i < 25));
  });

  it("an edit of the file between two writes: the edited recipient is stale, both edits are kept", async () => {
    await writeFile(file, serializeSnapshot(snapshot(3)));
    const t = await openSnapshotTenant(file, { writeFile: counting });
    const before1 = await t.readRecipient(ref(1));
    if (!before1) throw new Error("missing");
    expect(await publishNew(t, 0)).toEqual({ ok: true });
    const edited = snapshot(3);
    await writeFile(
      file,
      serializeSnapshot({
        ...edited,
        recipients: edited.recipients.map((r, i) =>
          i === 1 ? { ...r, userCertificate: [b64("other")] } : r,
        ),
      }),
    );
    const result = await t.writeValues(
      ref(1),
      [{ attribute: "userCertificate", add: [new Uint8Array([0x30, 1])], remove: [] }],
      t.fingerprint(before1),
    );
    expect(result).toMatchObject({ ok: false, reason: "stale" });
    expect(saves).toBe(1); // the pending write, replayed onto the edited file, saved at once
    const doc = await onDisk();
    expect(doc.recipients[1]?.userCertificate).toEqual([b64("other")]);
    expect(written(doc, 3)).toEqual([true, false, false]);
    await publishNew(t, 2);
    await t.close();
    const after = await onDisk();
    expect(written(after, 3)).toEqual([true, false, true]);
    expect(after.recipients[1]?.userCertificate).toEqual([b64("other")]);
  });

  it("an edit of a recipient already written keeps the edit and fails the apply, naming it", async () => {
    await writeFile(file, serializeSnapshot(snapshot(3)));
    const t = await openSnapshotTenant(file);
    await publishNew(t, 0);
    await publishNew(t, 1);
    const edited = snapshot(3);
    await writeFile(
      file,
      serializeSnapshot({
        ...edited,
        recipients: edited.recipients.map((r, i) =>
          i === 0 ? { ...r, isDirSynced: true, userCertificate: [] } : r,
        ),
      }),
    );
    const error = await t.close().catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("PLAN_STALE");
    expect(String(error)).toMatch(new RegExp(`Mailbox ${identity(0)} \\(its certificates were changed\\)`));
    const doc = await onDisk();
    expect(doc.recipients[0]).toMatchObject({ isDirSynced: true, userCertificate: [] });
    expect(written(doc, 3)).toEqual([false, true, false]);
  });

  it("creates contacts in memory and saves them with the batch; a name taken meanwhile is not duplicated", async () => {
    await writeFile(file, serializeSnapshot(snapshot(1)));
    const t = await openSnapshotTenant(file, { writeFile: counting });
    const a = await t.createContact({
      name: "Partner A",
      externalEmailAddress: "a@fabrikam.example",
      values: emptyValues(),
    });
    await t.createContact({
      name: "Partner B",
      externalEmailAddress: "b@fabrikam.example",
      values: emptyValues(),
    });
    expect(await t.readRecipient({ kind: "MailContact", identity: a.identity })).toMatchObject({
      primarySmtpAddress: "a@fabrikam.example",
    });
    // someone adds "Partner B" to the file by hand
    const doc = snapshot(1);
    const byHand: SnapshotRecipient = {
      kind: "MailContact",
      identity: "by-hand",
      name: "Partner B",
      primarySmtpAddress: "b@fabrikam.example",
      isDirSynced: false,
    };
    await writeFile(file, serializeSnapshot({ ...doc, recipients: [...doc.recipients, byHand] }));
    const error = await t.close().catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("PLAN_STALE");
    expect(String(error)).toMatch(/mail contact Partner B/);
    const after = await onDisk();
    expect(after.recipients.map((r) => r.name)).toEqual(["user0", "Partner B", "Partner A"]);
    expect(after.recipients.find((r) => r.name === "Partner B")?.identity).toBe("by-hand");
    expect(saves).toBe(1);
  });

  it("a failed save is FILE_UNWRITABLE naming the file, and the file is left as it was", async () => {
    const original = serializeSnapshot(snapshot(2));
    await writeFile(file, original);
    const t = await openSnapshotTenant(file, {
      writeFile: () => Promise.reject(new Error("EROFS: read-only file system")),
    });
    await publishNew(t, 0);
    const error = await t.close().catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("FILE_UNWRITABLE");
    expect(String(error)).toMatch(
      /cannot save the tenant snapshot .*tenant\.json \(EROFS.*1 write reported applied/,
    );
    expect(await readFile(file, "utf8")).toBe(original);
  });
});
