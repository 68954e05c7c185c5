// The emulated tenant's data: Entra users (with a change log for /users/delta) and Exchange
// recipients with raw certificate bytes. Seeded from and dumped to the snapshot format.
import { randomUUID } from "node:crypto";
import type {
  SnapshotDocument,
  SnapshotRecipient,
  SnapshotUser,
} from "../../src/tenant/snapshot/snapshot-format.js";
import type { CloudUser, RecipientKind } from "../../src/tenant/types.js";

export type MutableUser = { -readonly [K in keyof CloudUser]: CloudUser[K] };

export interface EmuRecipient {
  kind: RecipientKind;
  guid: string;
  name: string;
  externalDirectoryObjectId: string | undefined;
  primarySmtpAddress: string;
  emailAddresses: string[];
  isDirSynced: boolean;
  userCertificate: Uint8Array[];
  userSMIMECertificate: Uint8Array[];
  /**
   * Exchange's WhenChanged (emulator clock, ms): set by putRecipient and touchRecipient, which
   * every write of the emulator goes through. A test editing a recipient's fields directly must
   * call touchRecipient too (or use editRecipient), as Exchange stamps every write.
   */
  whenChanged?: number;
}

type UserChangeEntry =
  | { seq: number; id: string; kind: "props"; props: string[] }
  | { seq: number; id: string; kind: "removed"; reason: "changed" | "deleted" };

export const USER_PROPS = [
  "id",
  "userPrincipalName",
  "mail",
  "proxyAddresses",
  "accountEnabled",
  "onPremisesImmutableId",
  "onPremisesSyncEnabled",
  "onPremisesDistinguishedName",
  "onPremisesLastSyncDateTime",
  "onPremisesProvisioningErrors",
  "serviceProvisioningErrors",
] as const;

export class EmulatorState {
  readonly users = new Map<string, MutableUser>();
  readonly recipients = new Map<string, EmuRecipient>();
  /** The organisation's SmimeConfig SMIMECertificateIssuingCA (an SST's bytes), null when unset. */
  smimeIssuingCA: Uint8Array | null = null;
  /** Whether a snapshot seeded an smimeConfig (dumped back only then). */
  hasSmimeConfig = false;
  private readonly changes: UserChangeEntry[] = [];
  private seqCounter = 0;
  private clockOffsetMs = 0;
  /**
   * Delta tokens issued before this generation are refused as expired (Graph's 410 or 400
   * syncStateNotFound, by `deltaExpiryStatus`): see expireDeltaTokens.
   */
  deltaGeneration = 0;
  deltaExpiryStatus: 400 | 410 = 410;

  constructor(
    readonly tenantId: string,
    readonly domain: string,
  ) {}

  static fromSnapshot(doc: SnapshotDocument, fallback: { tenantId: string; domain: string }): EmulatorState {
    const state = new EmulatorState(doc.tenantId ?? fallback.tenantId, doc.domain ?? fallback.domain);
    for (const u of doc.users) state.upsertUser(userFromSnapshot(u));
    for (const r of doc.recipients) state.putRecipient(recipientFromSnapshot(r));
    if (doc.smimeConfig !== undefined) {
      state.hasSmimeConfig = true;
      const raw = doc.smimeConfig.issuingCA;
      state.smimeIssuingCA = raw === undefined || raw === null || raw === "" ? null : unb64(raw);
    }
    return state;
  }

