// The demo's Active Directory users, each showing one thing the plan must get right (`story`
// says which; the demo's README lists them). Validity is in days from the demo's `now`.
import { buildCertsOnlyPkcs7 } from "../certs/index.js";
import type { AttributeValues } from "../model/attributes.js";
import { type AdUser, mailOf, OU, PILOT_GROUP } from "./organisation.js";
import type { IssuedCertificate } from "./pki.js";

export const YEAR = 365;

/** Issues a certificate from the demo's issuing CA, valid `days` from day `from` (relative to now). */
export type IssueFn = (
  cn: string,
  email: string,
  from: number,
  days: number,
  more?: { readonly sha1?: boolean },
) => Promise<IssuedCertificate>;

export interface AdUsers {
  readonly users: readonly AdUser[];
  /** Serials the CRL lists, with the day (relative to now) each was revoked. */
  readonly revoked: readonly { readonly serial: string; readonly day: number }[];
}

export function values(
  userCertificate: readonly Uint8Array[],
  userSMIMECertificate: readonly Uint8Array[] = [],
): AttributeValues {
  return { userCertificate, userSMIMECertificate };
}

/** The certs-only PKCS#7 `userSMIMECertificate: derive` writes: what an earlier apply left in AD. */
const derived = (der: Uint8Array): Uint8Array => buildCertsOnlyPkcs7([der]);

