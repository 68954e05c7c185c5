// The tenant as a JSON file, for review without credentials, demos and air-gapped sites. It
// behaves like the live tenant where that matters to a plan: synced recipients refuse writes
// with Exchange's message, the 15-value and 32 KiB limits hold, and every write re-reads the
// file, checks the fingerprint and rewrites the file atomically.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SmimesyncError } from "../../errors.js";
import type { AttributeEdit } from "../../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint, sameFingerprint } from "../../model/fingerprint.js";
import { WRITE_OK, type WriteResult } from "../../model/write-result.js";
import { EXCHANGE_ATTRIBUTE } from "../exchange/recipients.js";
import type {
  CloudUser,
  ExchangeRecipient,
  ExchangeRecipientRef,
  NewMailContact,
  Tenant,
  UserDelta,
} from "../types.js";
import { editAllValues, editValues, writeScopeMessage } from "../value-edit.js";
import { writeFileAtomic } from "./atomic-write.js";
import {
  parseSnapshot,
  recipientFromSnapshot,
  recipientToSnapshot,
  type SnapshotDocument,
  type SnapshotRecipient,
  serializeSnapshot,
  userFromSnapshot,
} from "./snapshot-format.js";

export async function openSnapshotTenant(path: string): Promise<SnapshotTenant> {
  const tenant = new SnapshotTenant(path);
  await tenant.load();
  return tenant;
}

export class SnapshotTenant implements Tenant {
  readonly description: string;
  private doc: SnapshotDocument = { formatVersion: 1, users: [], recipients: [] };
  /** Writes are serialised: each one is a read-modify-rewrite of the whole file. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly path: string) {
    this.description = `snapshot ${path}`;
  }

  async load(): Promise<SnapshotDocument> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (e) {
      throw new SmimesyncError("FILE_UNREADABLE", `cannot read the tenant snapshot ${this.path}`, {
        cause: e,
      });
    }
    this.doc = parseSnapshot(text, this.path);
    return this.doc;
  }

  async *readUsers(): AsyncIterable<CloudUser> {
    for (const u of this.doc.users) yield userFromSnapshot(u);
  }

  /** A file has no change tracking: every round is a complete one. */
  async readUserChanges(_deltaLink: string | undefined): Promise<UserDelta> {
    return {
      changes: this.doc.users.map((u) => ({ kind: "upsert" as const, user: userFromSnapshot(u) })),
      deltaLink: "snapshot:complete",
      complete: true,
    };
  }

  async *readRecipients(): AsyncIterable<ExchangeRecipient> {
    for (const r of this.doc.recipients) yield recipientFromSnapshot(r);
  }

  async readRecipient(ref: ExchangeRecipientRef): Promise<ExchangeRecipient | undefined> {
    const found = find(this.doc, ref);
    return found ? recipientFromSnapshot(found) : undefined;
  }

  fingerprint(recipient: ExchangeRecipient): ObjectFingerprint {
    return fingerprintOf(recipient.values);
  }

  writeValues(
    ref: ExchangeRecipientRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult> {
    return this.serialised(async () => {
      const doc = await this.load();
      const found = find(doc, ref);
      if (!found)
        return {
          ok: false,
          reason: "not-found",
          message: `${ref.kind} ${ref.identity} is not in ${this.path}`,
        };
      const current = recipientFromSnapshot(found);
      if (!sameFingerprint(fingerprintOf(current.values), expected)) {
        return {
          ok: false,
          reason: "stale",
          message: `${ref.kind} ${ref.identity} changed in ${this.path} since the plan`,
        };
      }
      const first = edits[0];
      if (current.isDirSynced && first) {
        return {
          ok: false,
          reason: "refused",
          message: writeScopeMessage(
            ref.kind,
            found.name ?? ref.identity,
            EXCHANGE_ATTRIBUTE[first.attribute],
          ),
        };
      }
      const edit = editAllValues(current.values, edits);
      if (!edit.ok)
        return { ok: false, reason: "error", message: `${ref.kind} ${ref.identity} ${edit.message}` };
      if (edit.changed.length === 0) return WRITE_OK;
      const updated = recipientToSnapshot({ ...current, values: edit.values }, found.name);
      await this.save({ ...doc, recipients: doc.recipients.map((r) => (r === found ? updated : r)) });
      return WRITE_OK;
    });
  }

  createContact(contact: NewMailContact): Promise<ExchangeRecipient> {
    return this.serialised(async () => {
      const doc = await this.load();
      const address = contact.externalEmailAddress;
      for (const attribute of ["userCertificate", "userSMIMECertificate"] as const) {
        const edit = editValues([], contact.values[attribute], []);
        if (!edit.ok)
          throw new SmimesyncError(
            "TENANT_ERROR",
            `mail contact ${contact.name} ${attribute}: ${edit.message}`,
          );
      }
      if (doc.recipients.some((r) => r.name === contact.name)) {
        throw new SmimesyncError(
          "TENANT_ERROR",
          `a recipient named "${contact.name}" already exists in ${this.path}`,
        );
      }
      const recipient: ExchangeRecipient = {
        kind: "MailContact",
        identity: randomUUID(),
        externalDirectoryObjectId: randomUUID(),
        primarySmtpAddress: address,
        emailAddresses: [`SMTP:${address}`],
        isDirSynced: false,
        values: contact.values,
      };
      const entry: SnapshotRecipient = recipientToSnapshot(recipient, contact.name);
      await this.save({ ...doc, recipients: [...doc.recipients, entry] });
      return recipient;
    });
  }

  async close(): Promise<void> {
    await this.queue;
  }

  private async save(doc: SnapshotDocument): Promise<void> {
    await writeFileAtomic(this.path, serializeSnapshot(doc));
    this.doc = doc;
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function find(doc: SnapshotDocument, ref: ExchangeRecipientRef): SnapshotRecipient | undefined {
  const id = ref.identity.toLowerCase();
  return doc.recipients.find((r) => r.kind === ref.kind && r.identity.toLowerCase() === id);
}
