// Plays Entra Connect Sync for what smimesync cares about: AD users -> Entra users (matched by
// onPremisesImmutableId = base64 of the source anchor) -> their Exchange recipients' two
// certificate attributes. Like the default rules since build 1.1.524.0, an attribute holding
// more than 15 values is exported as AuthoritativeNull: the cloud ends up with no value at all.
// Provisioning errors already on a user stay (the simulator never resolves a conflict), and an
// unresolved one Exchange Online published (serviceProvisioningErrors, serviceInstance
// "exchange/...") keeps the recipient's certificates as they were. Contacts are not simulated.
import { randomUUID } from "node:crypto";
import { Client } from "ldapts";
import type { CloudUser, RecipientKind } from "../../src/tenant/types.js";
import type { EmulatorState } from "./state.js";

const MAX_EXPORTED_VALUES = 15;
const UAC_ACCOUNTDISABLE = 0x2;

export interface AdUser {
  readonly dn: string;
  /** base64 of objectGUID or mS-DS-ConsistencyGuid, whichever is the source anchor. */
  readonly sourceAnchor: string;
  readonly userPrincipalName: string | undefined;
  readonly mail: string | undefined;
  readonly proxyAddresses: readonly string[];
  readonly disabled: boolean;
  readonly userCertificate: readonly Uint8Array[];
  readonly userSMIMECertificate: readonly Uint8Array[];
}

export interface ExportOptions {
  /** Create Entra users (and a recipient when they have mail) for AD users not in the cloud. */
  readonly provision?: boolean;
  /** Recipient created for a provisioned user with mail (default Mailbox). */
  readonly recipientKind?: RecipientKind;
  /** Synced users whose DN is under this and who are no longer read are deleted in the cloud. */
  readonly deleteMissingUnder?: string;
  readonly now?: () => Date;
}

export interface SyncReport {
  readonly provisioned: string[];
  readonly updated: string[];
  readonly deleted: string[];
  /** Attributes exported as AuthoritativeNull because AD held more than 15 values. */
  readonly suppressed: {
    readonly dn: string;
    readonly attribute: "userCertificate" | "userSMIMECertificate";
    readonly count: number;
  }[];
  /** Users whose recipient kept its values: Exchange Online reports an unresolved provisioning error. */
  readonly heldByExchange: string[];
}

/** One export cycle into the emulator's state. Pure apart from the state it updates. */
export function exportToTenant(
  state: EmulatorState,
  adUsers: readonly AdUser[],
  options: ExportOptions = {},
): SyncReport {
  const report: SyncReport = {
    provisioned: [],
    updated: [],
    deleted: [],
    suppressed: [],
    heldByExchange: [],
  };
  const now = (options.now ?? (() => new Date()))()
    .toISOString()
    .replace(/\.\d+Z$/, "Z");
  const byAnchor = new Map<string, CloudUser>();
  for (const u of state.users.values()) if (u.onPremisesImmutableId) byAnchor.set(u.onPremisesImmutableId, u);
  const seen = new Set<string>();

  for (const ad of adUsers) {
    seen.add(ad.sourceAnchor);
    const existing = byAnchor.get(ad.sourceAnchor);
    if (!existing && !(options.provision ?? true)) continue;
    if (!existing && !ad.userPrincipalName) continue; // Entra requires a UPN
    const user: CloudUser = {
      id: existing?.id ?? randomUUID(),
      userPrincipalName: ad.userPrincipalName ?? existing?.userPrincipalName ?? "",
      mail: ad.mail ?? null,
      proxyAddresses: ad.proxyAddresses,
      accountEnabled: !ad.disabled,
      onPremisesImmutableId: ad.sourceAnchor,
      onPremisesSyncEnabled: true,
      onPremisesDistinguishedName: ad.dn,
      onPremisesLastSyncDateTime: existing?.onPremisesLastSyncDateTime ?? now,
      onPremisesProvisioningErrors: existing?.onPremisesProvisioningErrors ?? [],
      serviceProvisioningErrors: existing?.serviceProvisioningErrors ?? [],
    };
    const exchangeError = user.serviceProvisioningErrors.some(
      (e) => !e.isResolved && /^exchange\b/i.test(e.serviceInstance ?? ""),
    );

    let recipient = state.recipientOfUser(user.id);
    if (!recipient && ad.mail) {
      recipient = {
        kind: options.recipientKind ?? "Mailbox",
        guid: randomUUID(),
        name: user.userPrincipalName.split("@")[0] ?? user.userPrincipalName,
        externalDirectoryObjectId: user.id,
        primarySmtpAddress: ad.mail,
        emailAddresses: ad.proxyAddresses.length > 0 ? [...ad.proxyAddresses] : [`SMTP:${ad.mail}`],
        isDirSynced: true,
        userCertificate: [],
        userSMIMECertificate: [],
      };
      state.putRecipient(recipient);
    }
    let certificatesChanged = false;
    if (recipient && exchangeError) report.heldByExchange.push(ad.dn);
    else if (recipient) {
      const becameSynced = !recipient.isDirSynced;
      recipient.isDirSynced = true;
      for (const attribute of ["userCertificate", "userSMIMECertificate"] as const) {
        const values = ad[attribute];
        const exported = values.length > MAX_EXPORTED_VALUES ? [] : values.map((v) => new Uint8Array(v));
        if (values.length > MAX_EXPORTED_VALUES)
          report.suppressed.push({ dn: ad.dn, attribute, count: values.length });
        if (!sameValues(recipient[attribute], exported)) certificatesChanged = true;
        recipient[attribute] = exported;
      }
      // Exchange stamps WhenChanged on the recipient when the export changed it.
      if (becameSynced || certificatesChanged) state.touchRecipient(recipient);
    }
    // onPremisesLastSyncDateTime moves only when the cycle exported something for the object.
    const propsChanged =
      !existing ||
      JSON.stringify({ ...existing, onPremisesLastSyncDateTime: null }) !==
        JSON.stringify({ ...user, onPremisesLastSyncDateTime: null });
    const exportedUser =
      propsChanged || certificatesChanged ? { ...user, onPremisesLastSyncDateTime: now } : user;
    state.upsertUser(exportedUser);
    if (!existing) report.provisioned.push(ad.dn);
    else if (propsChanged || certificatesChanged) report.updated.push(ad.dn);
  }

  if (options.deleteMissingUnder) {
    const suffix = options.deleteMissingUnder.toLowerCase();
    for (const u of [...state.users.values()]) {
      const dn = u.onPremisesDistinguishedName?.toLowerCase();
      if (
        u.onPremisesSyncEnabled &&
        u.onPremisesImmutableId &&
        dn?.endsWith(suffix) &&
        !seen.has(u.onPremisesImmutableId)
      ) {
        state.removeUser(u.id);
        const r = state.recipientOfUser(u.id);
        if (r) state.deleteRecipient(r.guid);
        report.deleted.push(u.onPremisesDistinguishedName ?? u.id);
      }
    }
  }
  return report;
}

