// The Office 365 side as reconcile sees it: Entra ID users (Microsoft Graph) and Exchange Online
// recipients (the admin endpoint). Implemented by the cloud adapter and the JSON snapshot backend.
import type { AttributeEdit, AttributeValues } from "../model/attributes.js";
import type { ObjectFingerprint } from "../model/fingerprint.js";
import type { TrustCollectionEdit } from "../model/trust-collection.js";
import type { WriteResult } from "../model/write-result.js";

export interface CloudUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly mail: string | null;
  readonly proxyAddresses: readonly string[];
  readonly accountEnabled: boolean;
  readonly onPremisesImmutableId: string | null;
  /** true: synchronised from AD; false: was synchronised; null: cloud-only. */
  readonly onPremisesSyncEnabled: boolean | null;
  readonly onPremisesDistinguishedName: string | null;
  readonly onPremisesLastSyncDateTime: string | null;
  /** Entra Connect's conflicts (Graph onPremisesProvisioningError: a duplicate UPN or proxy address). */
  readonly onPremisesProvisioningErrors: readonly {
    readonly category?: string;
    readonly occurredDateTime?: string;
    readonly propertyCausingError?: string;
    readonly value?: string;
  }[];
  /**
   * Errors a downstream service (Exchange Online: `serviceInstance` "exchange/...") published for
   * the user (Graph serviceProvisioningXmlError); `errorDetail` is the service's XML.
   */
  readonly serviceProvisioningErrors: readonly ServiceProvisioningError[];
}

export interface ServiceProvisioningError {
  readonly createdDateTime?: string;
  readonly isResolved: boolean;
  readonly serviceInstance?: string;
  readonly errorDetail?: string;
}

/** One entry of a Graph /users/delta round. */
export type UserChange =
  | { readonly kind: "upsert"; readonly user: CloudUser }
  | { readonly kind: "removed"; readonly id: string; readonly reason: "changed" | "deleted" };

export interface UserDelta {
  readonly changes: readonly UserChange[];
  /** Give it back to readUserChanges next time; the caller keeps it. */
  readonly deltaLink: string;
  /**
   * true when `changes` is the full set of users (a first round, or a backend without change
   * tracking, or a restart after Graph refused an expired delta token): users the caller knows
   * but did not receive are gone.
   */
  readonly complete: boolean;
  /** Set when the given deltaLink was refused (expired, unusable) and a first round was read instead. */
  readonly restartedBecause?: string;
}

export type RecipientKind = "Mailbox" | "MailUser" | "MailContact";

export interface ExchangeRecipient {
  readonly kind: RecipientKind;
  /** Exchange's Identity (stable id used for Set-* cmdlets). */
  readonly identity: string;
  /** The Entra object id; absent for some contacts. */
  readonly externalDirectoryObjectId: string | undefined;
  readonly primarySmtpAddress: string;
  /** As stored, with `SMTP:` / `smtp:` prefixes. */
  readonly emailAddresses: readonly string[];
  readonly isDirSynced: boolean;
  readonly values: AttributeValues;
}

export interface ExchangeRecipientRef {
  readonly kind: RecipientKind;
  readonly identity: string;
}

/** Where an Exchange recipient read stands. */
export interface ExchangeCursor {
  /** Server time (from the Date header of the read's first answer) minus a safety margin, ISO 8601 UTC. */
  readonly since: string;
}

/**
 * What changed among Exchange recipients since a cursor. The caller merges it as
 * `next = (previous restricted to present, minus upserted keys) ∪ upserts`, which equals a full
 * readRecipients() taken now (keyed by kind/identity). `full`: no change set could be made (no
 * tracking, a refused filter, too many unknown recipients): read everything again.
 */
export type RecipientChanges =
  | {
      readonly kind: "changes";
      readonly cursor: ExchangeCursor;
      /** Every recipient that exists now, as (kind, identity): the caller drops what it knows and is not here. */
      readonly present: readonly ExchangeRecipientRef[];
      /** Recipients whose WhenChanged is after the cursor, plus any present one the caller could not know: full records as readRecipients returns them. */
      readonly upserts: readonly ExchangeRecipient[];
    }
  | { readonly kind: "full"; readonly reason: string };

export interface NewMailContact {
  readonly name: string;
  readonly externalEmailAddress: string;
  readonly values: AttributeValues;
}

/** The part of the tenant's S/MIME configuration (Get-SmimeConfig) smimesync manages. */
export interface SmimeConfig {
  /** SMIMECertificateIssuingCA: the bytes of the SST (serialized certificate store), null when unset. */
  readonly issuingCA: Uint8Array | null;
}

export interface Tenant {
  readonly description: string;
  /** Every Entra user (Graph /users with the on-premises sync properties). */
  readUsers(): AsyncIterable<CloudUser>;
  /**
   * Changes since `deltaLink` (Graph /users/delta); without one, a first full round. Follows
   * every page before returning.
   */
  readUserChanges(deltaLink: string | undefined): Promise<UserDelta>;
  /** Every mailbox, mail user and mail contact with its certificate attributes. */
  readRecipients(): AsyncIterable<ExchangeRecipient>;
  readRecipient(ref: ExchangeRecipientRef): Promise<ExchangeRecipient | undefined>;
  /** The cursor to keep with a full readRecipients; taken before it. undefined: no change tracking (snapshot files). */
  recipientCursor(): Promise<ExchangeCursor | undefined>;
  /**
   * Recipients changed since `since` (`-Filter "WhenChangedUTC -gt '...'"`) and the identities of
   * all present ones ($select of the id only). `known` = the (kind, identity) the caller holds, as
   * `${kind}/${identity}`, so a present recipient it does not know is read whole too.
   */
  readRecipientChanges(since: ExchangeCursor, known: ReadonlySet<string>): Promise<RecipientChanges>;
  fingerprint(recipient: ExchangeRecipient): ObjectFingerprint;
  /**
   * Adds and removes exact values of a cloud-authoritative recipient's attributes in one Set-*
   * call. Re-reads it first and returns `stale` without writing when its values differ from
   * `expected`; a directory-synced recipient comes back as `refused` with Exchange's write-scope
   * message.
   */
  writeValues(
    ref: ExchangeRecipientRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult>;
  /** Get-SmimeConfig. Called only when the config manages or reports the trust collection. */
  readSmimeConfig(): Promise<SmimeConfig>;
  /**
   * Edits the trust collection and writes it whole (Set-SmimeConfig -SMIMECertificateIssuingCA
   * with the new SST). Re-reads it first and returns `stale` without writing when its
   * certificates differ from `expected` (trustCollectionFingerprint); entries kept stay byte-exact.
   */
  writeSmimeIssuingCA(edit: TrustCollectionEdit, expected: ObjectFingerprint): Promise<WriteResult>;
  /** New-MailContact followed by setting its certificates; returns the new recipient. */
  createContact(contact: NewMailContact): Promise<ExchangeRecipient>;
  close(): Promise<void>;
}
