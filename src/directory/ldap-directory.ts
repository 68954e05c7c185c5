// Active Directory over LDAP (ldapts). Reads stream page by page (1,000 entries, AD's
// MaxPageSize) with binary attributes as bytes; writes are one modify per object with add /
// delete of exact values, after re-reading the object and comparing its fingerprint.
import { Attribute, Change, type Client, ResultCodeError } from "ldapts";
import { type AttributeEdit, CERT_ATTRIBUTES, type CertAttribute } from "../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint } from "../model/fingerprint.js";
import { WRITE_OK, type WriteResult } from "../model/write-result.js";
import { escapeDnValue } from "./dn.js";
import { type RawEntry, RECIPIENT_ATTRIBUTES, toRecipient } from "./entry.js";
import { and, eq, filterToString, type LdapFilter, or, toLdapts } from "./filter.js";
import { guidFromText } from "./guid.js";
import { connectLdap, describeEndpoint, type LdapOptions } from "./ldap-connection.js";
import { bufferAttributeNames, fromLdapts } from "./ldap-entry.js";
import { toLdapError } from "./ldap-errors.js";
import { RECIPIENT_FILTER, scopeSearches, tallyRecipient } from "./scope.js";
import type {
  Directory,
  DirectoryObjectRef,
  DirectoryRecipient,
  DirectoryScope,
  NewDirectoryContact,
  ReadTally,
} from "./types.js";
import { guardWrite } from "./write-guard.js";

export const PAGE_SIZE = 1000;

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

  async *readRecipients(scope: DirectoryScope, tally?: ReadTally): AsyncIterable<DirectoryRecipient> {
    const seen = new Set<string>();
    for (const search of scopeSearches(scope, this.#options.baseDn)) {
      for await (const entry of this.#search(
        search.base,
        search.scope,
        search.filter,
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

  async *#search(
    base: string,
    scope: "sub" | "one",
    filter: LdapFilter,
    operation: string,
  ): AsyncIterable<RawEntry> {
    this.stats.searches++;
    const attributes = [...RECIPIENT_ATTRIBUTES];
    const pages = this.#client.searchPaginated(base, {
      scope,
      filter: toLdapts(filter),
      attributes,
      explicitBufferAttributes: bufferAttributeNames(attributes),
      paged: { pageSize: PAGE_SIZE },
    });
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
