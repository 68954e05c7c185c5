// Active Directory over LDAP (ldapts). Reads stream page by page (1,000 entries, AD's
// MaxPageSize) with binary attributes as bytes; writes are one modify per object with add /
// delete of exact values, after re-reading the object and comparing its fingerprint. Change reads
// (readChanges) follow the DC's uSNChanged from a cursor of its invocationId and highestCommittedUSN.
import { Attribute, Change, type Client, Control, ResultCodeError } from "ldapts";
import { type AttributeEdit, CERT_ATTRIBUTES, type CertAttribute } from "../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint } from "../model/fingerprint.js";
import { WRITE_OK, type WriteResult } from "../model/write-result.js";
import { escapeDnValue, isUnderDn } from "./dn.js";
import { objectClasses, type RawEntry, RECIPIENT_ATTRIBUTES, text, toRecipient, values } from "./entry.js";
import { and, eq, filterToString, ge, type LdapFilter, or, present, toLdapts } from "./filter.js";
import { guidFromText, guidToText } from "./guid.js";
import { connectLdap, describeEndpoint, type LdapOptions } from "./ldap-connection.js";
import { bufferAttributeNames, fromLdapts } from "./ldap-entry.js";
import { toLdapError } from "./ldap-errors.js";
import { assertScopeNotEmpty, RECIPIENT_FILTER, scopeSearches, tallyRecipient } from "./scope.js";
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
import { guardWrite } from "./write-guard.js";

export const PAGE_SIZE = 1000;

/** LDAP_SERVER_SHOW_DELETED_OID: tombstones (deleted objects) in search results. */
const SHOW_DELETED_OID = "1.2.840.113556.1.4.417";

const ROOT_DSE_ATTRIBUTES = ["highestCommittedUSN", "dsServiceName", "defaultNamingContext"] as const;

/** What the change search needs of an object: who it is, what it is, whether it was deleted. */
const CHANGE_ATTRIBUTES = ["objectGUID", "objectClass", "isDeleted"] as const;

/**
 * Classes of objects that hold users and contacts. Renaming or moving one moves its children
 * without changing their uSNChanged, so any change to one makes a change read unsafe.
 */
const CONTAINER_CLASSES: ReadonlySet<string> = new Set([
  "organizationalunit",
  "container",
  "domain",
  "domaindns",
  "builtindomain",
  "lostandfound",
]);

/** Counters for tests and `--debug` output: proves paging happened. */
export interface LdapStats {
  searches: number;
  pages: number;
  entries: number;
}

/** Test seam: runs between the re-read and the modify, to stage a concurrent writer. */
export interface LdapHooks {
  readonly beforeModify?: (dn: string) => Promise<void>;
}

export class LdapDirectory implements Directory {
  readonly description: string;
  readonly stats: LdapStats = { searches: 0, pages: 0, entries: 0 };
  readonly #client: Client;
  readonly #options: LdapOptions;
  readonly #hooks: LdapHooks;

  private constructor(client: Client, options: LdapOptions, hooks: LdapHooks) {
    this.#client = client;
    this.#options = options;
    this.#hooks = hooks;
    this.description = describeEndpoint(options).server;
  }

  /** Connects and binds; throws SmimesyncError when that fails. */
  static async open(options: LdapOptions, hooks: LdapHooks = {}): Promise<LdapDirectory> {
    return new LdapDirectory(await connectLdap(options), options, hooks);
  }

  readRecipients(scope: DirectoryScope, tally?: ReadTally): AsyncIterable<DirectoryRecipient> {
    return this.#readScope(scope, undefined, tally);
  }

  async changeCursor(): Promise<DirectoryCursor | undefined> {
    const dc = await this.#readDc();
    return dc.ok ? dc.cursor : undefined;
  }

