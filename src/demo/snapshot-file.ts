// tenant.json: the demo's Office 365 side in the snapshot format (schemas/snapshot.schema.json).
// Synced users look the way Entra Connect leaves them: onPremisesImmutableId = base64 objectGUID,
// and their Exchange recipients carry AD's addresses and certificate values (the mirror), except
// where a user's `mirror` says otherwise, which is the drift the demo shows.

import type { AttributeValues } from "../model/attributes.js";
import {
  type SnapshotDocument,
  type SnapshotRecipient,
  type SnapshotUser,
  serializeSnapshot,
  toBase64,
} from "../tenant/snapshot/snapshot-format.js";
import { objectGuidOf, stableGuid } from "./ids.js";
import {
  type AdUser,
  type CloudMailbox,
  cnOf,
  type DemoOrganisation,
  dnOf,
  mailOf,
  proxyAddressesOf,
  TENANT_DOMAIN,
} from "./organisation.js";

const MINUTE_MS = 60_000;

export function renderSnapshot(org: DemoOrganisation): string {
  // Entra Connect's last cycle ran 20 minutes ago (it runs every 30).
  const lastSync = new Date(org.now.getTime() - 20 * MINUTE_MS).toISOString();
  const users: SnapshotUser[] = [];
  const recipients: SnapshotRecipient[] = [];
  for (const u of org.users) {
    if (u.mirror === undefined) continue;
    const id = stableGuid(`entra:${u.sam}`);
    users.push(syncedUser(u, id, lastSync));
    recipients.push(recipient(cnOf(u), u.sam, id, true, u.mirror));
  }
  for (const m of org.cloudMailboxes) {
    const id = stableGuid(`entra:${m.alias}`);
    users.push(cloudOnlyUser(m, id));
    recipients.push(recipient(cnOf(m), m.alias, id, false, m.values));
  }
  const doc: SnapshotDocument = {
    formatVersion: 1,
    tenantId: stableGuid("tenant"),
    domain: TENANT_DOMAIN,
    capturedAt: org.now.toISOString(),
    users,
    recipients,
  };
  return serializeSnapshot(doc);
}

function syncedUser(u: AdUser, id: string, lastSync: string): SnapshotUser {
  const mail = mailOf(u.sam);
  return {
    id,
    userPrincipalName: mail,
    mail,
    proxyAddresses: proxyAddressesOf(u.sam),
    accountEnabled: !u.disabled,
    onPremisesImmutableId: Buffer.from(objectGuidOf(dnOf(u))).toString("base64"),
    onPremisesSyncEnabled: true,
    onPremisesDistinguishedName: dnOf(u),
    onPremisesLastSyncDateTime: lastSync,
    onPremisesProvisioningErrors: [],
  };
}

function cloudOnlyUser(m: CloudMailbox, id: string): SnapshotUser {
  const mail = mailOf(m.alias);
  return {
    id,
    userPrincipalName: mail,
    mail,
    proxyAddresses: [`SMTP:${mail}`, `smtp:${m.alias}@${TENANT_DOMAIN}`],
    accountEnabled: true,
    onPremisesImmutableId: null,
    onPremisesSyncEnabled: null,
    onPremisesDistinguishedName: null,
    onPremisesLastSyncDateTime: null,
    onPremisesProvisioningErrors: [],
  };
}

function recipient(
  name: string,
  alias: string,
  userId: string,
  synced: boolean,
  values: AttributeValues,
): SnapshotRecipient {
  const mail = mailOf(alias);
  return {
    kind: "Mailbox",
    identity: stableGuid(`exchange:${alias}`),
    name,
    externalDirectoryObjectId: userId,
    primarySmtpAddress: mail,
    emailAddresses: synced ? proxyAddressesOf(alias) : [`SMTP:${mail}`, `smtp:${alias}@${TENANT_DOMAIN}`],
    isDirSynced: synced,
    userCertificate: values.userCertificate.map(toBase64),
    userSMIMECertificate: values.userSMIMECertificate.map(toBase64),
  };
}
