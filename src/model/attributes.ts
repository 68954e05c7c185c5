// The two multi-valued attributes smimesync manages, named as in Active Directory. Exchange Online
// calls them UserCertificate / UserSMimeCertificate; adapters translate at their edge.
export const CERT_ATTRIBUTES = ["userCertificate", "userSMIMECertificate"] as const;
export type CertAttribute = (typeof CERT_ATTRIBUTES)[number];

/** Values of both attributes of one object, raw bytes exactly as stored. */
export type AttributeValues = Readonly<Record<CertAttribute, readonly Uint8Array[]>>;

export function emptyValues(): AttributeValues {
  return { userCertificate: [], userSMIMECertificate: [] };
}

/** Hard limits of the cloud side (domain.md): a 16th value or a value over 32 KiB never syncs. */
export const MAX_VALUES_PER_ATTRIBUTE = 15;
export const MAX_VALUE_BYTES = 32_768;

/** Exact values to add to and remove from one attribute of one object. */
export interface AttributeEdit {
  readonly attribute: CertAttribute;
  readonly add: readonly Uint8Array[];
  readonly remove: readonly Uint8Array[];
}