  toSnapshot(): SnapshotDocument {
    return {
      formatVersion: 1,
      tenantId: this.tenantId,
      domain: this.domain,
      capturedAt: new Date().toISOString(),
      users: [...this.users.values()].map((u): SnapshotUser => ({ ...u })),
      recipients: [...this.recipients.values()].map(
        (r): SnapshotRecipient => ({
          kind: r.kind,
          identity: r.guid,
          name: r.name,
          ...(r.externalDirectoryObjectId ? { externalDirectoryObjectId: r.externalDirectoryObjectId } : {}),
          primarySmtpAddress: r.primarySmtpAddress,
          emailAddresses: r.emailAddresses,
          isDirSynced: r.isDirSynced,
          userCertificate: r.userCertificate.map(b64),
          userSMIMECertificate: r.userSMIMECertificate.map(b64),
        }),
      ),
      ...(this.hasSmimeConfig || this.smimeIssuingCA !== null
        ? { smimeConfig: { issuingCA: this.smimeIssuingCA === null ? null : b64(this.smimeIssuingCA) } }
        : {}),
    };
  }

  get seq(): number {
    return this.seqCounter;
  }

  /** The emulated services' clock (Date headers, WhenChanged, delta token ages): real time plus an offset. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Moves the services' clock forward (time passing between runs, without waiting for it). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /**
   * Every delta token issued so far stops working, as after Graph's token lifetime or a service
   * reset: 410 Gone (resyncRequired) or 400 syncStateNotFound, as Graph answers directory objects.
   */
  expireDeltaTokens(status: 400 | 410 = 410): void {
    this.deltaGeneration++;
    this.deltaExpiryStatus = status;
  }

  /** Creates or updates a user, logging which properties changed (delta reports only those). */
  upsertUser(user: CloudUser): void {
    const before = this.users.get(user.id);
    const after: MutableUser = {
      ...user,
      proxyAddresses: [...user.proxyAddresses],
      onPremisesProvisioningErrors: [...user.onPremisesProvisioningErrors],
      serviceProvisioningErrors: [...user.serviceProvisioningErrors],
    };
    const props = before
      ? USER_PROPS.filter((p) => JSON.stringify(before[p]) !== JSON.stringify(after[p]))
      : [...USER_PROPS];
    this.users.set(user.id, after);
    if (props.length > 0) this.changes.push({ seq: ++this.seqCounter, id: user.id, kind: "props", props });
  }

  removeUser(id: string, reason: "changed" | "deleted" = "changed"): void {
    if (!this.users.delete(id)) return;
    this.changes.push({ seq: ++this.seqCounter, id, kind: "removed", reason });
  }

  /** What changed after `since`, per user: the union of changed properties, or its removal. */
  changesSince(
    since: number,
  ): Map<string, { kind: "props"; props: Set<string> } | { kind: "removed"; reason: "changed" | "deleted" }> {
    const out = new Map<
      string,
      { kind: "props"; props: Set<string> } | { kind: "removed"; reason: "changed" | "deleted" }
    >();
    for (const c of this.changes) {
      if (c.seq <= since) continue;
      if (c.kind === "removed") {
        out.set(c.id, { kind: "removed", reason: c.reason });
        continue;
      }
      const prev = out.get(c.id);
      const props = prev?.kind === "props" ? prev.props : new Set<string>();
      for (const p of c.props) props.add(p);
      out.set(c.id, { kind: "props", props });
    }
    return out;
  }

  /** Creates (or replaces) a recipient, stamping WhenChanged as Exchange does on creation. */
  putRecipient(r: EmuRecipient): void {
    r.whenChanged = this.now();
    this.recipients.set(r.guid.toLowerCase(), r);
  }

  /** Stamps WhenChanged: every write to a recipient calls this (Set-*, the sync simulator, helpers). */
  touchRecipient(r: EmuRecipient): void {
    r.whenChanged = this.now();
  }

  /** Edits a recipient in place, as an admin or another tool would, and stamps WhenChanged. */
  editRecipient(guid: string, edit: (r: EmuRecipient) => void): EmuRecipient {
    const r = this.recipients.get(guid.toLowerCase());
    if (!r) throw new Error(`emulator: no recipient ${guid}`);
    edit(r);
    this.touchRecipient(r);
    return r;
  }

  /** Removes a recipient (Remove-MailContact, a mailbox purged): it no longer appears anywhere. */
  deleteRecipient(guid: string): void {
    this.recipients.delete(guid.toLowerCase());
  }

