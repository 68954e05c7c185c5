// Exchange recipient JSON <-> ExchangeRecipient, and the cmdlet vocabulary per kind. Exchange
// calls the attributes UserCertificate / UserSMimeCertificate; the rest of smimesync uses AD's
// names, translated only here.

import { SmimesyncError } from "../../errors.js";
import type { AttributeValues, CertAttribute } from "../../model/attributes.js";
import { isJsonObject } from "../graph/user-mapping.js";
import type { ExchangeRecipient, RecipientKind } from "../types.js";
import { decodeExchangeBytes, encodeExchangeBytes } from "./byte-encoding.js";

export const EXCHANGE_ATTRIBUTE: Readonly<Record<CertAttribute, string>> = {
  userCertificate: "UserCertificate",
  userSMIMECertificate: "UserSMimeCertificate",
};

export const RECIPIENT_KINDS: readonly RecipientKind[] = ["Mailbox", "MailUser", "MailContact"];

export function getCmdlet(kind: RecipientKind): string {
  return `Get-${kind}`;
}

export function setCmdlet(kind: RecipientKind): string {
  return `Set-${kind}`;
}

/** Properties asked for with $select: everything smimesync reads, nothing else. */
export const RECIPIENT_SELECT = [
  "Guid",
  "Identity",
  "Name",
  "ExternalDirectoryObjectId",
  "PrimarySmtpAddress",
  "EmailAddresses",
  "IsDirSynced",
  "UserCertificate",
  "UserSMimeCertificate",
] as const;

/**
 * The one property asked for when only the identities of recipients are listed (change
 * tracking): the Guid that identityOf prefers, so the keys match those of full reads.
 */
export const RECIPIENT_ID_SELECT = ["Guid"] as const;

/** Guid is the stable handle for Set-*; Identity (a name) can be ambiguous or change. */
export function identityOf(raw: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof raw.Guid === "string" && raw.Guid !== "") return raw.Guid;
  return typeof raw.Identity === "string" ? raw.Identity : undefined;
}

export function toRecipient(kind: RecipientKind, raw: unknown): ExchangeRecipient {
  if (!isJsonObject(raw)) throw protocol(`${getCmdlet(kind)} returned a non-object`);
  const identity = identityOf(raw);
  if (identity === undefined)
    throw protocol(`${getCmdlet(kind)} returned an object without Guid or Identity`);
  const where = `${getCmdlet(kind)} ${identity}`;
  const external = raw.ExternalDirectoryObjectId;
  return {
    kind,
    identity,
    externalDirectoryObjectId: typeof external === "string" && external !== "" ? external : undefined,
    primarySmtpAddress: typeof raw.PrimarySmtpAddress === "string" ? raw.PrimarySmtpAddress : "",
    emailAddresses: Array.isArray(raw.EmailAddresses)
      ? raw.EmailAddresses.filter((a): a is string => typeof a === "string")
      : [],
    isDirSynced: raw.IsDirSynced === true,
    values: {
      userCertificate: bytesList(raw.UserCertificate, where),
      userSMIMECertificate: bytesList(raw.UserSMimeCertificate, where),
    },
  };
}

function bytesList(value: unknown, where: string): Uint8Array[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw protocol(`${where}: a certificate property is not a list`);
  return value.map((v) => decodeExchangeBytes(v, where));
}

/**
 * The Set-* parameter that adds and removes exact values of one attribute and leaves every other
 * value alone, as public clients edit multi-valued parameters (GreyCorbel ExoHelper tags
 * hashtables so; CIPP-API sends `@{add=...; remove=...}`): a concurrent writer's values survive,
 * as with LDAP's add/delete. An empty GenericHashTable would clear the attribute.
 */
export function valueEditParameter(
  attribute: CertAttribute,
  add: readonly Uint8Array[],
  remove: readonly Uint8Array[],
): Record<string, unknown> {
  return {
    [EXCHANGE_ATTRIBUTE[attribute]]: {
      "@odata.type": "#Exchange.GenericHashTable",
      ...(add.length > 0 ? { add: add.map(encodeExchangeBytes) } : {}),
      ...(remove.length > 0 ? { remove: remove.map(encodeExchangeBytes) } : {}),
    },
  };
}

/** The certificates of a contact just created: its lists are empty, so adding is setting. */
export function certificateParameters(values: AttributeValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const attribute of ["userCertificate", "userSMIMECertificate"] as const) {
    if (values[attribute].length > 0)
      Object.assign(out, valueEditParameter(attribute, values[attribute], []));
  }
  return out;
}

function protocol(message: string): SmimesyncError {
  return new SmimesyncError("TENANT_ERROR", `Exchange Online answered unexpectedly: ${message}`);
}
