// The observed state reconcile works on: everything the backends returned, already read.
import type { ScopePattern } from "../directory/pattern.js";
import type { DirectoryRecipient } from "../directory/types.js";
import type { ObjectFingerprint } from "../model/fingerprint.js";
import type { CloudUser, ExchangeRecipient } from "../tenant/types.js";

export interface ObservedState {
  /** AD objects in scope; null when no directory is configured (cloud-only). */
  readonly directory: readonly DirectoryRecipient[] | null;
  readonly cloudUsers: readonly CloudUser[];
  readonly exchange: readonly ExchangeRecipient[];
  /**
   * AD contacts under `repository.contactsOU` (subtree), read only when a partner has
   * `authority: ad`; absent otherwise, null when no directory is configured.
   */
  readonly adContacts?: readonly DirectoryRecipient[] | null;
}

/** How each backend fingerprints its objects (AD: uSNChanged + values; Exchange: values). */
export interface Fingerprinter {
  directory(r: DirectoryRecipient): ObjectFingerprint;
  exchange(r: ExchangeRecipient): ObjectFingerprint;
}

/** The parts of the config reconcile needs, with files already read. */
export interface ReconcileSettings {
  readonly cloudOnly: boolean;
  readonly include: readonly ScopePattern[];
  readonly exclude: readonly ScopePattern[];
  readonly includeDisabled: boolean;
  /** Certificate values declared in the repository, by lower-cased mail. */
  readonly declared: ReadonlyMap<string, readonly Uint8Array[]>;
  readonly contacts: readonly PartnerContact[];
}

/** A partner declared under `repository.contacts`, by where its contact lives. */
export type PartnerContact = {
  readonly mail: string;
  readonly name: string;
  readonly values: readonly Uint8Array[];
} & (
  | { readonly authority: "exchange" }
  /** `parentDn` is `repository.contactsOU`: where the contact is looked for, and created. */
  | { readonly authority: "ad"; readonly parentDn: string }
);
