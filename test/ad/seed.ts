// Seeding helpers for tests against the Samba DC: an admin LDAPS client, and creation of OUs,
// groups and users with the attributes smimesync reads. Every test file works under its own
// `testOu()` so files never see each other's objects (they share one DC per run). sAMAccountName
// and userPrincipalName are unique in the whole domain: give them a per-file random suffix
// (sAMAccountName holds at most 20 characters).
//
//   const ad = await adminClient();
//   const ou = await testOu(ad, "reads");
//   const dn = await createUser(ad, ou, { cn: "Alice", sAMAccountName: "alice", mail: "alice@smimesync.test" });
//   await createGroup(ad, ou, "Staff", [dn]);
//   await ad.unbind();
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Attribute, Change, Client } from "ldapts";
import { escapeDnValue } from "../../src/directory/dn.js";
import { sambaFacts } from "./env.js";

/** userAccountControl: NORMAL_ACCOUNT | PASSWD_NOTREQD (a user without a password can exist). */
const UAC_ENABLED = 0x200 | 0x20;
const UAC_ACCOUNTDISABLE = 0x2;

export interface SeedUser {
  /** RDN value (CN=...), any characters: escaped here. */
  readonly cn: string;
  readonly sAMAccountName: string;
  /** Default `${sAMAccountName}@smimesync.test`; `null` for none. */
  readonly userPrincipalName?: string | null;
  readonly mail?: string;
  readonly proxyAddresses?: readonly string[];
  readonly disabled?: boolean;
  readonly userCertificate?: readonly Uint8Array[];
  readonly userSMIMECertificate?: readonly Uint8Array[];
  /** 16 bytes, set as mS-DS-ConsistencyGuid. */
  readonly consistencyGuid?: Uint8Array;
  /** Any other attribute, as strings. */
  readonly extra?: Readonly<Record<string, string | readonly string[]>>;
}

/** A client bound as the domain Administrator over LDAPS (verifying the run's CA). */
export async function adminClient(): Promise<Client> {
  const f = sambaFacts();
  const client = new Client({
    url: f.ldapsUrl,
    timeout: 60_000,
    connectTimeout: 10_000,
    tlsOptions: { ca: readFileSync(f.caFile, "utf8") },
  });
  await client.bind(f.adminUpn, f.password);
  return client;
}

/** Creates `OU=<label>-<random>` directly under the base DN and returns its DN. */
export async function testOu(client: Client, label: string): Promise<string> {
  return createOu(client, sambaFacts().baseDn, `${label}-${randomBytes(4).toString("hex")}`);
}

export async function createOu(client: Client, parentDn: string, name: string): Promise<string> {
  const dn = `OU=${escapeDnValue(name)},${parentDn}`;
  await client.add(dn, { objectClass: ["top", "organizationalUnit"], ou: name });
  return dn;
}

export async function createUser(client: Client, parentDn: string, user: SeedUser): Promise<string> {
  const dn = `CN=${escapeDnValue(user.cn)},${parentDn}`;
  const attrs: Attribute[] = [
    text("objectClass", ["top", "person", "organizationalPerson", "user"]),
    text("sAMAccountName", [user.sAMAccountName]),
    text("userAccountControl", [String(UAC_ENABLED | (user.disabled ? UAC_ACCOUNTDISABLE : 0))]),
  ];
  const upn =
    user.userPrincipalName === undefined ? `${user.sAMAccountName}@smimesync.test` : user.userPrincipalName;
  if (upn !== null) attrs.push(text("userPrincipalName", [upn]));
  if (user.mail !== undefined) attrs.push(text("mail", [user.mail]));
  if (user.proxyAddresses?.length) attrs.push(text("proxyAddresses", user.proxyAddresses));
  if (user.userCertificate?.length) attrs.push(binary("userCertificate", user.userCertificate));
  if (user.userSMIMECertificate?.length)
    attrs.push(binary("userSMIMECertificate", user.userSMIMECertificate));
  if (user.consistencyGuid) attrs.push(binary("mS-DS-ConsistencyGuid", [user.consistencyGuid]));
  for (const [name, v] of Object.entries(user.extra ?? {}))
    attrs.push(text(name, typeof v === "string" ? [v] : v));
  await client.add(dn, attrs);
  return dn;
}

/**
 * Creates many users, `concurrency` requests in flight on the one connection. Samba commits each
 * add in its own transaction; with `ldb:nosync` (set by samba.sh) this runs at ~400-600 users/s.
 */
export async function createUsers(
  client: Client,
  parentDn: string,
  users: readonly SeedUser[],
  concurrency = 16,
): Promise<string[]> {
  const dns: string[] = new Array(users.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < users.length) {
      const i = next++;
      dns[i] = await createUser(client, parentDn, users[i] as SeedUser);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
  return dns;
}

/**
 * A user who can bind: sets unicodePwd (AD wants it as the quoted password in UTF-16LE, over an
 * encrypted connection) and a normal, password-required account. The password must satisfy the
 * domain's complexity rules (e.g. "Str0ng.Pass!").
 */
export async function createLoginUser(
  client: Client,
  parentDn: string,
  user: SeedUser,
  password: string,
): Promise<string> {
  const uac = 0x200 | (user.disabled ? UAC_ACCOUNTDISABLE : 0);
  const dn = await createUser(client, parentDn, { ...user, disabled: true });
  await client.modify(dn, [
    new Change({
      operation: "replace",
      modification: new Attribute({ type: "unicodePwd", values: [Buffer.from(`"${password}"`, "utf16le")] }),
    }),
    new Change({ operation: "replace", modification: text("userAccountControl", [String(uac)]) }),
  ]);
  return dn;
}

/** A global security group with the given member DNs (users or other groups). */
export async function createGroup(
  client: Client,
  parentDn: string,
  name: string,
  members: readonly string[] = [],
): Promise<string> {
  const dn = `CN=${escapeDnValue(name)},${parentDn}`;
  const attrs = [
    text("objectClass", ["top", "group"]),
    text("sAMAccountName", [
      name.replace(/[^A-Za-z0-9-]/g, "").slice(0, 20) || `g${randomBytes(4).toString("hex")}`,
    ]),
  ];
  if (members.length) attrs.push(text("member", members));
  await client.add(dn, attrs);
  return dn;
}

export async function addMembers(client: Client, groupDn: string, members: readonly string[]): Promise<void> {
  await client.modify(groupDn, new Change({ operation: "add", modification: text("member", members) }));
}

/** Adds values of a binary attribute (e.g. a concurrent writer in a test). */
export async function addBinaryValues(
  client: Client,
  dn: string,
  attribute: string,
  values: readonly Uint8Array[],
): Promise<void> {
  await client.modify(dn, new Change({ operation: "add", modification: binary(attribute, values) }));
}

export async function setText(
  client: Client,
  dn: string,
  attribute: string,
  values: readonly string[],
): Promise<void> {
  await client.modify(dn, new Change({ operation: "replace", modification: text(attribute, values) }));
}

/** Random bytes standing in for a certificate value where only byte-exactness matters. */
export function fakeDer(size = 800): Uint8Array {
  const b = randomBytes(size);
  b[0] = 0x30; // looks like a DER SEQUENCE, as certificates do
  return new Uint8Array(b);
}

function text(type: string, values: readonly string[]): Attribute {
  return new Attribute({ type, values: [...values] });
}

function binary(type: string, values: readonly Uint8Array[]): Attribute {
  return new Attribute({ type, values: values.map((v) => Buffer.from(v)) });
}
