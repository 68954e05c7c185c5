// The on-premises directory as reconcile sees it. Implemented by the LDAP adapter (ldap-directory.ts)
// and the LDIF file backend (ldif-directory.ts); reconcile and apply know only this file.
import type { AttributeEdit, AttributeValues } from "../model/attributes.js";
import type { ObjectFingerprint } from "../model/fingerprint.js";
import type { WriteResult } from "../model/write-result.js";

export type ScopePatternAttribute = "userPrincipalName" | "sAMAccountName" | "mail";

export interface DirectoryScope {
  readonly ous: readonly { readonly dn: string; readonly scope: "subtree" | "one-level" }[];
  readonly groups: readonly { readonly dn: string; readonly nested: boolean }[];
  readonly include: readonly { readonly attribute: ScopePatternAttribute; readonly match: string }[];
  readonly exclude: readonly { readonly attribute: ScopePatternAttribute; readonly match: string }[];
  readonly includeDisabled: boolean;
}

/** One user (or contact) object with what smimesync needs of it. */
export interface DirectoryRecipient {
  readonly kind: "user" | "contact";
  readonly dn: string;
  /** objectGUID in its canonical text form (`xxxxxxxx-xxxx-...`, Windows byte order). */
  readonly objectGuid: string;
  /** base64 of the configured source anchor attribute: equals the cloud's onPremisesImmutableId. */
  readonly sourceAnchor: string | undefined;
  readonly sAMAccountName: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly mail: string | undefined;
  /** As stored, with their `SMTP:` / `smtp:` prefixes. */
  readonly proxyAddresses: readonly string[];
  readonly disabled: boolean;
  /** uSNChanged, as a decimal string. */
  readonly usnChanged: string | undefined;
  readonly values: AttributeValues;
}

/**
 * What one read looked at and what each of the scope's filters removed, so an empty result can
 * say why (the empty-directory guard). The backend adds to it while reading. The LDAP backend's
 * searches are already narrowed on the server (OU or group, object class, include patterns): what
 * the server did not return is not counted; the LDIF backend sees, and counts, every record.
 */
export interface ReadTally {
  /** Objects the backend looked at: entries the server returned (each once), or LDIF records. */
  read: number;
  /** Under no configured OU and in no configured group. */
  outOfScope: number;
  /** Not a user or contact (computers, OUs, groups), or without an objectGUID. */
  objectClass: number;
  /** Disabled accounts, with scope.includeDisabled off. */
  disabled: number;
  /** Matching no scope.include pattern. */
  notIncluded: number;
  /** Matching a scope.exclude pattern. */
  excluded: number;
}

export function emptyTally(): ReadTally {
  return { read: 0, outOfScope: 0, objectClass: 0, disabled: 0, notIncluded: 0, excluded: 0 };
}

/** Where to find an object again for a write: its GUID (survives renames and moves) and last DN. */
export interface DirectoryObjectRef {
  readonly objectGuid: string;
  readonly dn: string;
}

/** A partner contact to add (authority: ad): `CN=<name>,<parentDn>` with mail and certificates. */
export interface NewDirectoryContact {
  readonly parentDn: string;
  /** The RDN value and displayName, unescaped: the backend escapes it (RFC 4514). */
  readonly name: string;
  readonly mail: string;
  readonly values: AttributeValues;
}

/** Where a read of an AD domain controller stands: the DC and its highestCommittedUSN when the read began. */
export interface DirectoryCursor {
  /**
   * The DC's invocationId (objectGUID-style text of its NTDS Settings object's invocationId):
   * another DC, or the same DC restored from a backup, has another one, and its USNs mean nothing here.
   */
  readonly invocationId: string;
  /** highestCommittedUSN read from the rootDSE BEFORE the read began, decimal string. */
  readonly usn: string;
  /** The server, for messages only. */
  readonly server: string;
}

/**
 * What changed since a cursor. The caller's merge, `(previous minus gone minus guids(upserts)) ∪
 * upserts` keyed by objectGuid, equals a full readRecipients(scope) taken now.
 */
export type DirectoryChanges =
  | {
      readonly kind: "changes";
      /** The cursor for next time (highestCommittedUSN read before this change search began). */
      readonly cursor: DirectoryCursor;
      /** Objects in scope whose uSNChanged is above the cursor, exactly as readRecipients returns them (same filters, same tally rules). */
      readonly upserts: readonly DirectoryRecipient[];
      /** objectGUIDs of objects changed, moved or deleted since the cursor that are NOT in scope now: the caller drops them. */
      readonly gone: readonly string[];
    }
  /** The changes cannot be told safely: read everything with readRecipients (and a new changeCursor). */
  | { readonly kind: "full"; readonly reason: string };

export interface Directory {
  /** Human name of the backend for messages, e.g. `ldaps://dc01:636` or `directory.ldif`. */
  readonly description: string;
  /**
   * Streams every object in scope, each once, in no particular order. Reads only; throws
   * SmimesyncError when the directory cannot be read at all. `tally`, when given, counts what
   * was read and what each filter removed.
   */
  readRecipients(scope: DirectoryScope, tally?: ReadTally): AsyncIterable<DirectoryRecipient>;
  /** The cursor to keep with a full read; taken before readRecipients. undefined: the backend has no change tracking. */
  changeCursor(): Promise<DirectoryCursor | undefined>;
  /**
   * What changed in `scope` since `since`; `full` when that cannot be said safely (another DC or
   * invocationId, a scope group changed, an OU moved, ...). Reads only; throws SmimesyncError when
   * the directory cannot be read, as readRecipients does.
   */
  readChanges(scope: DirectoryScope, since: DirectoryCursor): Promise<DirectoryChanges>;
  /** Re-reads one object (by GUID) just before a write; undefined when it no longer exists. */
  readObject(ref: DirectoryObjectRef): Promise<DirectoryRecipient | undefined>;
  /** The fingerprint of an object as read, to be bound into the plan. */
  fingerprint(recipient: DirectoryRecipient): ObjectFingerprint;
  /**
   * Adds and removes exact values of the object's attributes in a single modify, never `replace`.
   * Re-reads the object first and returns `{ok:false, reason:"stale"}` without writing when its
   * fingerprint differs from `expected`, or when the server reports a concurrent change.
   */
  writeValues(
    ref: DirectoryObjectRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult>;
  /**
   * Adds a contact with its certificates in one add. `{ok:false, reason:"stale"}` without writing
   * when a contact with that mail (or smtp proxy address) already exists under `parentDn`, or the
   * DN is taken: created since the plan, which a new plan will see.
   */
  createContact(contact: NewDirectoryContact): Promise<WriteResult>;
  close(): Promise<void>;
}
