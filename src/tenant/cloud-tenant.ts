// The live tenant: users from Microsoft Graph, recipients and their certificates from Exchange
// Online. Reads stream; writes re-read the recipient first and compare fingerprints, because
// Exchange has no conditional write (the window is the re-read-to-Set interval).
import { SmimesyncError } from "../errors.js";
import type { AttributeEdit } from "../model/attributes.js";
import { fingerprintOf, type ObjectFingerprint, sameFingerprint } from "../model/fingerprint.js";
import { WRITE_OK, type WriteResult } from "../model/write-result.js";
import { type ExchangeClient, RecipientNotFoundError } from "./exchange/exchange-client.js";
import {
  certificateParameter,
  certificateParameters,
  getCmdlet,
  RECIPIENT_KINDS,
  RECIPIENT_SELECT,
  setCmdlet,
  toRecipient,
} from "./exchange/recipients.js";
import type { GraphUsers } from "./graph/graph-users.js";
import type {
  CloudUser,
  ExchangeRecipient,
  ExchangeRecipientRef,
  NewMailContact,
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
      for await (const raw of this.exchange.query(
        getCmdlet(kind),
        { ResultSize: "Unlimited" },
        RECIPIENT_SELECT,
      )) {
        yield toRecipient(kind, raw);
      }
    }
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
    const edit = editAllValues(current.values, edits);
    if (!edit.ok)
      return { ok: false, reason: "error", message: `${ref.kind} ${ref.identity} ${edit.message}` };
    if (edit.changed.length === 0) return WRITE_OK;
    // One Set-* call for every attribute of the object: Exchange takes the full new lists.
    const parameters: Record<string, string[]> = {};
    for (const attribute of edit.changed)
      Object.assign(parameters, certificateParameter(attribute, edit.values[attribute]));
    try {
      await this.exchange.run(setCmdlet(ref.kind), { Identity: ref.identity, ...parameters }, true);
      return WRITE_OK;
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
    await this.exchange.run("Set-MailContact", { Identity: recipient.identity, ...certificates }, true);
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
