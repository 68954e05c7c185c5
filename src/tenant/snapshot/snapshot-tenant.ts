// The tenant as a JSON file, for review without credentials, demos and air-gapped sites. It
// behaves like the live tenant where that matters to a plan: synced recipients refuse writes
// with Exchange's message, the 15-value and 32 KiB limits hold, and every write checks the
// fingerprint against the file's current content. The parsed file stays in memory and is saved
// in batches, atomically, by BatchedFile (its header states the consistency rules), so applying
// N objects costs O(N).
import { randomUUID } from "node:crypto";
import { SmimesyncError } from "../../errors.js";
import { BatchedFile, type BatchOptions, type DocumentCodec } from "../../files/batched-file.js";
import type { AttributeEdit } from "../../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint, sameFingerprint } from "../../model/fingerprint.js";
import {
  editCollection,
  type TrustCollectionEdit,
  trustCollectionFingerprint,
} from "../../model/trust-collection.js";
import { WRITE_OK, type WriteResult } from "../../model/write-result.js";
import { EXCHANGE_ATTRIBUTE } from "../exchange/recipients.js";
import type {
  CloudUser,
  ExchangeCursor,
  ExchangeRecipient,
  ExchangeRecipientRef,
  NewMailContact,
  RecipientChanges,
  SmimeConfig,
  Tenant,
  UserDelta,
} from "../types.js";
import { editAllValues, editValues, writeScopeMessage } from "../value-edit.js";
import {
  fromBase64,
  parseSnapshot,
  recipientFromSnapshot,
  recipientToSnapshot,
  type SnapshotDocument,
  type SnapshotRecipient,
  type SnapshotSmimeConfig,
  serializeSnapshot,
  toBase64,
  userFromSnapshot,
} from "./snapshot-format.js";

/** The file as this process holds it. */
interface SnapshotState {
  /** As read; its `recipients` are superseded by the member below. */
  readonly doc: SnapshotDocument;
  /** The recipients with this process's writes, in file order. */
  readonly recipients: SnapshotRecipient[];
  /** `kind:identity` (lower case) -> index in `recipients`. */
  readonly byKey: Map<string, number>;
  /** The S/MIME configuration with this process's writes; undefined when the file has none. */
  smimeConfig: SnapshotSmimeConfig | undefined;
}

const keyOf = (kind: string, identity: string): string => `${kind}:${identity.toLowerCase()}`;

const SNAPSHOT_CODEC: DocumentCodec<SnapshotState> = {
  noun: "tenant snapshot",
  parse(text, path) {
    const doc = parseSnapshot(text, path);
    const recipients = [...doc.recipients];
    // parseSnapshot refuses a repeated kind + identity, so the keys are unique.
    const byKey = new Map(recipients.map((r, i) => [keyOf(r.kind, r.identity), i]));
    return { doc, recipients, byKey, smimeConfig: doc.smimeConfig };
  },
  render: (state) =>
    serializeSnapshot({
      ...state.doc,
      recipients: state.recipients,
      ...(state.smimeConfig === undefined ? {} : { smimeConfig: state.smimeConfig }),
    }),
};

/** `options` tune when writes are saved (tests); the defaults suit every real use. */
export async function openSnapshotTenant(path: string, options: BatchOptions = {}): Promise<SnapshotTenant> {
  return new SnapshotTenant(await BatchedFile.open(path, SNAPSHOT_CODEC, options));
}

export class SnapshotTenant implements Tenant {
  readonly description: string;
  readonly #file: BatchedFile<SnapshotState>;

  constructor(file: BatchedFile<SnapshotState>) {
    this.#file = file;
    this.description = `snapshot ${file.path}`;
  }

