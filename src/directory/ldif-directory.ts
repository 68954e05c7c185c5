// The directory read from an LDIF export (offline review, demos, air-gapped sites). Same
// interface and scope semantics as the LDAP backend. The parsed file stays in memory; a write
// checks the object against the file's current content (re-read only when the file changed on
// disk), applies the add / delete with LDAP's rules in memory, and the file is saved in batches,
// atomically, by BatchedFile (its header states the consistency rules): applying N objects costs
// O(N), a reader never sees half a file, and a crash leaves a consistent file holding a prefix of
// the writes. Records not written keep their bytes.

import { randomBytes } from "node:crypto";
import { BatchedFile, type BatchOptions, type DocumentCodec } from "../files/batched-file.js";
import { type AttributeEdit, CERT_ATTRIBUTES } from "../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint, sameFingerprint } from "../model/fingerprint.js";
import { WRITE_OK, type WriteResult } from "../model/write-result.js";
import { escapeDnValue, isUnderDn, normalizeDn, parseDn, sameDn } from "./dn.js";
import { type RawEntry, recipientKind, type SourceAnchorAttribute, texts, toRecipient } from "./entry.js";
import { guidToText } from "./guid.js";
import {
  attributeKey,
  type LdifAttribute,
  type LdifDocument,
  type LdifRecord,
  parseLdif,
  renderLdif,
  serializeRecord,
} from "./ldif.js";
import { Membership } from "./ldif-membership.js";
import { assertScopeNotEmpty, tallyRecipient } from "./scope.js";
import type {
  Directory,
  DirectoryChanges,
  DirectoryCursor,
  DirectoryObjectRef,
  DirectoryRecipient,
  DirectoryScope,
  NewDirectoryContact,
  ReadTally,
} from "./types.js";
import { type ApplyValues, applyValueChanges, guardWrite } from "./write-guard.js";

/** The file as this process holds it. */
interface LdifState {
  readonly doc: LdifDocument;
  /** objectGUID (canonical text) -> its record; the first one should an export repeat a GUID. */
  readonly byGuid: Map<string, LdifRecord>;
  /**
   * Records written since the file was read, with their serialisation (made once per write, as
   * every save renders them all): a save keeps every other line byte for byte.
   */
  readonly changed: Map<LdifRecord, readonly string[]>;
}

const LDIF_CODEC: DocumentCodec<LdifState> = {
  noun: "LDIF directory",
  parse(text, path) {
    const doc = parseLdif(text, path);
    const byGuid = new Map<string, LdifRecord>();
    for (const record of doc.records) {
      const guid = guidOf(record);
      if (guid !== undefined && !byGuid.has(guid)) byGuid.set(guid, record);
    }
    return { doc, byGuid, changed: new Map() };
  },
  render: (state) =>
    renderLdif(state.doc, new Set(state.changed.keys()), (r) => state.changed.get(r) ?? serializeRecord(r)),
};

/** The GUID by which toRecipient would know the record, without building the whole recipient. */
function guidOf(record: LdifRecord): string | undefined {
  const guid = record.attributes.get("objectguid")?.values[0];
  if (guid === undefined || guid.length !== 16 || recipientKind(rawEntry(record)) === undefined)
    return undefined;
  return guidToText(guid);
}

export function rawEntry(record: LdifRecord): RawEntry {
  return { dn: record.dn, attributes: new Map([...record.attributes].map(([k, a]) => [k, a.values])) };
}

/** normalizeDn of the DN and of its parent, from one parse. */
function normalizedWithParent(dn: string): { self: string; parent: string | undefined } | undefined {
  const p = parseDn(dn);
  if (!p.ok) return undefined;
  const parts = p.rdns.map((r) => `${r.type.toUpperCase()}=${escapeDnValue(r.value.toLowerCase())}`);
  return { self: parts.join(","), parent: parts.length > 1 ? parts.slice(1).join(",") : undefined };
}

export class LdifDirectory implements Directory {
  readonly description: string;
  readonly #file: BatchedFile<LdifState>;
  readonly #sourceAnchor: SourceAnchorAttribute;

  private constructor(file: BatchedFile<LdifState>, sourceAnchor: SourceAnchorAttribute) {
    this.#file = file;
    this.#sourceAnchor = sourceAnchor;
    this.description = file.path;
  }

  /** `options` tune when writes are saved (tests); the defaults suit every real use. */
  static async open(
    path: string,
    sourceAnchor: SourceAnchorAttribute,
    options: BatchOptions = {},
  ): Promise<LdifDirectory> {
    return new LdifDirectory(await BatchedFile.open(path, LDIF_CODEC, options), sourceAnchor);
  }

