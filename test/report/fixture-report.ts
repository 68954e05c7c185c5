// The fixed, hand-built report of the golden files: coverage already judged (one recipient of each
// status, blockers, a CA-limited certificate, hostile directory values), run through the real
// figure code (assembleReport) at a fixed policy time.
import { assembleReport, type WatchedCa } from "../../src/report/build.js";
import type { RecipientCoverage, Report, UsableCertificate } from "../../src/report/types.js";
import { adUserAddress, exchangeAddress, fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";

export const POLICY_TIME = "2026-01-15T09:00:00.000Z";
const at = (days: number) => new Date(Date.parse(POLICY_TIME) + days * 86_400_000).toISOString();

const STAFF = "OU=Staff,DC=corp,DC=example,DC=com";
const SALES = "OU=Sales\\, EMEA,OU=Staff,DC=corp,DC=example,DC=com";
const ISSUING = "CN=Corp Issuing CA 1, O=Corp, C=DE";
const PARTNER_CA = "CN=Partner CA, O=Partner";

function usable(cn: string, email: string, days: number, o: { issuer?: string; caDays?: number } = {}) {
  const c = fakeCertificate({ cn, email, notAfter: at(days), ...(o.issuer ? { issuer: o.issuer } : {}) });
  const best: UsableCertificate =
    o.caDays !== undefined && o.caDays < days
      ? { certificate: c.ref, until: at(o.caDays), limitedBy: "issuing-ca" }
      : { certificate: c.ref, until: at(days), limitedBy: "certificate" };
  return { cert: c, best };
}

function ad(
  mail: string,
  ou: string,
): Pick<RecipientCoverage, "address" | "mail" | "authority" | "kind" | "ou"> {
  return { address: adUserAddress(mail), mail, authority: "ad", kind: "user", ou };
}

export function fixtureReport(weeks = 12): Report {
  const alice = usable("Alice Example", "alice@corp.example.com", 5);
  const bob = usable("Bob Example", "bob@corp.example.com", 20);
  const carol = usable("Carol Cloud", "carol@corp.example.com", 400);
  const dave = usable("Dave Partner", "dave@partner.example", 300, { issuer: PARTNER_CA, caDays: 50 });
  const erin = usable("Erin O'Neil | *Sales*", "erin@corp.example.com", 30);
  const hostile = usable('=HYPERLINK("http://evil.example")', "=cmd@corp.example.com", 12);
  const pending = usable("Judy Jones", "judy@corp.example.com", 200);
  const blocked = usable("Olga Over", "olga@corp.example.com", 150);
  const expired = fakeCertificate({
    cn: "Frank Old",
    email: "frank@corp.example.com",
    notBefore: "2024-01-01T00:00:00.000Z",
    notAfter: "2025-12-31T23:59:59.000Z",
  });

  const recipients: RecipientCoverage[] = [
    { ...ad("alice@corp.example.com", STAFF), status: "covered", blockers: [], best: alice.best, note: null },
    { ...ad("bob@corp.example.com", SALES), status: "covered", blockers: [], best: bob.best, note: null },
    {
      address: exchangeAddress("carol@corp.example.com"),
      mail: "carol@corp.example.com",
      authority: "exchange",
      kind: "user",
      ou: "Exchange Online (cloud-only)",
      status: "covered",
      blockers: [],
      best: carol.best,
      note: null,
    },
    {
      address: exchangeAddress("dave@partner.example", "contact"),
      mail: "dave@partner.example",
      authority: "exchange",
      kind: "contact",
      ou: "Exchange Online (partner contacts)",
      status: "covered",
      blockers: [],
      best: dave.best,
      note: null,
    },
    {
      ...ad("erin@corp.example.com", SALES),
      status: "covered",
      blockers: ["over-limit"],
      best: erin.best,
      note: null,
    },
    {
      ...ad("=cmd@corp.example.com", "OU=<script>alert(1)</script>,DC=corp,DC=example,DC=com"),
      status: "covered",
      blockers: [],
      best: hostile.best,
      note: null,
    },
    {
      ...ad("judy@corp.example.com", SALES),
      status: "pending",
      blockers: [],
      best: pending.best,
      note: "in AD, not yet in Exchange Online (waiting for Entra Connect)",
    },
    {
      ...ad("olga@corp.example.com", STAFF),
      status: "blocked",
      blockers: ["over-limit", "provisioning-error"],
      best: blocked.best,
      note: "not in Exchange Online: over-limit, provisioning-error",
    },
    {
      ...ad("frank@corp.example.com", STAFF),
      status: "none",
      blockers: [],
      best: null,
      note: "expired: expired on 2025-12-31",
    },
    {
      ...ad("+sam@corp.example.com", STAFF),
      status: "none",
      blockers: [],
      best: null,
      note: "key-usage-unfit: key usage (digitalSignature) does not allow keyAgreement: nobody could encrypt to it",
    },
  ];

  const plan = new PlanBuilder({ policyTime: POLICY_TIME, inScope: recipients.length })
    .adUser("frank@corp.example.com")
    .adUser("erin@corp.example.com")
    .remove(
      adUserAddress("frank@corp.example.com"),
      "userCertificate",
      expired,
      "expired",
      "expired on 2025-12-31",
    )
    .wouldRemove(adUserAddress("erin@corp.example.com"), "userCertificate", erin.cert, "superseded")
    .build();

  const cas: WatchedCa[] = [
    {
      source: "trust-anchor",
      certificate: {
        ...fakeCertificate({ cn: "Corp Root CA", notAfter: at(3650) }).ref,
        subject: "CN=Corp Root CA",
      },
    },
    {
      source: "intermediate",
      certificate: { ...fakeCertificate({ cn: "Partner CA", notAfter: at(50) }).ref, subject: PARTNER_CA },
    },
    {
      source: "intermediate",
      certificate: {
        ...fakeCertificate({ cn: "Corp Issuing CA 0", notAfter: at(-3) }).ref,
        subject: ISSUING,
      },
    },
  ];
  return assembleReport({ plan, recipients, cas, weeks });
}
