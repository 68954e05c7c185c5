// What test/ad/global-setup.ts tells every test of the `ad` project about the Samba domain
// controller it started (vitest `provide` / `inject`). Written by test/ad/samba.sh as facts.json.

export interface SambaFacts {
  /** The run's own directory (databases, smb.conf, TLS files, log/samba.log). */
  readonly dir: string;
  /** The loopback address this run's samba alone listens on, e.g. 127.41.7.200. */
  readonly ip: string;
  /** `ldaps://IP:636`, served with a certificate for IP and `localhost` issued by `caFile`. */
  readonly ldapsUrl: string;
  /** `ldap://IP:389` (StartTLS works; a plain simple bind is accepted too: strong auth is off). */
  readonly ldapUrl: string;
  /** Naming context, `DC=smimesync,DC=test`. */
  readonly baseDn: string;
  /** `SMIMESYNC.TEST` */
  readonly realm: string;
  /** NetBIOS domain, `SMIMESYNC`. */
  readonly domain: string;
  /** `CN=Administrator,CN=Users,DC=smimesync,DC=test` */
  readonly adminDn: string;
  /** `Administrator@smimesync.test` */
  readonly adminUpn: string;
  /** The Administrator's password. */
  readonly password: string;
  /** PEM of the run's test CA, which issued the LDAPS server certificate. */
  readonly caFile: string;
  /** PEM of an unrelated CA: a client trusting only it must reject the server. */
  readonly otherCaFile: string;
  readonly pidFile: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    samba: SambaFacts;
  }
}
