// One test per reason code: a certificate built to fail exactly that check, judged by the engine.
import { beforeAll, describe, expect, it } from "vitest";
import { buildCertsOnlyPkcs7, CertCache } from "../../src/certs/index.js";
import type { PolicyConfig } from "../../src/config/types.generated.js";
import {
  buildPolicy,
  type Candidate,
  evaluate,
  materialWarnings,
  type Policy,
  REASON_CODES,
  type ReasonCode,
  shouldPrune,
  type ValueVerdict,
} from "../../src/policy/index.js";
import { loopPkcs7 } from "../fixtures/loop-pkcs7.js";
import {
  CLIENT_AUTH,
  daysFromNow,
  type Issued,
  makeCrl,
  makeIntermediate,
  makeRoot,
  makeUser,
  NOW,
  pem,
  privateKeyPkcs8,
  type TestPki,
  testPki,
} from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

const ALICE = {
  mail: "alice@example.com",
  proxyAddresses: ["SMTP:alice@example.com", "smtp:a.smith@example.org", "X500:/o=Org/cn=alice"],
};
let pki: TestPki;

beforeAll(async () => {
  pki = await testPki();
});

async function judge(
  value: Uint8Array | Issued,
  opts: {
    config?: PolicyConfig;
    crls?: Uint8Array[];
    recipient?: typeof ALICE;
    source?: Candidate["source"];
    policy?: Policy;
  } = {},
): Promise<ValueVerdict> {
  const { policy, cache } = opts.policy
    ? { policy: opts.policy, cache: new CertCache() }
    : await testPolicy(opts.config, { ...(opts.crls ? { crls: opts.crls } : {}) });
  const bytes = value instanceof Uint8Array ? value : value.der;
  const d = evaluate(
    policy,
    opts.recipient ?? ALICE,
    "userCertificate",
    [{ bytes, source: opts.source ?? "authority" }],
    NOW,
    cache,
  );
  return d.verdicts[0]!;
}

const covered = new Set<ReasonCode>();
function expectReason(v: ValueVerdict, reason: ReasonCode): void {
  covered.add(reason);
  if (reason === "expiring-soon") {
    expect(v).toMatchObject({ status: "warning", reason });
  } else {
    expect(v).toMatchObject({ status: "rejected", reason });
  }
  expect(v.explanation).not.toMatch(/\n/);
  expect(v.explanation.length).toBeGreaterThan(5);
}

describe("a certificate fit for S/MIME", () => {
  it("is accepted and desired", async () => {
    const { policy, cache } = await testPolicy();
    const good = await makeUser(pki.intermediate);
    const d = evaluate(
      policy,
      ALICE,
      "userCertificate",
      [{ bytes: good.der, source: "authority" }],
      NOW,
      cache,
    );
    expect(d.verdicts[0]).toMatchObject({ status: "accepted" });
    expect(d.mode !== "off" && d.desired.map((x) => x.bytes)).toEqual([good.der]);
  });

  it("matches an smtp: proxy address and the subject emailAddress, case-insensitively", async () => {
    expect(await judge(await makeUser(pki.intermediate, { emails: ["A.Smith@Example.ORG"] }))).toMatchObject({
      status: "accepted",
    });
    expect(
      await judge(await makeUser(pki.intermediate, { emails: [], subjectEmail: "ALICE@example.com" })),
    ).toMatchObject({ status: "accepted" });
  });

  it("accepts RSA 2048 keys, and chains signed with Ed25519", async () => {
    expect(await judge(await makeUser(pki.intermediate, { kind: "rsa-2048" }))).toMatchObject({
      status: "accepted",
    });
    const edRoot = await makeRoot({ name: "CN=Ed25519 Root", kind: "ed25519", slot: 102 });
    const policy = buildPolicy(
      {},
      { trustAnchors: [{ name: "ed", bytes: edRoot.der }], intermediates: [], crls: [] },
    );
    const v = await judge(await makeUser(edRoot), { policy });
    expect(v).toMatchObject({ status: "accepted" });
    expect(v.certs[0]!.cert.signature.name).toBe("Ed25519");
  });
});