export async function adUsers(issue: IssueFn): Promise<AdUsers> {
  const der = async (p: Promise<IssuedCertificate>): Promise<Uint8Array> => (await p).der;
  const users: AdUser[] = [];
  const user = (u: Omit<AdUser, "disabled" | "groups" | "mirror"> & Partial<AdUser>): void => {
    // By default Entra Connect has done its job: Exchange Online mirrors AD exactly.
    users.push({ disabled: false, groups: [], mirror: u.values, ...u });
  };

  const alice = await der(issue("Alice Archer", mailOf("alice.archer"), -60, YEAR));
  user({
    sam: "alice.archer",
    givenName: "Alice",
    sn: "Archer",
    parent: OU.sales,
    values: values([alice], [derived(alice)]),
    story: "in order: a valid certificate, its PKCS#7 already derived; nothing to do",
  });

  const bobOld = await der(issue("Bob Baker", mailOf("bob.baker"), -400, YEAR));
  const bobNew = await der(issue("Bob Baker", mailOf("bob.baker"), -40, YEAR));
  user({
    sam: "bob.baker",
    givenName: "Bob",
    sn: "Baker",
    parent: OU.sales,
    values: values([bobOld, bobNew], [derived(bobOld), derived(bobNew)]),
    story: "renewed; last year's certificate expired a month ago: removed (prune.expired)",
  });

  const carol = await der(issue("Carol Chen", mailOf("carol.chen"), -200, YEAR, { sha1: true }));
  user({
    sam: "carol.chen",
    givenName: "Carol",
    sn: "Chen",
    parent: OU.engineering,
    values: values([carol]),
    story: "her only certificate is SHA-1-signed: reported as would-remove (weak-signature is not pruned)",
  });

  const dave = await der(issue("Dave Dunn", "dave.dunn@corp.example.net", -100, YEAR));
  user({
    sam: "dave.dunn",
    givenName: "Dave",
    sn: "Dunn",
    parent: OU.engineering,
    values: values([dave]),
    story:
      "certificate issued to the old domain corp.example.net: would-remove (email-mismatch is not pruned)",
  });

  user({
    sam: "erin.evans",
    givenName: "Erin",
    sn: "Evans",
    parent: OU.engineering,
    ...(await erinsSixteen(issue)),
    story:
      "16 certificates (re-enrolled on every device): Entra Connect stopped exporting at 15; 4 expired, 7 superseded, 2 over maxPerUser are removed",
  });

  user({
    sam: "grace.green",
    givenName: "Grace",
    sn: "Green",
    parent: OU.sales,
    values: values([]),
    story: "no certificate in AD yet; her new one is declared in the repository (certs/): published",
  });

  const heidi = await der(issue("Heidi Hall", mailOf("heidi.hall"), -353, YEAR));
  user({
    sam: "heidi.hall",
    givenName: "Heidi",
    sn: "Hall",
    parent: OU.sales,
    values: values([heidi], [derived(heidi)]),
    story: "certificate expires in 12 days: still published, with an expiring-soon warning",
  });

  const ivanLost = await der(issue("Ivan Ivanov", mailOf("ivan.ivanov"), -200, YEAR));
  const ivan = await der(issue("Ivan Ivanov", mailOf("ivan.ivanov"), -30, YEAR));
  user({
    sam: "ivan.ivanov",
    givenName: "Ivan",
    sn: "Ivanov",
    parent: OU.engineering,
    values: values([ivan], [derived(ivan)]),
    // An admin removed the lost smartcard's certificate in AD this morning; Entra Connect has
    // not run since. The plan must not resurrect it from the cloud's copy.
    mirror: values([ivanLost, ivan], [derived(ivan)]),
    story: "lost smartcard's certificate removed in AD, still in Exchange Online: drift, never resurrected",
  });

  const judy = await der(issue("Judy Jones", mailOf("judy.jones"), -2, YEAR));
  user({
    sam: "judy.jones",
    givenName: "Judy",
    sn: "Jones",
    parent: OU.sales,
    values: values([judy]),
    mirror: undefined,
    story: "new hire, not synchronised to Entra ID yet: drift (no cloud counterpart); her PKCS#7 is derived",
  });

  const kimRevoked = await issue("Kim Kowalski", mailOf("kim.kowalski"), -200, YEAR);
  const kimNew = await der(issue("Kim Kowalski", mailOf("kim.kowalski"), -9, YEAR));
  user({
    sam: "kim.kowalski",
    givenName: "Kim",
    sn: "Kowalski",
    parent: OU.contractors,
    groups: [PILOT_GROUP],
    values: values([kimRevoked.der, kimNew]),
    story: "in scope through the S-MIME Pilot group; laptop stolen, certificate revoked (CRL): removed",
  });

  const leo = await der(issue("Leo Lang", mailOf("leo.lang"), -500, YEAR));
  user({
    sam: "leo.lang",
    givenName: "Leo",
    sn: "Lang",
    parent: OU.staff,
    disabled: true,
    values: values([leo]),
    story: "disabled account (left the company): out of scope, left alone",
  });

  const scanner = await der(issue("svc-scanner", mailOf("svc-scanner"), -700, YEAR));
  user({
    sam: "svc-scanner",
    givenName: "svc",
    sn: "scanner",
    parent: OU.staff,
    values: values([scanner]),
    story: "service account, excluded by the sAMAccountName pattern svc-*: left alone",
  });

  return { users, revoked: [{ serial: kimRevoked.serial, day: -10 }] };
}

/**
 * Erin's 16 certificates: four yearly ones long expired, seven monthly device enrolments since
 * (each superseded by the next), and five issued the same day when the new template was rolled
 * out to all her devices (equally new, so maxPerUser: 3 keeps three and two are over the limit).
 * Entra Connect exported the first 15 and then stopped: Exchange Online keeps those.
 */
async function erinsSixteen(cert: IssueFn): Promise<Pick<AdUser, "values" | "mirror">> {
  const mail = mailOf("erin.evans");
  const offsets = [
    ...[-1200, -1000, -800, -600].map((from) => ({ from, days: YEAR })),
    ...[-330, -300, -270, -240, -210, -180, -150].map((from) => ({ from, days: 2 * YEAR })),
    ...[-20, -20, -20, -20, -20].map((from) => ({ from, days: 2 * YEAR })),
  ];
  const all: Uint8Array[] = [];
  for (const o of offsets) all.push((await cert("Erin Evans", mail, o.from, o.days)).der);
  return { values: values(all), mirror: values(all.slice(0, 15)) };
}
