// One directory entry as both backends hold it before interpretation: a DN and raw byte values by
// lower-cased attribute name (LDAP attribute names are case-insensitive). `toRecipient` turns it
// into what reconcile sees, the same way for LDAP and LDIF.
import { type AttributeValues, CERT_ATTRIBUTES } from "../model/attributes.js";
import { guidToText } from "./guid.js";
import type { DirectoryRecipient } from "./types.js";

export interface RawEntry {
  readonly dn: string;
  /** Lower-cased attribute name (options such as `;binary` removed) -> values as stored. */
  readonly attributes: ReadonlyMap<string, readonly Uint8Array[]>;
}

export type SourceAnchorAttribute = "objectGUID" | "mS-DS-ConsistencyGuid";

/** What the LDAP backend requests: everything toRecipient and the scope evaluation read. */
export const RECIPIENT_ATTRIBUTES = [
  "objectClass",
  "objectGUID",
  "mS-DS-ConsistencyGuid",
  "distinguishedName",
  "sAMAccountName",
  "userPrincipalName",
  "mail",
  "proxyAddresses",
  "userAccountControl",
  "uSNChanged",
  ...CERT_ATTRIBUTES,
] as const;

const UF_ACCOUNTDISABLE = 0x2;

const utf8 = new TextDecoder("utf-8");

export function values(entry: RawEntry, name: string): readonly Uint8Array[] {
  return entry.attributes.get(name.toLowerCase()) ?? [];
}

export function texts(entry: RawEntry, name: string): string[] {
  return values(entry, name).map((v) => utf8.decode(v));
}

export function text(entry: RawEntry, name: string): string | undefined {
  return texts(entry, name)[0];
}

export function objectClasses(entry: RawEntry): Set<string> {
  return new Set(texts(entry, "objectClass").map((c) => c.toLowerCase()));
}

/** Users (not computers, which are users too in AD's schema) and contacts. */
export function recipientKind(entry: RawEntry): "user" | "contact" | undefined {
  const classes = objectClasses(entry);
  if (classes.has("computer")) return undefined;
  if (classes.has("user")) return "user";
  if (classes.has("contact")) return "contact";
  return undefined;
}

/** undefined when the entry is no user or contact, or has no objectGUID (not an AD object). */
export function toRecipient(
  entry: RawEntry,
  sourceAnchor: SourceAnchorAttribute,
): DirectoryRecipient | undefined {
  const kind = recipientKind(entry);
  const guid = values(entry, "objectGUID")[0];
  if (kind === undefined || guid === undefined || guid.length !== 16) return undefined;
  const anchor = values(entry, sourceAnchor)[0];
  const uac = Number.parseInt(text(entry, "userAccountControl") ?? "0", 10);
  const certs: Record<string, readonly Uint8Array[]> = {};
  for (const a of CERT_ATTRIBUTES) certs[a] = values(entry, a).map((v) => Uint8Array.from(v));
  return {
    kind,
    dn: entry.dn,
    objectGuid: guidToText(guid),
    sourceAnchor: anchor === undefined ? undefined : Buffer.from(anchor).toString("base64"),
    sAMAccountName: text(entry, "sAMAccountName"),
    userPrincipalName: text(entry, "userPrincipalName"),
    mail: text(entry, "mail"),
    proxyAddresses: texts(entry, "proxyAddresses"),
    disabled: Number.isFinite(uac) && (uac & UF_ACCOUNTDISABLE) !== 0,
    usnChanged: text(entry, "uSNChanged"),
    values: certs as AttributeValues,
  };
}