describe("reason codes", () => {
  it("malformed", async () => {
    expectReason(await judge(Uint8Array.from([0x30, 0x82, 0xff, 0xff, 1, 2])), "malformed");
    expectReason(await judge(Buffer.from("not a certificate")), "malformed");
  });

  it("private-key", async () => {
    const user = await makeUser(pki.intermediate);
    const bundle = Buffer.from(
      pem("CERTIFICATE", user.der) + pem("PRIVATE KEY", await privateKeyPkcs8(user.keys)),
    );
    const v = await judge(bundle, { source: "repository" });
    expectReason(v, "private-key");
    expect(v.certs).toEqual([]);
  });

  it("expired", async () => {
    expectReason(
      await judge(
        await makeUser(pki.intermediate, { notBefore: daysFromNow(-400), notAfter: daysFromNow(-1) }),
      ),
      "expired",
    );
  });

  it("not-yet-valid", async () => {
    expectReason(
      await judge(
        await makeUser(pki.intermediate, { notBefore: daysFromNow(2), notAfter: daysFromNow(400) }),
      ),
      "not-yet-valid",
    );
  });

  it("expiring-soon is a warning and the certificate is still desired", async () => {
    const { policy, cache } = await testPolicy({ requirements: { expiringSoonDays: 30 } });
    const soon = await makeUser(pki.intermediate, { notAfter: daysFromNow(10) });
    const d = evaluate(
      policy,
      ALICE,
      "userCertificate",
      [{ bytes: soon.der, source: "authority" }],
      NOW,
      cache,
    );
    expectReason(d.verdicts[0]!, "expiring-soon");
    expect(d.verdicts[0]!.explanation).toContain("in 10 days");
    expect(d.mode !== "off" && d.desired).toMatchObject([{ status: "warning" }]);
  });

  it("no-email-protection-eku: an EKU list without it, or no EKU at all", async () => {
    expectReason(
      await judge(await makeUser(pki.intermediate, { eku: [CLIENT_AUTH] })),
      "no-email-protection-eku",
    );
    expectReason(await judge(await makeUser(pki.intermediate, { eku: null })), "no-email-protection-eku");
    expect(
      await judge(await makeUser(pki.intermediate, { eku: null }), {
        config: { requirements: { emailProtectionEku: false } },
      }),
    ).toMatchObject({
      status: "accepted",
    });
  });

  it("key-usage-unfit: a signing-only EC key, an Ed25519 key, a CA certificate", async () => {
    expectReason(
      await judge(await makeUser(pki.intermediate, { keyUsage: 1 /* digitalSignature */ })),
      "key-usage-unfit",
    );
    expectReason(await judge(await makeUser(pki.intermediate, { kind: "ed25519" })), "key-usage-unfit");
    expectReason(
      await judge(await makeUser(pki.intermediate, { ca: true, keyUsage: null })),
      "key-usage-unfit",
    );
  });

  it("weak-key: RSA under minRsaBits, a curve not allowed", async () => {
    const v = await judge(await makeUser(pki.intermediate, { kind: "rsa-1024" }));
    expectReason(v, "weak-key");
    expect(v.explanation).toContain("RSA 1024");
    expectReason(
      await judge(await makeUser(pki.intermediate), {
        config: { requirements: { allowedCurves: ["P-384"] } },
      }),
      "weak-key",
    );
  });

  it("weak-signature: SHA-1", async () => {
    const v = await judge(await makeUser(pki.intermediate, { hash: "SHA-1" }));
    expectReason(v, "weak-signature");
    expect(v.explanation).toContain("ecdsa-with-SHA1");
  });

  it("untrusted-issuer: unknown root, missing intermediate, expired intermediate, bad signature", async () => {
    expectReason(await judge(await makeUser(pki.otherRoot)), "untrusted-issuer");
    const { policy } = await testPolicy({}, { withIntermediate: false });
    const v = await judge(await makeUser(pki.intermediate), { policy });
    expectReason(v, "untrusted-issuer");
    expect(v.explanation).toContain("Test Issuing CA");

    const old = await makeIntermediate(pki.root, {
      name: "CN=Old Issuing CA",
      notBefore: daysFromNow(-900),
      notAfter: daysFromNow(-5),
      slot: 201,
    });
    const oldPolicy = buildPolicy(
      {},
      {
        trustAnchors: [{ name: "r", bytes: pki.root.der }],
        intermediates: [{ name: "o", bytes: old.der }],
        crls: [],
      },
    );
    const u = await makeUser(old, { notBefore: daysFromNow(-100), notAfter: daysFromNow(100) });
    const expiredCa = await judge(u, { policy: oldPolicy });
    expectReason(expiredCa, "untrusted-issuer");
    expect(expiredCa.explanation).toContain("expired");

    // Same issuer name, different key: the signature cannot verify.
    const impostor = await makeIntermediate(pki.otherRoot, {
      name: "CN=Test Issuing CA, O=smimesync tests",
      slot: 202,
    });
    const forged = await judge(await makeUser(impostor), {});
    expectReason(forged, "untrusted-issuer");
    expect(forged.explanation).toContain("does not verify");
  });

  it("chain-too-complex: a value whose CA certificates cross-sign in loops", async () => {
    const { value } = await loopPkcs7({ cas: 12, email: "alice@example.com" });
    const v = await judge(value, { source: "repository" });
    expectReason(v, "chain-too-complex");
    expect(v.explanation).toContain("signature checks per certificate");
  });

  it("untrusted-issuer is lifted by an intermediate found beside the certificate in a PKCS#7", async () => {
    const { policy, cache } = await testPolicy({}, { withIntermediate: false });
    const user = await makeUser(pki.intermediate);
    const d = evaluate(
      policy,
      ALICE,
      "userCertificate",
      [{ bytes: buildCertsOnlyPkcs7([user.der, pki.intermediate.der]), source: "repository" }],
      NOW,
      cache,
    );
    expect(d.verdicts[0]).toMatchObject({ status: "accepted" });
    expect(d.mode !== "off" && d.desired.map((x) => x.sha256)).toEqual([
      d.verdicts[0]!.certs[0]!.cert.sha256,
    ]);
  });

  it("revoked: listed in a CRL whose signature verifies", async () => {
    const user = await makeUser(pki.intermediate);
    const crl = await makeCrl(pki.intermediate, [{ serial: user.serial, reason: 1 }]);
    const v = await judge(user, { crls: [crl] });
    expectReason(v, "revoked");
    expect(v.explanation).toContain("keyCompromise");
  });

  it("a CRL with a bad signature is reported and ignored; an expired one is reported", async () => {
    const user = await makeUser(pki.intermediate);
    const forged = await makeCrl(pki.intermediate, [{ serial: user.serial }], { signer: pki.otherRoot });
    const { policy } = await testPolicy({}, { crls: [forged] });
    expect(policy.problems).toMatchObject([
      { file: "crl0.crl", severity: "error", message: expect.stringContaining("not signed") },
    ]);
    expect(await judge(user, { policy })).toMatchObject({ status: "accepted" });

    const stale = await makeCrl(pki.intermediate, [], {
      thisUpdate: daysFromNow(-20),
      nextUpdate: daysFromNow(-3),
    });
    const { policy: p2 } = await testPolicy({}, { crls: [stale] });
    expect(p2.problems).toEqual([]);
    expect(materialWarnings(p2, NOW)).toMatchObject([
      { severity: "warning", message: expect.stringContaining("expired") },
    ]);
  });

  it("email-mismatch: other address, X500 proxy ignored, no address at all", async () => {
    expectReason(
      await judge(await makeUser(pki.intermediate, { emails: ["mallory@example.com"] })),
      "email-mismatch",
    );
    const x500 = { mail: "", proxyAddresses: ["X500:alice@example.com"] };
    expectReason(await judge(await makeUser(pki.intermediate), { recipient: x500 }), "email-mismatch");
    expectReason(await judge(await makeUser(pki.intermediate, { emails: [] })), "email-mismatch");
  });

  it("duplicate, superseded, over-limit (selection reasons)", async () => {
    const { policy, cache } = await testPolicy({ maxPerUser: 2 });
    const a = await makeUser(pki.intermediate, { notBefore: daysFromNow(-60) });
    const renewed = await makeUser(pki.intermediate, { notBefore: daysFromNow(-5) });
    const other1 = await makeUser(pki.intermediate, {
      emails: ["a.smith@example.org"],
      notBefore: daysFromNow(-10),
    });
    const other2 = await makeUser(pki.intermediate, {
      emails: ["a.smith@example.org"],
      keyUsage: 0x10 /* keyAgreement only: another role */,
      notBefore: daysFromNow(-20),
    });
    const d = evaluate(
      policy,
      ALICE,
      "userCertificate",
      [
        ...[a, renewed, other1, other2].map((c): Candidate => ({ bytes: c.der, source: "authority" })),
        { bytes: Buffer.from(pem("CERTIFICATE", renewed.der)), source: "repository" },
      ],
      NOW,
      cache,
    );
    expectReason(d.verdicts[0]!, "superseded");
    expect(d.verdicts[1]).toMatchObject({ status: "accepted" });
    expect(d.verdicts[2]).toMatchObject({ status: "accepted" });
    expectReason(d.verdicts[3]!, "over-limit");
    expectReason(d.verdicts[4]!, "duplicate");
  });

  it("covers every reason code", () => {
    expect([...covered].sort()).toEqual([...REASON_CODES].sort());
  });
});

describe("several failures", () => {
  it("keep every finding, the most severe first, and prune when any finding's switch is on", async () => {
    const user = await makeUser(pki.otherRoot, {
      emails: ["x@example.com"],
      notAfter: daysFromNow(-1),
      notBefore: daysFromNow(-100),
    });
    const { policy } = await testPolicy({ prune: { "email-mismatch": true } });
    const v = await judge(user, { policy });
    expect(v.status === "rejected" && v.findings.map((f) => f.reason)).toEqual([
      "untrusted-issuer",
      "expired",
      "email-mismatch",
    ]);
    expect(shouldPrune(policy, v)).toBe(true);
    const { policy: keepAll } = await testPolicy();
    expect(shouldPrune(keepAll, v)).toBe(false);
  });
});
