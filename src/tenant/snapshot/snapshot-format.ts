// The tenant snapshot file (schemas/snapshot.schema.json): parse with validation, convert to and
// from the model, serialise deterministically so a rewritten file diffs cleanly in git.

import type { ValidateFunction } from "ajv/dist/2020.js";
import { SmimesyncError } from "../../errors.js";
import { fromBase64, toBase64 } from "../../model/base64.js";
import validateSnapshot from "../../schemas/generated/snapshot.js";
import type { CloudUser, ExchangeRecipient, RecipientKind } from "../types.js";

export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotUser {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly mail?: string | null;
  readonly proxyAddresses?: readonly string[];
  readonly accountEnabled?: boolean;
  readonly onPremisesImmutableId?: string | null;
  readonly onPremisesSyncEnabled?: boolean | null;
  readonly onPremisesDistinguishedName?: string | null;
  readonly onPremisesLastSyncDateTime?: string | null;
  readonly onPremisesProvisioningErrors?: CloudUser["onPremisesProvisioningErrors"];
  readonly serviceProvisioningErrors?: CloudUser["serviceProvisioningErrors"];
}

export interface SnapshotRecipient {
  readonly kind: RecipientKind;
  readonly identity: string;
  readonly name?: string;
  readonly externalDirectoryObjectId?: string;
  readonly primarySmtpAddress: string;
  readonly emailAddresses?: readonly string[];
  readonly isDirSynced: boolean;
  readonly userCertificate?: readonly string[];
  readonly userSMIMECertificate?: readonly string[];
}

export interface SnapshotSmimeConfig {
  /** SMIMECertificateIssuingCA: base64 of the SST; null when none is set. */
  readonly issuingCA?: string | null;
}

export interface SnapshotDocument {
  readonly formatVersion: 1;
  readonly tenantId?: string;
  readonly domain?: string;
  readonly capturedAt?: string;
  readonly users: readonly SnapshotUser[];
  readonly recipients: readonly SnapshotRecipient[];
  /** Absent in snapshots of tenants whose trust collection is not managed. */
  readonly smimeConfig?: SnapshotSmimeConfig;
}

const validate = validateSnapshot as ValidateFunction<SnapshotDocument>;

export function parseSnapshot(text: string, file: string): SnapshotDocument {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SmimesyncError(
      "SNAPSHOT_INVALID",
      `${file}: not JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (!validate(data)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""}`.trim());
    throw new SmimesyncError(
      "SNAPSHOT_INVALID",
      `${file} does not match schemas/snapshot.schema.json: ${problems.join("; ")}`,
    );
  }
  const ids = new Set<string>();
  for (const r of data.recipients) {
    const key = `${r.kind}:${r.identity.toLowerCase()}`;
    if (ids.has(key))
      throw new SmimesyncError(
        "SNAPSHOT_INVALID",
        `${file}: recipient ${r.kind} ${r.identity} appears twice`,
      );
    ids.add(key);
  }
  return data;
}

export function serializeSnapshot(doc: SnapshotDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function userFromSnapshot(u: SnapshotUser): CloudUser {
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

export function userToSnapshot(u: CloudUser): SnapshotUser {
  // Files written before the member existed stay as they were when there is none.
  const { serviceProvisioningErrors, ...rest } = u;
  return serviceProvisioningErrors.length > 0 ? { ...rest, serviceProvisioningErrors } : rest;
}

export function recipientFromSnapshot(r: SnapshotRecipient): ExchangeRecipient {
  return {
    kind: r.kind,
    identity: r.identity,
    externalDirectoryObjectId: r.externalDirectoryObjectId,
    primarySmtpAddress: r.primarySmtpAddress,
    emailAddresses: r.emailAddresses ?? [],
    isDirSynced: r.isDirSynced,
    values: {
      userCertificate: (r.userCertificate ?? []).map(fromBase64),
      userSMIMECertificate: (r.userSMIMECertificate ?? []).map(fromBase64),
    },
  };
}

export function recipientToSnapshot(r: ExchangeRecipient, name: string | undefined): SnapshotRecipient {
  return {
    kind: r.kind,
    identity: r.identity,
    ...(name === undefined ? {} : { name }),
    ...(r.externalDirectoryObjectId === undefined
      ? {}
      : { externalDirectoryObjectId: r.externalDirectoryObjectId }),
    primarySmtpAddress: r.primarySmtpAddress,
    emailAddresses: r.emailAddresses,
    isDirSynced: r.isDirSynced,
    userCertificate: r.values.userCertificate.map(toBase64),
    userSMIMECertificate: r.values.userSMIMECertificate.map(toBase64),
  };
}

// The snapshot is smimesync's own format: plain base64, independent of how Exchange encodes.
export { fromBase64, toBase64 };
