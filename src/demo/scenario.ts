// Builds the demo organisation relative to `now`, so the demo never rots: every certificate's
// validity is counted in days from the moment the demo is made. The CAs are made here; the AD
// users in scenario-users.ts; the cloud-only mailbox, the repository's certificates and the
// partner contact below.
import type { CloudMailbox, DeclaredCertificate, DeclaredContact, DemoOrganisation } from "./organisation.js";
import { mailOf } from "./organisation.js";
import { daysFrom, issueCrl, issueUserCertificate, makeIssuingCa, makeRootCa, pem } from "./pki.js";
import { adUsers, type IssueFn, values, YEAR } from "./scenario-users.js";

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
  const issue: IssueFn = (cn, email, from, days, more = {}) =>
    issueUserCertificate(issuing, {
      cn,
      emails: [email],
      notBefore: at(from),
      notAfter: at(from + days),
      ...(more.sha1 ? { signatureHash: "SHA-1" as const } : {}),
    });
  const der = async (cn: string, alias: string, from: number): Promise<Uint8Array> =>
    (await issue(cn, mailOf(alias), from, YEAR)).der;

  const { users, revoked } = await adUsers(issue);
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
      text: pemOf(await der("Grace Green", "grace.green", -1)),
      story: "Grace's new certificate, added in a pull request",
    },
    {
      mail: mailOf("frank.fischer"),
      path: "certs/frank.fischer.pem",
      text: pemOf(await der("Frank Fischer", "frank.fischer", -3)),
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

  const crl = await issueCrl(
    issuing,
    revoked.map((r) => ({ serial: r.serial, date: at(r.day) })),
    at(-1),
    at(6),
  );
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
