// directory.ldif: the demo's Active Directory as `ldapsearch -LLL` would export it (the format
// the LDIF backend reads, src/directory/ldif.ts): the domain, OUs, a group and users, with binary
// values (objectGUID, certificates) as `attr:: base64`.
import { serializeValue } from "../directory/ldif.js";
import { objectGuidOf, stableGuidBytes } from "./ids.js";
import {
  type AdUser,
  BASE_DN,
  cnOf,
  type DemoOrganisation,
  dnOf,
  mailOf,
  OU,
  PILOT_GROUP,
  proxyAddressesOf,
} from "./organisation.js";

type Value = string | Uint8Array;
type Entry = readonly (readonly [string, Value])[];

const encoder = new TextEncoder();
const UF_NORMAL_ACCOUNT = 0x200;
const UF_ACCOUNTDISABLE = 0x2;

export function renderLdif(org: DemoOrganisation): string {
  // uSNChanged as a domain controller hands it out: one counter, rising with each change.
  let usn = 20_480;
  const nextUsn = (): string => {
    usn += 17;
    return String(usn);
  };
  const entries: Entry[] = [
    [
      ["dn", BASE_DN],
      ["objectClass", "top"],
      ["objectClass", "domain"],
      ["objectClass", "domainDNS"],
      ["dc", "corp"],
      ["objectGUID", stableGuidBytes(BASE_DN)],
    ],
  ];
  for (const dn of [OU.staff, OU.sales, OU.engineering, OU.contractors, OU.groups]) {
    const name = dn.slice(3, dn.indexOf(","));
    entries.push([
      ["dn", dn],
      ["objectClass", "top"],
      ["objectClass", "organizationalUnit"],
      ["ou", name],
      ["objectGUID", stableGuidBytes(dn)],
      ["uSNChanged", nextUsn()],
    ]);
  }
  entries.push([
    ["dn", PILOT_GROUP],
    ["objectClass", "top"],
    ["objectClass", "group"],
    ["cn", "S-MIME Pilot"],
    ["sAMAccountName", "S-MIME Pilot"],
    ["description", "Users outside OU=Staff whose certificates smimesync manages"],
    ["objectGUID", stableGuidBytes(PILOT_GROUP)],
    ...org.users.filter((u) => u.groups.includes(PILOT_GROUP)).map((u) => ["member", dnOf(u)] as const),
    ["uSNChanged", nextUsn()],
  ]);
  for (const u of org.users) entries.push(userEntry(u, nextUsn()));

  const lines = [
    "# Example Corp's Active Directory, exported with",
    "#   ldapsearch -LLL -H ldaps://dc01.corp.example.com -b DC=corp,DC=example,DC=com ...",
    "# (made up by `smimesync demo`). `smimesync apply` rewrites the records it changes, atomically.",
    "version: 1",
    "",
  ];
  for (const entry of entries) {
    for (const [name, value] of entry) {
      lines.push(...serializeValue(name, typeof value === "string" ? encoder.encode(value) : value));
    }
    lines.push("");
  }
  return lines.join("\n");
}

function userEntry(u: AdUser, usnChanged: string): Entry {
  const cn = cnOf(u);
  const mail = mailOf(u.sam);
  return [
    ["dn", dnOf(u)],
    ["objectClass", "top"],
    ["objectClass", "person"],
    ["objectClass", "organizationalPerson"],
    ["objectClass", "user"],
    ["cn", cn],
    ["givenName", u.givenName],
    ["sn", u.sn],
    ["displayName", cn],
    ["distinguishedName", dnOf(u)],
    ["objectGUID", objectGuidOf(dnOf(u))],
    ["sAMAccountName", u.sam],
    ["userPrincipalName", mail],
    ["mail", mail],
    ...proxyAddressesOf(u.sam).map((p) => ["proxyAddresses", p] as const),
    ["userAccountControl", String(UF_NORMAL_ACCOUNT | (u.disabled ? UF_ACCOUNTDISABLE : 0))],
    ...u.groups.map((g) => ["memberOf", g] as const),
    ["uSNChanged", usnChanged],
    ...u.values.userCertificate.map((v) => ["userCertificate", v] as const),
    ...u.values.userSMIMECertificate.map((v) => ["userSMIMECertificate", v] as const),
  ];
}
