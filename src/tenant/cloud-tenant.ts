// The live tenant: users from Microsoft Graph, recipients and their certificates from Exchange
// Online. Reads stream; writes re-read the recipient and compare fingerprints (Exchange has no
// conditional write), then send value-level edits, so a concurrent writer's values survive.
import { SmimesyncError } from "../errors.js";
import type { AttributeEdit } from "../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint, sameFingerprint } from "../model/fingerprint.js";
import {
  editCollection,
  type TrustCollectionEdit,
  trustCollectionFingerprint,
} from "../model/trust-collection.js";
import { WRITE_OK, type WriteResult } from "../model/write-result.js";
import { cursorFromDate, cursorTime, recipientKey, whenChangedFilter } from "./exchange/change-tracking.js";
import {
  type CmdletParameters,
  type ExchangeClient,
  RecipientNotFoundError,
} from "./exchange/exchange-client.js";
import {
  certificateParameters,
  getCmdlet,
  identityOf,
  RECIPIENT_ID_SELECT,
  RECIPIENT_KINDS,
  RECIPIENT_SELECT,
  setCmdlet,
  toRecipient,
  valueEditParameter,
} from "./exchange/recipients.js";
import {
  GET_SMIME_CONFIG,
  SET_SMIME_CONFIG,
  SMIME_CONFIG_SELECT,
  smimeConfigParameters,
  toSmimeConfig,
} from "./exchange/smime-config.js";
import type { GraphUsers } from "./graph/graph-users.js";
import { TenantHttpError } from "./http/service-error.js";
import type {
  CloudUser,
  ExchangeCursor,
  ExchangeRecipient,
  ExchangeRecipientRef,
  NewMailContact,
  RecipientChanges,
  SmimeConfig,
  Tenant,
  UserDelta,
} from "./types.js";
import { editAllValues } from "./value-edit.js";

export class CloudTenant implements Tenant {
  constructor(
    readonly description: string,
    private readonly graph: GraphUsers,
    private readonly exchange: ExchangeClient,
  ) {}

  readUsers(): AsyncIterable<CloudUser> {
    return this.graph.list();
  }

  readUserChanges(deltaLink: string | undefined): Promise<UserDelta> {
    return this.graph.delta(deltaLink);
  }

  async *readRecipients(): AsyncIterable<ExchangeRecipient> {
    for (const kind of RECIPIENT_KINDS) {
      for await (const raw of this.list(kind, {}, RECIPIENT_SELECT)) yield toRecipient(kind, raw);
    }
  }

  /** Every `kind` recipient matching `parameters` (all of them without a Filter), paged. */
  private list(
    kind: ExchangeRecipient["kind"],
    parameters: CmdletParameters,
    select: readonly string[],
    onFirstAnswer?: (headers: Headers) => void,
  ): AsyncIterable<Record<string, unknown>> {
    return this.exchange.query(
      getCmdlet(kind),
      { ResultSize: "Unlimited", ...parameters },
      select,
      onFirstAnswer,
    );
  }

  /** The service's clock from one small read (one mailbox's Guid), before the full read it goes with. */
  async recipientCursor(): Promise<ExchangeCursor | undefined> {
    let date: string | null = null;
    const probe = this.exchange.query(getCmdlet("Mailbox"), { ResultSize: 1 }, RECIPIENT_ID_SELECT, (h) => {
      date = h.get("date");
    });
    for await (const _ of probe) {
      // drained: only the answer's Date is wanted
    }
    // Without the service's time there is no safe cursor: the caller keeps reading in full.
    return cursorFromDate(date);
  }