  get #state(): SnapshotState {
    return this.#file.doc;
  }

  async *readUsers(): AsyncIterable<CloudUser> {
    for (const u of this.#state.doc.users) yield userFromSnapshot(u);
  }

  /** A file has no change tracking: every round is a complete one. */
  async readUserChanges(_deltaLink: string | undefined): Promise<UserDelta> {
    return {
      changes: this.#state.doc.users.map((u) => ({ kind: "upsert" as const, user: userFromSnapshot(u) })),
      deltaLink: "snapshot:complete",
      complete: true,
    };
  }

  async *readRecipients(): AsyncIterable<ExchangeRecipient> {
    for (const r of this.#state.recipients) yield recipientFromSnapshot(r);
  }

  /** From memory, this process's unsaved writes included; writeValues re-checks against the file. */
  async readRecipient(ref: ExchangeRecipientRef): Promise<ExchangeRecipient | undefined> {
    const found = find(this.#state, ref);
    return found ? recipientFromSnapshot(found.recipient) : undefined;
  }

  /** A file has no change tracking: callers read it whole every time. */
  async recipientCursor(): Promise<ExchangeCursor | undefined> {
    return undefined;
  }

  async readRecipientChanges(_since: ExchangeCursor, _known: ReadonlySet<string>): Promise<RecipientChanges> {
    return { kind: "full", reason: "a tenant snapshot file has no change tracking" };
  }

  fingerprint(recipient: ExchangeRecipient): ObjectFingerprint {
    return fingerprintOf(recipient.values);
  }

  writeValues(
    ref: ExchangeRecipientRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult> {
    const path = this.#file.path;
    return this.#file.exclusive((state): WriteResult => {
      const found = find(state, ref);
      if (!found)
        return {
          ok: false,
          reason: "not-found",
          message: `${ref.kind} ${ref.identity} is not in ${path}`,
        };
      const current = recipientFromSnapshot(found.recipient);
      if (!sameFingerprint(fingerprintOf(current.values), expected)) {
        return {
          ok: false,
          reason: "stale",
          message: `${ref.kind} ${ref.identity} changed in ${path} since the plan`,
        };
      }
      const first = edits[0];
      if (current.isDirSynced && first) {
        return {
          ok: false,
          reason: "refused",
          message: writeScopeMessage(
            ref.kind,
            found.recipient.name ?? ref.identity,
            EXCHANGE_ATTRIBUTE[first.attribute],
          ),
        };
      }
      const edit = editAllValues(current.values, edits);
      if (!edit.ok)
        return { ok: false, reason: "error", message: `${ref.kind} ${ref.identity} ${edit.message}` };
      if (edit.changed.length === 0) return WRITE_OK;
      state.recipients[found.index] = recipientToSnapshot(
        { ...current, values: edit.values },
        found.recipient.name,
      );
      this.#file.written({
        label: `${ref.kind} ${ref.identity}`,
        replay: (fresh) => {
          // Only onto the recipient as this write found it: anything else would undo the other edit.
          const again = find(fresh, ref);
          if (!again) return "no longer in the file";
          const now = recipientFromSnapshot(again.recipient);
          if (!sameFingerprint(fingerprintOf(now.values), expected)) return "its certificates were changed";
          if (now.isDirSynced) return "it is now directory-synced";
          const replayed = editAllValues(now.values, edits);
          if (!replayed.ok) return replayed.message;
          fresh.recipients[again.index] = recipientToSnapshot(
            { ...now, values: replayed.values },
            again.recipient.name,
          );
          return undefined;
        },
      });
      return WRITE_OK;
    });
  }

  async readSmimeConfig(): Promise<SmimeConfig> {
    return { issuingCA: issuingCaOf(this.#state) };
  }

  writeSmimeIssuingCA(edit: TrustCollectionEdit, expected: ObjectFingerprint): Promise<WriteResult> {
    const path = this.#file.path;
    return this.#file.exclusive((state): WriteResult => {
      const current = issuingCaOf(state);
      if (!sameFingerprint(trustCollectionFingerprint(current), expected)) {
        return {
          ok: false,
          reason: "stale",
          message: `the S/MIME trust collection changed in ${path} since the plan`,
        };
      }
      const next = editCollection(current, edit);
      if (!next.changed) return WRITE_OK;
      const set = (s: SnapshotState, sst: Uint8Array | null) => {
        s.smimeConfig = { ...s.smimeConfig, issuingCA: sst === null ? null : toBase64(sst) };
      };
      set(state, next.sst);
      this.#file.written({
        label: "the S/MIME trust collection",
        replay: (fresh) => {
          const now = issuingCaOf(fresh);
          if (!sameFingerprint(trustCollectionFingerprint(now), expected)) return "it was changed";
          set(fresh, editCollection(now, edit).sst);
          return undefined;
        },
      });
      return WRITE_OK;
    });
  }

  createContact(contact: NewMailContact): Promise<ExchangeRecipient> {
    const path = this.#file.path;
    return this.#file.exclusive((state) => {
      const address = contact.externalEmailAddress;
      for (const attribute of ["userCertificate", "userSMIMECertificate"] as const) {
        const edit = editValues([], contact.values[attribute], []);
        if (!edit.ok)
          throw new SmimesyncError(
            "TENANT_ERROR",
            `mail contact ${contact.name} ${attribute}: ${edit.message}`,
          );
      }
      const exists = (s: SnapshotState) => s.recipients.some((r) => r.name === contact.name);
      if (exists(state)) {
        throw new SmimesyncError(
          "TENANT_ERROR",
          `a recipient named "${contact.name}" already exists in ${path}`,
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
      const entry = recipientToSnapshot(recipient, contact.name);
      const add = (s: SnapshotState) => {
        s.byKey.set(keyOf(entry.kind, entry.identity), s.recipients.length);
        s.recipients.push(entry);
      };
      add(state);
      this.#file.written({
        label: `mail contact ${contact.name}`,
        replay: (fresh) => {
          if (exists(fresh)) return `a recipient named "${contact.name}" was created meanwhile`;
          add(fresh);
          return undefined;
        },
      });
      return recipient;
    });
  }

  /** Saves the writes still in memory; a failure is a SmimesyncError (FILE_UNWRITABLE, PLAN_STALE). */
  close(): Promise<void> {
    return this.#file.close();
  }
}

function issuingCaOf(state: SnapshotState): Uint8Array | null {
  const raw = state.smimeConfig?.issuingCA;
  return raw === undefined || raw === null || raw === "" ? null : fromBase64(raw);
}

function find(
  state: SnapshotState,
  ref: ExchangeRecipientRef,
): { recipient: SnapshotRecipient; index: number } | undefined {
  const index = state.byKey.get(keyOf(ref.kind, ref.identity));
  const recipient = index === undefined ? undefined : state.recipients[index];
  return recipient && index !== undefined ? { recipient, index } : undefined;
}