  /**
   * The changed objects in scope are read by readRecipients' own searches with a uSNChanged term
   * added; what else changed (moved out, disabled, deleted, ...) comes from one search of the whole
   * naming context with tombstones shown. Both are bounded by the number of objects changed since
   * the cursor, not by the directory: no cap, since a huge change set costs what a full read does.
   */
  async readChanges(scope: DirectoryScope, since: DirectoryCursor): Promise<DirectoryChanges> {
    assertScopeNotEmpty(scope);
    const dc = await this.#readDc();
    if (!dc.ok) return full(dc.reason);
    const { cursor } = dc;
    if (cursor.invocationId !== since.invocationId.toLowerCase()) {
      return full(
        `the domain controller changed or was restored: ${cursor.server} has invocationId ${cursor.invocationId}, ` +
          `the last run read ${since.server} with ${since.invocationId}`,
      );
    }
    if (!/^\d+$/.test(since.usn) || BigInt(since.usn) > BigInt(cursor.usn)) {
      return full(`the last run's USN ${since.usn} is not one ${cursor.server} has reached (${cursor.usn})`);
    }
    // Tombstones live under the naming context's root, and a user moved out of scope can land
    // anywhere in it: the change search must start there, and every part of the scope lie within.
    const root = dc.namingContext ?? this.#options.baseDn;
    const outside = [
      this.#options.baseDn,
      ...scope.ous.map((o) => o.dn),
      ...scope.groups.map((g) => g.dn),
    ].find((dn) => !isUnderDn(dn, root));
    if (outside !== undefined) {
      return full(`${outside} is outside ${root}, the naming context whose changes are searched`);
    }
    const changedSince = ge("uSNChanged", (BigInt(since.usn) + 1n).toString());
    const nested = scope.groups.some((g) => g.nested);

    // First every changed object, then the changed ones in scope: an object changing in between
    // is then at worst an upsert too many, never dropped while in scope (and the next run sees it).
    const changed = new Set<string>();
    for await (const entry of this.#search(root, "sub", changedSince, `looking for changes in ${root}`, {
      attributes: CHANGE_ATTRIBUTES,
      controls: [new Control(SHOW_DELETED_OID, { critical: false })],
    })) {
      const classes = objectClasses(entry);
      if ([...classes].some((c) => CONTAINER_CLASSES.has(c))) {
        return full(
          `${entry.dn} changed since the last run: a renamed or moved OU or container moves the objects under it without changing them`,
        );
      }
      if (nested && classes.has("group")) {
        return full(
          `the group ${entry.dn} changed since the last run and the scope has nested groups: membership changes do not change the members`,
        );
      }
      const guid = values(entry, "objectGUID")[0];
      if (guid?.length === 16) changed.add(guidToText(guid));
    }
    for (const group of scope.groups) {
      if (group.nested) continue; // any changed group already fell back above
      const entry = await this.#readBase(group.dn, ["objectGUID"], `reading the scope group ${group.dn}`);
      const guid = entry === undefined ? undefined : values(entry, "objectGUID")[0];
      if (guid === undefined || guid.length !== 16) {
        return full(
          `the scope group ${group.dn} is not there (renamed, moved or deleted since the last run?)`,
        );
      }
      if (changed.has(guidToText(guid))) {
        return full(
          `the scope group ${group.dn} changed since the last run: membership changes do not change the members`,
        );
      }
    }

    const upserts: DirectoryRecipient[] = [];
    for await (const recipient of this.#readScope(scope, changedSince, undefined)) upserts.push(recipient);
    const upserted = new Set(upserts.map((r) => r.objectGuid));
    return { kind: "changes", cursor, upserts, gone: [...changed].filter((g) => !upserted.has(g)) };
  }

  async readObject(ref: DirectoryObjectRef): Promise<DirectoryRecipient | undefined> {
    const filter = and(RECIPIENT_FILTER, eq("objectGUID", guidFromText(ref.objectGuid)));
    for await (const entry of this.#search(this.#options.baseDn, "sub", filter, `re-reading ${ref.dn}`)) {
      const recipient = toRecipient(entry, this.#options.sourceAnchor);
      if (recipient !== undefined) return recipient;
    }
    return undefined;
  }

  fingerprint(recipient: DirectoryRecipient): ObjectFingerprint {
    return fingerprintOf(recipient.values, recipient.usnChanged);
  }

  async writeValues(
    ref: DirectoryObjectRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult> {
    const current = await this.readObject(ref);
    if (current === undefined) {
      return {
        ok: false,
        reason: "not-found",
        message: `${ref.dn} (objectGUID ${ref.objectGuid}) no longer exists`,
      };
    }
    const refused = guardWrite(current, this.fingerprint(current), edits, expected);
    if (refused !== undefined) return refused;
    // One modify for all of the object's edits: LDAP applies it in order and atomically. Deletes
    // come first, so an attribute never holds both the old and the new value.
    const changes: Change[] = [];
    for (const e of edits)
      if (e.remove.length > 0) changes.push(valuesChange("delete", e.attribute, e.remove));
    for (const e of edits) if (e.add.length > 0) changes.push(valuesChange("add", e.attribute, e.add));
    if (changes.length === 0) return WRITE_OK;
    await this.#hooks.beforeModify?.(current.dn);
    try {
      await this.#client.modify(current.dn, changes);
      return WRITE_OK;
    } catch (e) {
      return this.#writeFailure(e, current.dn, edits.map((x) => x.attribute).join(" and "));
    }
  }

  async createContact(contact: NewDirectoryContact): Promise<WriteResult> {
    const dn = `CN=${escapeDnValue(contact.name)},${contact.parentDn}`;
    // Plans read contacts in the whole subtree of contactsOU: one found there by mail was created
    // (or renamed) since the plan, which a new plan will join instead of creating a second.
    const filter = and(
      eq("objectClass", "contact"),
      or(eq("mail", contact.mail), eq("proxyAddresses", `smtp:${contact.mail}`)),
    );
    for await (const entry of this.#search(contact.parentDn, "sub", filter, `looking for ${contact.mail}`)) {
      return {
        ok: false,
        reason: "stale",
        message: `a contact with mail ${contact.mail} exists since the plan (${entry.dn})`,
      };
    }
    const attributes = [
      new Attribute({ type: "objectClass", values: ["top", "person", "organizationalPerson", "contact"] }),
      new Attribute({ type: "cn", values: [contact.name] }),
      new Attribute({ type: "displayName", values: [contact.name] }),
      new Attribute({ type: "mail", values: [contact.mail] }),
      new Attribute({ type: "proxyAddresses", values: [`SMTP:${contact.mail}`] }),
    ];
    for (const a of CERT_ATTRIBUTES) {
      const values = contact.values[a];
      if (values.length > 0)
        attributes.push(new Attribute({ type: a, values: values.map((v) => Buffer.from(v)) }));
    }
    await this.#hooks.beforeModify?.(dn);
    try {
      await this.#client.add(dn, attributes);
      return WRITE_OK;
    } catch (e) {
      if (e instanceof ResultCodeError && e.code === 68)
        // entryAlreadyExists
        return { ok: false, reason: "stale", message: `${dn} exists since the plan (${e.message})` };
      if (e instanceof ResultCodeError && e.code === 50) {
        return {
          ok: false,
          reason: "refused",
          message: `the bind account may not create contacts in ${contact.parentDn}: grant it 'Create Contact objects' on that OU (${e.message})`,
        };
      }
      return this.#writeFailure(e, dn, "the new contact");
    }
  }

  async close(): Promise<void> {
    await this.#client.unbind().catch(() => undefined);
  }

  #writeFailure(e: unknown, dn: string, attribute: string): WriteResult {
    if (!(e instanceof ResultCodeError)) {
      throw toLdapError(e, { operation: `writing ${attribute} of ${dn}`, server: this.description });
    }
    switch (e.code) {
      case 16: // noSuchAttribute: a value to delete is gone
      case 20: // attributeOrValueExists: a value to add is already there
        return {
          ok: false,
          reason: "stale",
          message: `${dn}: another writer changed ${attribute} meanwhile (${e.message})`,
        };
      case 32: // noSuchObject: deleted or moved between re-read and modify
        return { ok: false, reason: "not-found", message: `${dn} no longer exists (${e.message})` };
      case 50: // insufficientAccessRights
        return {
          ok: false,
          reason: "refused",
          message:
            `the bind account may not write ${attribute} of ${dn}: ` +
            `grant it 'Write ${attribute}' on the object's OU (${e.message})`,
        };
      case 19: // constraintViolation (e.g. a value over the schema's rangeUpper)
      case 53: // unwillingToPerform
        return {
          ok: false,
          reason: "refused",
          message: `the directory refused to write ${attribute} of ${dn}: ${e.message}`,
        };
      default:
        return {
          ok: false,
          reason: "error",
          message: `writing ${attribute} of ${dn} failed: LDAP ${e.code} ${e.message}`,
        };
    }
  }

  /** readRecipients' searches, each narrowed by `extra` when given (the uSNChanged term). */
  async *#readScope(
    scope: DirectoryScope,
    extra: LdapFilter | undefined,
    tally: ReadTally | undefined,
  ): AsyncIterable<DirectoryRecipient> {
    const seen = new Set<string>();
    for (const search of scopeSearches(scope, this.#options.baseDn)) {
      for await (const entry of this.#search(
        search.base,
        search.scope,
        extra === undefined ? search.filter : and(search.filter, extra),
        `reading ${search.label}`,
      )) {
        const recipient = toRecipient(entry, this.#options.sourceAnchor);
        if (recipient === undefined) {
          if (tally && !seen.has(entry.dn)) {
            seen.add(entry.dn);
            tally.read++;
            tally.objectClass++;
          }
          continue;
        }
        if (seen.has(recipient.objectGuid)) continue;
        seen.add(recipient.objectGuid);
        if (tally) tally.read++;
        if (tallyRecipient(recipient, scope, tally)) yield recipient;
      }
    }
  }

  /** The DC's change-tracking state: what a cursor holds, and the naming context to search. */
  async #readDc(): Promise<DcState> {
    const server = this.description;
    const rootDse = await this.#readBase("", ROOT_DSE_ATTRIBUTES, "reading the rootDSE");
    const usn = rootDse === undefined ? undefined : text(rootDse, "highestCommittedUSN");
    const service = rootDse === undefined ? undefined : text(rootDse, "dsServiceName");
    if (usn === undefined || !/^\d+$/.test(usn) || service === undefined) {
      return {
        ok: false,
        reason: `${server} has no highestCommittedUSN and dsServiceName in its rootDSE: no change tracking (not Active Directory?)`,
      };
    }
    const ntds = await this.#readBase(service, ["invocationId"], `reading the invocationId of ${service}`);
    const invocationId = invocationIdText(ntds === undefined ? undefined : values(ntds, "invocationId")[0]);
    if (invocationId === undefined) {
      return { ok: false, reason: `${server} shows no invocationId on ${service}: no change tracking` };
    }
    return {
      ok: true,
      cursor: { invocationId, usn, server },
      namingContext: rootDse === undefined ? undefined : text(rootDse, "defaultNamingContext"),
    };
  }

  /** One entry by DN (a base search, unpaged: some servers refuse paging on the rootDSE); undefined when it does not exist. */
  async #readBase(
    dn: string,
    attributes: readonly string[],
    operation: string,
  ): Promise<RawEntry | undefined> {
    this.stats.searches++;
    try {
      const { searchEntries } = await this.#client.search(dn, {
        scope: "base",
        filter: toLdapts(present("objectClass")),
        attributes: [...attributes],
        explicitBufferAttributes: bufferAttributeNames(attributes),
      });
      const entry = searchEntries[0];
      return entry === undefined ? undefined : fromLdapts(entry);
    } catch (e) {
      if (e instanceof ResultCodeError && e.code === 32) return undefined; // noSuchObject
      throw toLdapError(e, { operation, server: this.description });
    }
  }

  async *#search(
    base: string,
    scope: "sub" | "one",
    filter: LdapFilter,
    operation: string,
    options: { readonly attributes?: readonly string[]; readonly controls?: Control[] } = {},
  ): AsyncIterable<RawEntry> {
    this.stats.searches++;
    const attributes = [...(options.attributes ?? RECIPIENT_ATTRIBUTES)];
    const pages = this.#client.searchPaginated(
      base,
      {
        scope,
        filter: toLdapts(filter),
        attributes,
        explicitBufferAttributes: bufferAttributeNames(attributes),
        paged: { pageSize: PAGE_SIZE },
      },
      options.controls,
    );
    const context = { operation: `${operation} with ${filterToString(filter)}`, server: this.description };
    for (;;) {
      let page: IteratorResult<{ searchEntries: Parameters<typeof fromLdapts>[0][] }>;
      try {
        page = await pages.next();
      } catch (e) {
        throw toLdapError(e, context);
      }
      if (page.done) return;
      this.stats.pages++;
      for (const entry of page.value.searchEntries) {
        this.stats.entries++;
        yield fromLdapts(entry);
      }
    }
  }
}

type DcState =
  | { readonly ok: true; readonly cursor: DirectoryCursor; readonly namingContext: string | undefined }
  | { readonly ok: false; readonly reason: string };

const full = (reason: string): DirectoryChanges => ({ kind: "full", reason });

/** invocationId is a GUID in 16 bytes (AD, Samba); a server faking AD may store its text. */
function invocationIdText(value: Uint8Array | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length === 16) return guidToText(value);
  const asText = new TextDecoder().decode(value).trim().toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(asText) ? asText : undefined;
}

function valuesChange(
  operation: "add" | "delete",
  attribute: CertAttribute,
  values: readonly Uint8Array[],
): Change {
  return new Change({
    operation,
    modification: new Attribute({ type: attribute, values: values.map((v) => Buffer.from(v)) }),
  });
}
