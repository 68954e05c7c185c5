// Builds the demo organisation relative to `now`, so the demo never rots: every certificate's
// validity is counted in days from the moment the demo is made. Each user shows one thing the
// plan must get right; `story` says which (the demo's README lists them).
import { buildCertsOnlyPkcs7 } from "../certs/index.js";
import type { AttributeValues } from "../model/attributes.js";
import {
  type AdUser,
  type CloudMailbox,
  type DeclaredCertificate,
  type DeclaredContact,
  type DemoOrganisation,
  mailOf,
  OU,
  PILOT_GROUP,
} from "./organisation.js";
import {
  daysFrom,
  type IssuedCertificate,
  issueCrl,
  issueUserCertificate,
  makeIssuingCa,
  makeRootCa,
  pem,
} from "./pki.js";

const YEAR = 365;

function values(
  userCertificate: readonly Uint8Array[],
  userSMIMECertificate: readonly Uint8Array[] = [],
): AttributeValues {
  return { userCertificate, userSMIMECertificate };
}

/** The certs-only PKCS#7 `userSMIMECertificate: derive` writes: what an earlier apply left in AD. */
const derived = (der: Uint8Array): Uint8Array => buildCertsOnlyPkcs7([der]);

export async function buildOrganisation(now: Date): Promise<DemoOrganisation> {
  const at = (days: number): Date => daysFrom(now, days);
  const root = await makeRootCa("CN=Example Corp Root CA, O=Example Corp", at(-5 * YEAR), at(15 * YEAR));
  const issuing = await makeIssuingCa(
    root,
    "CN=Example Corp Issuing CA 1, O=Example Corp",
    at(-3 * YEAR),
    at(7 * YEAR),
  );
  const supplierRoot = await makeRootCa(
    "CN=Supplier Ltd Root CA, O=Supplier Ltd",
    at(-4 * YEAR),
    at(16 * YEAR),
  );

  /** A user certificate from the issuing CA, valid from `from` for `days` (day offsets from now). */
  const cert = (cn: string, email: string, from: number, days: number, more: { sha1?: boolean } = {}) =>
    issueUserCertificate(issuing, {
      cn,
      emails: [email],
      notBefore: at(from),
      notAfter: at(from + days),
      ...(more.sha1 ? { signatureHash: "SHA-1" as const } : {}),
    });
  const der = async (p: Promise<IssuedCertificate>): Promise<Uint8Array> => (await p).der;

  const users: AdUser[] = [];
  const user = (u: Omit<AdUser, "disabled" | "groups" | "mirror"> & Partial<AdUser>): void => {
    // By default Entra Connect has done its job: Exchange Online mirrors AD exactly.
    users.push({ disabled: false, groups: [], mirror: u.values, ...u });
  };

  const alice = await der(cert("Alice Archer", mailOf("alice.archer"), -60, YEAR));
  user({
    sam: "alice.archer",
    givenName: "Alice",
    sn: "Archer",
    parent: OU.sales,
    values: values([alice], [derived(alice)]),
    story: "in order: a valid certificate, its PKCS#7 already derived; nothing to do",
  });

  const bobOld = await der(cert("Bob Baker", mailOf("bob.baker"), -400, YEAR));
  const bobNew = await der(cert("Bob Baker", mailOf("bob.baker"), -40, YEAR));
  user({
    sam: "bob.baker",
    givenName: "Bob",
    sn: "Baker",
    parent: OU.sales,
    values: values([bobOld, bobNew], [derived(bobOld), derived(bobNew)]),
    story: "renewed; last year's certificate expired a month ago: removed (prune.expired)",
  });

  const carol = await der(cert("Carol Chen", mailOf("carol.chen"), -200, YEAR, { sha1: true }));
  user({
    sam: "carol.chen",
    givenName: "Carol",
    sn: "Chen",
    parent: OU.engineering,
    values: values([carol]),
    story: "her only certificate is SHA-1-signed: reported as would-remove (weak-signature is not pruned)",
  });

  const dave = await der(cert("Dave Dunn", "dave.dunn@corp.example.net", -100, YEAR));
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
    ...(await erinsSixteen(cert)),
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

  const heidi = await der(cert("Heidi Hall", mailOf("heidi.hall"), -353, YEAR));
  user({
    sam: "heidi.hall",
    givenName: "Heidi",
    sn: "Hall",
    parent: OU.sales,
    values: values([heidi], [derived(heidi)]),
    story: "certificate expires in 12 days: still published, with an expiring-soon warning",
  });

  const ivanLost = await der(cert("Ivan Ivanov", mailOf("ivan.ivanov"), -200, YEAR));
  const ivan = await der(cert("Ivan Ivanov", mailOf("ivan.ivanov"), -30, YEAR));
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

  const judy = await der(cert("Judy Jones", mailOf("judy.jones"), -2, YEAR));
  user({
    sam: "judy.jones",
    givenName: "Judy",
    sn: "Jones",
    parent: OU.sales,
    values: values([judy]),
    mirror: undefined,
    story: "new hire, not synchronised to Entra ID yet: drift (no cloud counterpart); her PKCS#7 is derived",
  });

  const kimRevoked = await cert("Kim Kowalski", mailOf("kim.kowalski"), -200, YEAR);
  const kimNew = await der(cert("Kim Kowalski", mailOf("kim.kowalski"), -9, YEAR));
  user({
    sam: "kim.kowalski",
    givenName: "Kim",
    sn: "Kowalski",
    parent: OU.contractors,
    groups: [PILOT_GROUP],
    values: values([kimRevoked.der, kimNew]),
    story: "in scope through the S-MIME Pilot group; laptop stolen, certificate revoked (CRL): removed",
  });

  const leo = await der(cert("Leo Lang", mailOf("leo.lang"), -500, YEAR));
  user({
    sam: "leo.lang",
    givenName: "Leo",
    sn: "Lang",
    parent: OU.staff,
    disabled: true,
    values: values([leo]),
    story: "disabled account (left the company): out of scope, left alone",
  });

  const scanner = await der(cert("svc-scanner", mailOf("svc-scanner"), -700, YEAR));
  user({
    sam: "svc-scanner",
    givenName: "svc",
    sn: "scanner",
    parent: OU.staff,
    values: values([scanner]),
    story: "service account, excluded by the sAMAccountName pattern svc-*: left alone",
  });

  const cloudMailboxes: CloudMailbox[] = [
    {
      alias: "frank.fischer",
      givenName: "Frank",
      sn: "Fischer",
      values: values([]),
      story:
        "cloud-only mailbox (authority Exchange Online); certificate declared in the repository: published there",
    },
  ];

  const pemOf = (d: Uint8Array) => pem("CERTIFICATE", d);
  const declared: DeclaredCertificate[] = [
    {
      mail: mailOf("grace.green"),
      path: "certs/grace.green.pem",
      text: pemOf(await der(cert("Grace Green", mailOf("grace.green"), -1, YEAR))),
      story: "Grace's new certificate, added in a pull request",
    },
    {
      mail: mailOf("frank.fischer"),
      path: "certs/frank.fischer.pem",
      text: pemOf(await der(cert("Frank Fischer", mailOf("frank.fischer"), -3, YEAR))),
      story: "Frank's certificate (his mailbox exists only in Exchange Online)",
    },
  ];
  const partner = await issueUserCertificate(supplierRoot, {
    cn: "Pat Partner",
    emails: ["pat.partner@supplier.example"],
    notBefore: at(-90),
    notAfter: at(2 * YEAR - 90),
  });
  const contacts: DeclaredContact[] = [
    {
      mail: "pat.partner@supplier.example",
      name: "Pat Partner (Supplier Ltd)",
      path: "certs/pat.partner@supplier.example.pem",
      text: pemOf(partner.der),
      story:
        "a partner at a supplier: the mail contact does not exist yet and is created with the certificate",
    },
  ];

  const crl = await issueCrl(issuing, [{ serial: kimRevoked.serial, date: at(-10) }], at(-1), at(6));
  return {
    now,
    users,
    cloudMailboxes,
    declared,
    contacts,
    pki: {
      trustAnchors: [
        { path: "pki/example-root-ca.pem", text: pemOf(root.der) },
        { path: "pki/supplier-root-ca.pem", text: pemOf(supplierRoot.der) },
      ],
      intermediates: [{ path: "pki/example-issuing-ca.pem", text: pemOf(issuing.der) }],
      crls: [{ path: "pki/example-issuing-ca.crl", text: pem("X509 CRL", crl) }],
    },
  };
}

type IssueFn = (cn: string, email: string, from: number, days: number) => Promise<IssuedCertificate>;

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