  /**
   * Deletes an Entra user: /users/delta reports it `deleted`, and Exchange soft-deletes its
   * mailbox or mail user, which then leaves Get-Mailbox / Get-MailUser.
   */
  deleteUser(id: string): void {
    const r = this.recipientOfUser(id);
    if (r) this.deleteRecipient(r.guid);
    this.removeUser(id, "deleted");
  }

  /** Adds a user and, when it has mail, the mailbox Exchange provisions for it. */
  addUser(
    input: Partial<CloudUser> & { userPrincipalName: string },
    options: { mailbox?: RecipientKind | false } = {},
  ): CloudUser {
    const user: CloudUser = {
      id: input.id ?? randomUUID(),
      userPrincipalName: input.userPrincipalName,
      mail: input.mail ?? input.userPrincipalName,
      proxyAddresses: input.proxyAddresses ?? [`SMTP:${input.mail ?? input.userPrincipalName}`],
      accountEnabled: input.accountEnabled ?? true,
      onPremisesImmutableId: input.onPremisesImmutableId ?? null,
      onPremisesSyncEnabled: input.onPremisesSyncEnabled ?? null,
      onPremisesDistinguishedName: input.onPremisesDistinguishedName ?? null,
      onPremisesLastSyncDateTime: input.onPremisesLastSyncDateTime ?? null,
      onPremisesProvisioningErrors: input.onPremisesProvisioningErrors ?? [],
      serviceProvisioningErrors: input.serviceProvisioningErrors ?? [],
    };
    this.upsertUser(user);
    const kind = options.mailbox ?? "Mailbox";
    if (kind !== false && user.mail) {
      this.putRecipient({
        kind,
        guid: randomUUID(),
        name: user.userPrincipalName.split("@")[0] ?? user.userPrincipalName,
        externalDirectoryObjectId: user.id,
        primarySmtpAddress: user.mail,
        emailAddresses: [...user.proxyAddresses],
        isDirSynced: user.onPremisesSyncEnabled === true,
        userCertificate: [],
        userSMIMECertificate: [],
      });
    }
    return user;
  }

  recipientOfUser(userId: string): EmuRecipient | undefined {
    for (const r of this.recipients.values()) if (r.externalDirectoryObjectId === userId) return r;
    return undefined;
  }
}

function userFromSnapshot(u: SnapshotUser): CloudUser {
  return {
    id: u.id,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail ?? null,
    proxyAddresses: u.proxyAddresses ?? [],
    accountEnabled: u.accountEnabled ?? true,
    onPremisesImmutableId: u.onPremisesImmutableId ?? null,
    onPremisesSyncEnabled: u.onPremisesSyncEnabled ?? null,
    onPremisesDistinguishedName: u.onPremisesDistinguishedName ?? null,
    onPremisesLastSyncDateTime: u.onPremisesLastSyncDateTime ?? null,
    onPremisesProvisioningErrors: u.onPremisesProvisioningErrors ?? [],
    serviceProvisioningErrors: u.serviceProvisioningErrors ?? [],
  };
}

function recipientFromSnapshot(r: SnapshotRecipient): EmuRecipient {
  return {
    kind: r.kind,
    guid: r.identity,
    name: r.name ?? r.primarySmtpAddress.split("@")[0] ?? r.identity,
    externalDirectoryObjectId: r.externalDirectoryObjectId,
    primarySmtpAddress: r.primarySmtpAddress,
    emailAddresses: [...(r.emailAddresses ?? [`SMTP:${r.primarySmtpAddress}`])],
    isDirSynced: r.isDirSynced,
    userCertificate: (r.userCertificate ?? []).map(unb64),
    userSMIMECertificate: (r.userSMIMECertificate ?? []).map(unb64),
  };
}

const b64 = (v: Uint8Array): string => Buffer.from(v).toString("base64");
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
