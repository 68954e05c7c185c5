// Selection of the desired set: order, ties, duplicates across forms, the 15-value ceiling, and
// the userSMIMECertificate modes (derive builds deterministic PKCS#7, keep judges blobs).
import { beforeAll, describe, expect, it } from "vitest";
import {
  buildCertsOnlyPkcs7,
  buildOutlookBlob,
  CertCache,
  parseCertificates,
} from "../../src/certs/index.js";
import { type Candidate, evaluate } from "../../src/policy/index.js";
import { daysFromNow, type Issued, makeUser, NOW, type TestPki, testPki } from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

let pki: TestPki;
const addresses = Array.from({ length: 20 }, (_, i) => `user${i}@example.com`);
const BOB = { mail: "bob@example.com", proxyAddresses: addresses.map((a) => `smtp:${a}`) };
const auth = (c: Issued | Uint8Array): Candidate => ({
  bytes: c instanceof Uint8Array ? c : c.der,
  source: "authority",
});

beforeAll(async () => {
  pki = await testPki();
});

function desired(d: ReturnType<typeof evaluate>): Uint8Array[] {
  if (d.mode === "off") throw new Error("attribute not managed");
  return d.desired.map((x) => x.bytes);
}

describe("selection for userCertificate", () => {
  it("orders newest first by notBefore, ties by notAfter then SHA-256, whatever the input order", async () => {
    const { policy, cache } = await testPolicy({ maxPerUser: 15 });
    const nb = daysFromNow(-10);
    const a = await makeUser(pki.intermediate, {
      emails: [addresses[0]!],
      notBefore: nb,
      notAfter: daysFromNow(100),
    });
    const b = await makeUser(pki.intermediate, {
      emails: [addresses[1]!],
      notBefore: nb,
      notAfter: daysFromNow(200),
    });
    const c = await makeUser(pki.intermediate, {
      emails: [addresses[2]!],
      notBefore: nb,
      notAfter: daysFromNow(200),
    });
    const d = await makeUser(pki.intermediate, { emails: [addresses[3]!], notBefore: daysFromNow(-1) });
    const forward = desired(evaluate(policy, BOB, "userCertificate", [a, b, c, d].map(auth), NOW, cache));
    const backward = desired(evaluate(policy, BOB, "userCertificate", [d, c, b, a].map(auth), NOW, cache));
    expect(forward).toEqual(backward);
    const hex = (x: Uint8Array) => cache.certificate(x);
    const [bc1, bc2] = [b, c]
      .map((x) => hex(x.der))
      .sort((x, y) => (x.ok && y.ok && x.cert.sha256 < y.cert.sha256 ? -1 : 1));
    expect(forward.map((x) => hex(x))).toEqual([hex(d.der), bc1, bc2, hex(a.der)]);
  });

  it("collapses one certificate present as DER and inside a PKCS#7 and an Outlook blob", async () => {
    const { policy, cache } = await testPolicy();
    const u = await makeUser(pki.intermediate, { emails: ["bob@example.com"] });
    const candidates: Candidate[] = [
      { bytes: buildCertsOnlyPkcs7([u.der, pki.intermediate.der]), source: "repository" },
      auth(u),
      { bytes: buildOutlookBlob([{ tag: 3, data: u.der }]), source: "sibling" },
    ];
    const d = evaluate(policy, BOB, "userCertificate", candidates, NOW, cache);
    expect(desired(d)).toEqual([u.der]);
    expect(d.mode !== "off" && d.desired[0]!.from).toBe(1); // the authority's DER value is the one kept
    expect(d.verdicts.map((v) => (v.status === "rejected" ? v.reason : v.status))).toEqual([
      "duplicate",
      "accepted",
      "duplicate",
    ]);
  });

  it("never selects more than 15, even when maxPerUser says more", async () => {
    const { policy, cache } = await testPolicy({ maxPerUser: 40 });
    expect(policy.maxPerUser).toBe(15);
    const certs = await Promise.all(
      addresses
        .slice(0, 17)
        .map((a, i) => makeUser(pki.intermediate, { emails: [a], notBefore: daysFromNow(-i - 1) })),
    );
    const d = evaluate(policy, BOB, "userCertificate", certs.map(auth), NOW, cache);
    expect(desired(d)).toEqual(certs.slice(0, 15).map((c) => c.der));
    expect(d.verdicts.slice(15).map((v) => v.status === "rejected" && v.reason)).toEqual([
      "over-limit",
      "over-limit",
    ]);
  });

  it("marks a PKCS#7 found in userCertificate at the authority as malformed but still publishes its certificate as DER", async () => {
    const { policy, cache } = await testPolicy();
    const u = await makeUser(pki.intermediate, { emails: ["bob@example.com"] });
    const d = evaluate(policy, BOB, "userCertificate", [auth(buildCertsOnlyPkcs7([u.der]))], NOW, cache);
    expect(d.verdicts[0]).toMatchObject({ status: "rejected", reason: "malformed" });
    expect(desired(d)).toEqual([u.der]);
  });

  it("leaves the attribute alone when publish.userCertificate is false", async () => {
    const { policy, cache } = await testPolicy({ publish: { userCertificate: false } });
    const u = await makeUser(pki.intermediate, { emails: ["bob@example.com"] });
    const d = evaluate(policy, BOB, "userCertificate", [auth(u)], NOW, cache);
    expect(d.mode).toBe("off");
    expect(d.verdicts[0]).toMatchObject({ status: "accepted" });
  });
});