export interface LdapSource {
  readonly url: string;
  readonly bindDn: string;
  readonly password: string;
  /** PEM of the CA that issued the DC's certificate (ldaps://). */
  readonly caPem?: string;
  readonly baseDn: string;
  readonly sourceAnchor?: "objectGUID" | "mS-DS-ConsistencyGuid";
}

/** Reads the users under baseDn the way the AD connector imports them (paged). */
export async function readAdUsers(source: LdapSource): Promise<AdUser[]> {
  const client = new Client({
    url: source.url,
    ...(source.caPem ? { tlsOptions: { ca: source.caPem } } : {}),
  });
  const anchorAttr = source.sourceAnchor ?? "objectGUID";
  try {
    await client.bind(source.bindDn, source.password);
    const { searchEntries } = await client.search(source.baseDn, {
      scope: "sub",
      filter: "(&(objectCategory=person)(objectClass=user))",
      attributes: [
        "distinguishedName",
        anchorAttr,
        "userPrincipalName",
        "mail",
        "proxyAddresses",
        "userAccountControl",
        "userCertificate",
        "userSMIMECertificate",
      ],
      explicitBufferAttributes: [anchorAttr, "userCertificate", "userSMIMECertificate"],
      paged: { pageSize: 500 },
    });
    const users: AdUser[] = [];
    for (const e of searchEntries) {
      const anchor = buffers(e[anchorAttr])[0];
      if (!anchor) continue;
      users.push({
        dn: e.dn,
        sourceAnchor: Buffer.from(anchor).toString("base64"),
        userPrincipalName: firstString(e.userPrincipalName),
        mail: firstString(e.mail),
        proxyAddresses: strings(e.proxyAddresses),
        disabled: (Number(firstString(e.userAccountControl) ?? "0") & UAC_ACCOUNTDISABLE) !== 0,
        userCertificate: buffers(e.userCertificate),
        userSMIMECertificate: buffers(e.userSMIMECertificate),
      });
    }
    return users;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Import from AD, then export to the emulated tenant: one Entra Connect sync cycle. */
export async function runSyncCycle(
  source: LdapSource,
  state: EmulatorState,
  options: ExportOptions = {},
): Promise<SyncReport> {
  return exportToTenant(state, await readAdUsers(source), options);
}

function sameValues(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((v, i) => Buffer.compare(v, b[i] ?? new Uint8Array()) === 0);
}

type LdapValue = string | string[] | Buffer | Buffer[] | undefined;

function buffers(v: LdapValue): Uint8Array[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) =>
    typeof x === "string" ? new Uint8Array(Buffer.from(x, "binary")) : new Uint8Array(x),
  );
}

function strings(v: LdapValue): string[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (typeof x === "string" ? x : x.toString("utf8")));
}

function firstString(v: LdapValue): string | undefined {
  return strings(v)[0];
}