  /**
   * Per kind, the recipients changed since the cursor (whole records), then the Guid of every
   * present one. Order matters only for what happens during the read: a recipient created in
   * between is present and unknown, so it is read whole; one changed after its kind's filtered
   * read is caught next time, the new cursor being from before this read began.
   */
  async readRecipientChanges(since: ExchangeCursor, known: ReadonlySet<string>): Promise<RecipientChanges> {
    const sinceMs = cursorTime(since);
    if (sinceMs === undefined)
      return {
        kind: "full",
        reason: `the stored Exchange cursor ${JSON.stringify(since.since)} is not a UTC date`,
      };
    const filter = { Filter: whenChangedFilter(sinceMs) };
    let date: string | null | undefined;
    const upserts: ExchangeRecipient[] = [];
    const present: ExchangeRecipientRef[] = [];
    try {
      for (const kind of RECIPIENT_KINDS) {
        const first = (h: Headers) => {
          date ??= h.get("date");
        };
        for await (const raw of this.list(kind, filter, RECIPIENT_SELECT, first))
          upserts.push(toRecipient(kind, raw));
        for await (const raw of this.list(kind, {}, RECIPIENT_ID_SELECT)) {
          const identity = identityOf(raw);
          if (identity === undefined)
            return { kind: "full", reason: `${getCmdlet(kind)} listed a recipient without a Guid` };
          present.push({ kind, identity });
        }
      }
    } catch (e) {
      // A filter the service will not take (a changed syntax rule) costs a full read, not the run.
      if (e instanceof TenantHttpError && e.status === 400 && /filter/i.test(e.serviceMessage)) {
        return { kind: "full", reason: `Exchange Online refused the change filter: ${e.serviceMessage}` };
      }
      throw e;
    }
    const cursor = cursorFromDate(date);
    if (cursor === undefined)
      return {
        kind: "full",
        reason: "Exchange Online's answer had no usable Date header to start the next cursor from",
      };
    const upserted = new Set(upserts.map(recipientKey));
    const unknown = present.filter((r) => !known.has(recipientKey(r)) && !upserted.has(recipientKey(r)));
    // Read one by one (10 to a $batch), unknown recipients cost 1/10 request each; a full read
    // costs 3 requests per 1,000. Past this many, reading everything again is cheaper.
    const limit = Math.max(UNKNOWN_READ_MIN, Math.ceil(present.length / 50));
    if (unknown.length > limit) {
      return {
        kind: "full",
        reason: `${unknown.length} recipients are present that the previous run did not hold`,
      };
    }
    const read = await Promise.all(unknown.map((ref) => this.readRecipient(ref)));
    const gone = new Set<string>();
    for (const [i, r] of read.entries()) {
      const ref = unknown[i];
      if (r !== undefined) upserts.push(r);
      else if (ref !== undefined) gone.add(recipientKey(ref)); // deleted since it was listed
    }
    return { kind: "changes", cursor, present: present.filter((r) => !gone.has(recipientKey(r))), upserts };
  }

  async readRecipient(ref: ExchangeRecipientRef): Promise<ExchangeRecipient | undefined> {
    try {
      for await (const raw of this.exchange.query(
        getCmdlet(ref.kind),
        { Identity: ref.identity },
        RECIPIENT_SELECT,
      )) {
        return toRecipient(ref.kind, raw);
      }
      return undefined;
    } catch (e) {
      if (e instanceof RecipientNotFoundError) return undefined;
      throw e;
    }
  }

  fingerprint(recipient: ExchangeRecipient): ObjectFingerprint {
    return fingerprintOf(recipient.values);
  }

  async writeValues(
    ref: ExchangeRecipientRef,
    edits: readonly AttributeEdit[],
    expected: ObjectFingerprint,
  ): Promise<WriteResult> {
    const current = await this.readRecipient(ref);
    if (!current)
      return { ok: false, reason: "not-found", message: `${ref.kind} ${ref.identity} no longer exists` };
    if (!sameFingerprint(this.fingerprint(current), expected)) {
      return { ok: false, reason: "stale", message: `${ref.kind} ${ref.identity} changed since the plan` };
    }
    // Checked here against the limits so a refusal names them; Exchange checks again.
    const edit = editAllValues(current.values, edits);
    if (!edit.ok)
      return { ok: false, reason: "error", message: `${ref.kind} ${ref.identity} ${edit.message}` };
    const parameters: Record<string, unknown> = {};
    for (const e of edits) {
      if (e.add.length > 0 || e.remove.length > 0)
        Object.assign(parameters, valueEditParameter(e.attribute, e.add, e.remove));
    }
    if (Object.keys(parameters).length === 0) return WRITE_OK;
    // One Set-* call for every attribute of the object. Repeating it is harmless (adding a value
    // that is there, removing one that is gone, changes nothing), so it is retried like a read.
    try {
      const answer = await this.exchange.run(
        setCmdlet(ref.kind),
        { Identity: ref.identity, ...parameters },
        true,
      );
      return answer.warnings.length === 0 ? WRITE_OK : unconfirmed(ref, answer.warnings);
    } catch (e) {
      return perObjectOutcome(e);
    }
  }