  async *readRecipients(scope: DirectoryScope, tally?: ReadTally): AsyncIterable<DirectoryRecipient> {
    assertScopeNotEmpty(scope);
    const entries = this.#file.doc.doc.records.map(rawEntry);
    const membership = new Membership(entries);
    const groupMembers = scope.groups.map((g) => membership.membersOf(g.dn, g.nested));
    const ous = scope.ous.map((ou) => ({ dn: normalizeDn(ou.dn), oneLevel: ou.scope === "one-level" }));
    for (const entry of entries) {
      if (tally) tally.read++;
      const dn = normalizedWithParent(entry.dn);
      const inOu =
        dn !== undefined &&
        ous.some((ou) =>
          ou.oneLevel ? dn.parent === ou.dn : ou.dn !== undefined && dn.self.endsWith(`,${ou.dn}`),
        );
      if (dn === undefined || (!inOu && !groupMembers.some((members) => members.has(dn.self)))) {
        if (tally) tally.outOfScope++;
        continue;
      }
      const recipient = toRecipient(entry, this.#sourceAnchor);
      if (recipient === undefined) {
        if (tally) tally.objectClass++;
        continue;
      }
      if (tallyRecipient(recipient, scope, tally)) yield recipient;
    }
  }

  /** From memory, this process's unsaved writes included; writeValues re-checks against the file. */
  async changeCursor(): Promise<DirectoryCursor | undefined> {
    return undefined;
  }

  async readChanges(_scope: DirectoryScope, _since: DirectoryCursor): Promise<DirectoryChanges> {
    return { kind: "full", reason: "an LDIF file has no change tracking" };
  }

  async readObject(ref: DirectoryObjectRef): Promise<DirectoryRecipient | undefined> {
    return this.#find(this.#file.doc, ref)?.recipient;
  }

  fingerprint(recipient: DirectoryRecipient): ObjectFingerprint {
    // No version: the file's uSNChanged is the one AD had at export time and writes here do not
    // advance it; the values hash alone tells whether the object changed.
    return fingerprintOf(recipient.values);
  }

  writeValues(
    ref: DirectoryObjectRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult> {
    return this.#file.exclusive((state) => this.#write(state, ref, edits, expected));
  }

  /**
   * Appends a contact record, with a random objectGUID standing in for the one AD would assign
   * (so the next plan finds it again), saved in the same batches as value writes.
   */
  createContact(contact: NewDirectoryContact): Promise<WriteResult> {
    const guid = new Uint8Array(randomBytes(16));
    return this.#file.exclusive((state) => {
      const refused = contactConflict(state, contact);
      if (refused !== undefined) return { ok: false, reason: "stale", message: refused };
      addContactRecord(state, contact, guid);
      this.#file.written({
        label: `CN=${escapeDnValue(contact.name)},${contact.parentDn}`,
        replay: (fresh) => {
          const conflict = contactConflict(fresh, contact);
          if (conflict !== undefined) return conflict;
          addContactRecord(fresh, contact, guid);
          return undefined;
        },
      });
      return WRITE_OK;
    });
  }

  /** Saves the writes still in memory; a failure is a SmimesyncError (FILE_UNWRITABLE, PLAN_STALE). */
  close(): Promise<void> {
    return this.#file.close();
  }

  /** Runs alone, on the file's current content (see BatchedFile.exclusive). */
  #write(
    state: LdifState,
    ref: DirectoryObjectRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): WriteResult {
    const found = this.#find(state, ref);
    if (found === undefined) {
      return {
        ok: false,
        reason: "not-found",
        message: `${ref.dn} (objectGUID ${ref.objectGuid}) is not in ${this.#file.path}`,
      };
    }
    const { record, recipient } = found;
    const refused = guardWrite(recipient, this.fingerprint(recipient), edits, expected);
    if (refused !== undefined) return refused;
    if (edits.every((e) => e.add.length === 0 && e.remove.length === 0)) return WRITE_OK;
    // All edits or none, like one LDAP modify.
    const results = nextValues(record, edits);
    for (const { next } of results)
      if (!next.ok) return { ok: false, reason: "stale", message: `${record.dn}: ${next.message}` };
    setValues(record, results);
    state.changed.set(record, recordLines(state, record));
    this.#file.written({
      label: record.dn,
      replay: (fresh) => {
        // Only onto the object as this write found it: anything else would undo the other edit.
        const again = this.#find(fresh, ref);
        if (again === undefined) return "no longer in the file";
        if (!sameFingerprint(this.fingerprint(again.recipient), expected))
          return "its certificates were changed";
        const replayed = nextValues(again.record, edits);
        if (replayed.some(({ next }) => !next.ok)) return "its certificates were changed";
        setValues(again.record, replayed);
        fresh.changed.set(again.record, recordLines(fresh, again.record));
        return undefined;
      },
    });
    return WRITE_OK;
  }

  #find(
    state: LdifState,
    ref: DirectoryObjectRef,
  ): { record: LdifRecord; recipient: DirectoryRecipient } | undefined {
    const record = state.byGuid.get(ref.objectGuid.toLowerCase());
    const recipient = record && toRecipient(rawEntry(record), this.#sourceAnchor);
    return record && recipient ? { record, recipient } : undefined;
  }
}

