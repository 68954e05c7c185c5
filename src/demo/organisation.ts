// The demo's fictional organisation as data: who exists where (AD, Entra ID, Exchange Online, the
// repository) and with which certificates. Built by scenario.ts, written out by the *-file.ts
// modules; nothing here does I/O.
import type { AttributeValues } from "../model/attributes.js";

export const DOMAIN = "corp.example.com";
export const BASE_DN = "DC=corp,DC=example,DC=com";
export const TENANT_DOMAIN = "corpexample.onmicrosoft.com";
/** The routing address hybrid mailboxes carry (Entra Connect syncs it with proxyAddresses). */
export const ROUTING_DOMAIN = "corpexample.mail.onmicrosoft.com";

export const OU = {
  staff: `OU=Staff,${BASE_DN}`,
  sales: `OU=Sales,OU=Staff,${BASE_DN}`,
  engineering: `OU=Engineering,OU=Staff,${BASE_DN}`,
  contractors: `OU=Contractors,${BASE_DN}`,
  groups: `OU=Groups,${BASE_DN}`,
} as const;

export const PILOT_GROUP = `CN=S-MIME Pilot,${OU.groups}`;

export interface AdUser {
  readonly sam: string;
  readonly givenName: string;
  readonly sn: string;
  /** DN of the OU holding the user. */
  readonly parent: string;
  readonly disabled: boolean;
  readonly groups: readonly string[];
  /** The certificate attributes in AD (the authority for a synced user). */
  readonly values: AttributeValues;
  /** What Exchange Online shows for the user (Entra Connect's copy); undefined: not synchronised. */
  readonly mirror: AttributeValues | undefined;
  /** One line for the demo's README: what this user shows. */
  readonly story: string;
}

export interface CloudMailbox {
  readonly alias: string;
  readonly givenName: string;
  readonly sn: string;
  readonly values: AttributeValues;
  readonly story: string;
}

export interface PemFile {
  /** Relative to the demo folder. */
  readonly path: string;
  readonly text: string;
}

export interface DeclaredCertificate extends PemFile {
  readonly mail: string;
  readonly story: string;
}

export interface DeclaredContact extends PemFile {
  readonly mail: string;
  readonly name: string;
  readonly story: string;
}

export interface DemoOrganisation {
  readonly now: Date;
  readonly users: readonly AdUser[];
  readonly cloudMailboxes: readonly CloudMailbox[];
  readonly declared: readonly DeclaredCertificate[];
  readonly contacts: readonly DeclaredContact[];
  /** Trust anchors, intermediates and the CRL, as the policy names them. */
  readonly pki: {
    readonly trustAnchors: readonly PemFile[];
    readonly intermediates: readonly PemFile[];
    readonly crls: readonly PemFile[];
  };
}

export const cnOf = (u: { givenName: string; sn: string }): string => `${u.givenName} ${u.sn}`;
export const dnOf = (u: AdUser): string => `CN=${cnOf(u)},${u.parent}`;
export const mailOf = (alias: string): string => `${alias}@${DOMAIN}`;
export const proxyAddressesOf = (alias: string): string[] => [
  `SMTP:${mailOf(alias)}`,
  `smtp:${alias}@${ROUTING_DOMAIN}`,
];