  async readSmimeConfig(): Promise<SmimeConfig> {
    const objects: Record<string, unknown>[] = [];
    for await (const raw of this.exchange.query(GET_SMIME_CONFIG, {}, SMIME_CONFIG_SELECT)) objects.push(raw);
    return toSmimeConfig(objects);
  }

  async writeSmimeIssuingCA(edit: TrustCollectionEdit, expected: ObjectFingerprint): Promise<WriteResult> {
    const current = (await this.readSmimeConfig()).issuingCA;
    if (!sameFingerprint(trustCollectionFingerprint(current), expected)) {
      return { ok: false, reason: "stale", message: "the S/MIME trust collection changed since the plan" };
    }
    const next = editCollection(current, edit);
    if (!next.changed) return WRITE_OK;
    // The whole store in one Set-SmimeConfig (the parameter takes no add/remove table). Setting
    // the same bytes again is harmless, so it is retried like a read.
    try {
      const answer = await this.exchange.run(SET_SMIME_CONFIG, smimeConfigParameters(next.sst), true);
      if (answer.warnings.length === 0) return WRITE_OK;
      return {
        ok: false,
        reason: "unconfirmed",
        message: `${SET_SMIME_CONFIG} answered with warnings: ${answer.warnings.join(" ")}`,
      };
    } catch (e) {
      return perObjectOutcome(e);
    }
  }

  async createContact(contact: NewMailContact): Promise<ExchangeRecipient> {
    const created = await this.exchange.run(
      "New-MailContact",
      { Name: contact.name, ExternalEmailAddress: contact.externalEmailAddress },
      false,
    );
    const first = created.objects[0];
    if (!first)
      throw new SmimesyncError("TENANT_ERROR", `New-MailContact ${contact.name} returned no object`);
    const recipient = toRecipient("MailContact", first);
    const certificates = certificateParameters(contact.values);
    if (Object.keys(certificates).length === 0) return recipient;
    const set = await this.exchange.run(
      "Set-MailContact",
      { Identity: recipient.identity, ...certificates },
      true,
    );
    if (set.warnings.length > 0) {
      throw new SmimesyncError(
        "TENANT_ERROR",
        `Set-MailContact ${contact.name} warned instead of setting the certificates: ${set.warnings.join(" ")}`,
      );
    }
    const reread = await this.readRecipient({ kind: "MailContact", identity: recipient.identity });
    if (!reread)
      throw new SmimesyncError(
        "TENANT_ERROR",
        `mail contact ${contact.name} vanished right after it was created`,
      );
    return reread;
  }

  async close(): Promise<void> {}
}

/** Unknown present recipients read one by one before a full read is preferred (see readRecipientChanges). */
const UNKNOWN_READ_MIN = 100;

/** Exchange accepted the Set-* with warnings (e.g. nothing modified): not reported as applied. */
function unconfirmed(ref: ExchangeRecipientRef, warnings: readonly string[]): WriteResult {
  return {
    ok: false,
    reason: "unconfirmed",
    message: `Set-${ref.kind} ${ref.identity} answered with warnings: ${warnings.join(" ")}`,
  };
}

/** Outcomes the admin must see per object come back as results; a broken backend throws. */
function perObjectOutcome(e: unknown): WriteResult {
  if (!(e instanceof SmimesyncError)) throw e;
  switch (e.code) {
    case "TENANT_WRITE_SCOPE":
      return { ok: false, reason: "refused", message: e.message };
    case "TENANT_ERROR":
      return {
        ok: false,
        reason: e instanceof RecipientNotFoundError ? "not-found" : "error",
        message: e.message,
      };
    default:
      throw e;
  }
}