/**
 * A changed record's lines. A record this process added lies past the file's last line: a blank
 * line first separates it from the record before it.
 */
function recordLines(state: LdifState, record: LdifRecord): readonly string[] {
  const lines = serializeRecord(record);
  return record.firstLine >= state.doc.lines.length ? ["", ...lines] : lines;
}

/** Why the contact cannot be added to this content (it exists, or its DN is taken); else undefined. */
function contactConflict(state: LdifState, contact: NewDirectoryContact): string | undefined {
  const dn = `CN=${escapeDnValue(contact.name)},${contact.parentDn}`;
  const mail = contact.mail.toLowerCase();
  for (const record of state.doc.records) {
    if (sameDn(record.dn, dn)) return `${dn} exists since the plan`;
    const entry = rawEntry(record);
    if (recipientKind(entry) !== "contact" || !isUnderDn(record.dn, contact.parentDn)) continue;
    const addresses = [
      ...texts(entry, "mail").map((m) => m.toLowerCase()),
      ...texts(entry, "proxyAddresses")
        .filter((p) => /^smtp:/i.test(p))
        .map((p) => p.slice(5).toLowerCase()),
    ];
    if (addresses.includes(mail))
      return `a contact with mail ${contact.mail} exists since the plan (${record.dn})`;
  }
  return undefined;
}

function addContactRecord(state: LdifState, contact: NewDirectoryContact, guid: Uint8Array): void {
  const text = (v: string) => encoder.encode(v);
  const attributes = new Map<string, LdifAttribute>([
    [
      "objectclass",
      { name: "objectClass", values: ["top", "person", "organizationalPerson", "contact"].map(text) },
    ],
    ["cn", { name: "cn", values: [text(contact.name)] }],
    ["displayname", { name: "displayName", values: [text(contact.name)] }],
    ["mail", { name: "mail", values: [text(contact.mail)] }],
    ["proxyaddresses", { name: "proxyAddresses", values: [text(`SMTP:${contact.mail}`)] }],
    ["objectguid", { name: "objectGUID", values: [Uint8Array.from(guid)] }],
  ]);
  for (const a of CERT_ATTRIBUTES) {
    const values = contact.values[a];
    if (values.length > 0)
      attributes.set(attributeKey(a), { name: a, values: values.map((v) => Uint8Array.from(v)) });
  }
  // Past the last line: renderLdif copies the whole file, then appends it.
  const end = state.doc.lines.length;
  const record: LdifRecord = {
    dn: `CN=${escapeDnValue(contact.name)},${contact.parentDn}`,
    attributes,
    firstLine: end,
    endLine: end,
  };
  state.doc.records.push(record);
  state.byGuid.set(guidToText(guid), record);
  state.changed.set(record, recordLines(state, record));
}

const encoder = new TextEncoder();

function nextValues(
  record: LdifRecord,
  edits: readonly AttributeEdit[],
): { readonly e: AttributeEdit; readonly next: ApplyValues }[] {
  return edits.map((e) => ({
    e,
    next: applyValueChanges(record.attributes.get(attributeKey(e.attribute))?.values ?? [], e.add, e.remove),
  }));
}

function setValues(
  record: LdifRecord,
  results: readonly { readonly e: AttributeEdit; readonly next: ApplyValues }[],
): void {
  for (const { e, next } of results) {
    if (!next.ok) continue;
    const key = attributeKey(e.attribute);
    if (next.values.length === 0) record.attributes.delete(key);
    else {
      const existing = record.attributes.get(key);
      if (existing) existing.values = next.values;
      else record.attributes.set(key, { name: e.attribute, values: next.values });
    }
  }
}