describe("userSMIMECertificate, derive mode", () => {
  it("desires one deterministic certs-only PKCS#7 per selected certificate, with the chain when asked", async () => {
    const { policy, cache } = await testPolicy({
      publish: { userSMIMECertificate: "derive", includeChain: true },
    });
    const u = await makeUser(pki.intermediate, { emails: ["bob@example.com"] });
    const sibling: Candidate = { bytes: u.der, source: "sibling" };
    const first = evaluate(policy, BOB, "userSMIMECertificate", [sibling], NOW, cache);
    const again = evaluate(policy, BOB, "userSMIMECertificate", [sibling], NOW, new CertCache());
    expect(desired(first)).toEqual(desired(again));
    expect(first.mode !== "off" && first.desired[0]!.derived).toBe(true);
    const inside = parseCertificates(desired(first)[0]!);
    expect(inside.ok && inside.certs.map((c) => c.subject).sort()).toEqual([
      "CN=Test Issuing CA, O=smimesync tests",
      "CN=bob@example.com",
    ]);

    // The derived value, once at the authority, is kept as is; an Outlook blob of the same
    // certificate is reported as a duplicate of it.
    const blob = buildOutlookBlob([{ tag: 3, data: u.der }]);
    const later = evaluate(
      policy,
      BOB,
      "userSMIMECertificate",
      [auth(desired(first)[0]!), auth(blob), sibling],
      NOW,
      cache,
    );
    expect(desired(later)).toEqual(desired(first));
    expect(later.verdicts.map((v) => (v.status === "rejected" ? v.reason : v.status))).toEqual([
      "accepted",
      "duplicate",
      "duplicate",
    ]);
  });
});

describe("userSMIMECertificate, keep mode", () => {
  it("keeps an Outlook dual-key blob (signing certificate beside an encryption one)", async () => {
    const { policy, cache } = await testPolicy({ publish: { userSMIMECertificate: "keep" } });
    const enc = await makeUser(pki.intermediate, { emails: ["bob@example.com"], kind: "rsa-2048" });
    const sig = await makeUser(pki.intermediate, { emails: ["bob@example.com"], kind: "ed25519" });
    const blob = buildOutlookBlob([
      { tag: 3, data: enc.der },
      { tag: 8, data: sig.der },
      { tag: 4, data: pki.intermediate.der },
    ]);
    const d = evaluate(policy, BOB, "userSMIMECertificate", [auth(blob)], NOW, cache);
    expect(d.verdicts[0]).toMatchObject({ status: "accepted" });
    expect(d.verdicts[0]!.certs.map((c) => c.status)).toEqual(["accepted", "rejected"]);
    expect(desired(d)).toEqual([blob]);
  });

  it("rejects a blob by its worst certificate, a newer blob supersedes an older, DER is the wrong form", async () => {
    const { policy, cache } = await testPolicy({ publish: { userSMIMECertificate: "keep" } });
    const expired = await makeUser(pki.intermediate, {
      emails: ["bob@example.com"],
      notBefore: daysFromNow(-400),
      notAfter: daysFromNow(-2),
    });
    const old = await makeUser(pki.intermediate, {
      emails: ["bob@example.com"],
      notBefore: daysFromNow(-200),
    });
    const fresh = await makeUser(pki.intermediate, {
      emails: ["bob@example.com"],
      notBefore: daysFromNow(-1),
    });
    const blobs = [
      buildCertsOnlyPkcs7([expired.der, fresh.der]),
      buildCertsOnlyPkcs7([old.der]),
      buildCertsOnlyPkcs7([fresh.der, pki.intermediate.der]),
    ];
    const d = evaluate(policy, BOB, "userSMIMECertificate", [...blobs.map(auth), auth(fresh)], NOW, cache);
    expect(d.verdicts.map((v) => (v.status === "rejected" ? v.reason : v.status))).toEqual([
      "expired",
      "superseded",
      "accepted",
      "malformed",
    ]);
    expect(desired(d)).toEqual([blobs[2]]);
  });
});
