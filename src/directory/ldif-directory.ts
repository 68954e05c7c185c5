// The directory read from an LDIF export (offline review, demos, air-gapped sites). Same
// interface and scope semantics as the LDAP backend; a write re-reads the file, applies the
// add / delete with LDAP's rules, and replaces the file atomically (temporary file + rename), so a
// reader never sees half a file and a crash leaves the old one.
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SmimesyncError } from "../errors.js";
import type { AttributeEdit } from "../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint } from "../model/fingerprint.js";
import { WRITE_OK, type WriteResult } from "../model/write-result.js";
import { escapeDnValue, normalizeDn, parseDn } from "./dn.js";
import { type RawEntry, type SourceAnchorAttribute, toRecipient } from "./entry.js";
import { attributeKey, type LdifDocument, type LdifRecord, parseLdif, renderLdif } from "./ldif.js";
import { Membership } from "./ldif-membership.js";
import { acceptRecipient, assertScopeNotEmpty } from "./scope.js";
import type { Directory, DirectoryObjectRef, DirectoryRecipient, DirectoryScope } from "./types.js";
import { applyValueChanges, guardWrite } from "./write-guard.js";

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
  readonly #path: string;
  readonly #sourceAnchor: SourceAnchorAttribute;
  #doc: LdifDocument;
  /** Writes one at a time: each re-reads the file the previous one wrote. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, doc: LdifDocument, sourceAnchor: SourceAnchorAttribute) {
    this.#path = path;
    this.#doc = doc;
    this.#sourceAnchor = sourceAnchor;
    this.description = path;
  }

  static async open(path: string, sourceAnchor: SourceAnchorAttribute): Promise<LdifDirectory> {
    return new LdifDirectory(path, await load(path), sourceAnchor);
  }

  async *readRecipients(scope: DirectoryScope): AsyncIterable<DirectoryRecipient> {
    assertScopeNotEmpty(scope);
    const entries = this.#doc.records.map(rawEntry);
    const membership = new Membership(entries);
    const groupMembers = scope.groups.map((g) => membership.membersOf(g.dn, g.nested));
    const ous = scope.ous.map((ou) => ({ dn: normalizeDn(ou.dn), oneLevel: ou.scope === "one-level" }));
    for (const entry of entries) {
      const dn = normalizedWithParent(entry.dn);
      if (dn === undefined) continue;
      const inOu = ous.some((ou) =>
        ou.oneLevel ? dn.parent === ou.dn : ou.dn !== undefined && dn.self.endsWith(`,${ou.dn}`),
      );
      if (!inOu && !groupMembers.some((members) => members.has(dn.self))) continue;
      const recipient = toRecipient(entry, this.#sourceAnchor);
      if (recipient !== undefined && acceptRecipient(recipient, scope)) yield recipient;
    }
  }

  async readObject(ref: DirectoryObjectRef): Promise<DirectoryRecipient | undefined> {
    return this.#find(this.#doc, ref)?.recipient;
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
    const run = this.#queue.then(() => this.#write(ref, edits, expected));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.#queue;
  }

  async #write(
    ref: DirectoryObjectRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult> {
    // Re-read: the file is the directory, and someone may have edited it since it was opened.
    const doc = await load(this.#path);
    this.#doc = doc;
    const found = this.#find(doc, ref);
    if (found === undefined) {
      return {
        ok: false,
        reason: "not-found",
        message: `${ref.dn} (objectGUID ${ref.objectGuid}) is not in ${this.#path}`,
      };
    }
    const { record, recipient } = found;
    const refused = guardWrite(recipient, this.fingerprint(recipient), edits, expected);
    if (refused !== undefined) return refused;
    if (edits.every((e) => e.add.length === 0 && e.remove.length === 0)) return WRITE_OK;
    // All edits or none, like one LDAP modify.
    const results = edits.map((e) => ({
      e,
      next: applyValueChanges(
        record.attributes.get(attributeKey(e.attribute))?.values ?? [],
        e.add,
        e.remove,
      ),
    }));
    for (const { next } of results)
      if (!next.ok) return { ok: false, reason: "stale", message: `${record.dn}: ${next.message}` };
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
    await writeAtomically(this.#path, renderLdif(doc, new Set([record])));
    this.#doc = await load(this.#path);
    return WRITE_OK;
  }

  #find(
    doc: LdifDocument,
    ref: DirectoryObjectRef,
  ): { record: LdifRecord; recipient: DirectoryRecipient } | undefined {
    for (const record of doc.records) {
      const recipient = toRecipient(rawEntry(record), this.#sourceAnchor);
      if (recipient !== undefined && recipient.objectGuid === ref.objectGuid.toLowerCase())
        return { record, recipient };
    }
    return undefined;
  }
}

async function load(path: string): Promise<LdifDocument> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new SmimesyncError("FILE_UNREADABLE", `cannot read the LDIF directory ${path}`, { cause: e });
  }
  return parseLdif(text, path);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const mode = (await stat(path)).mode & 0o777;
  const handle = await open(tmp, "wx", mode);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  await rename(tmp, path);
}
