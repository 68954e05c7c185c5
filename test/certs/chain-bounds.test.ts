// Bounded chain building (issue 15): a planted value of CA certificates that cross-sign each other
// in loops must cost a bounded number of signature checks and get a verdict, not stall the run.
// Today's code (before the bound) walked every simple path: 13 such CAs took 18 s, 20 about 15 min.
import { beforeAll, describe, expect, it } from "vitest";
import { buildCertsOnlyPkcs7, CertCache, type CertSummary, TrustStore } from "../../src/certs/index.js";
import { CHAIN_LIMITS } from "../../src/model/limits.js";
import { evaluate } from "../../src/policy/index.js";
import { loopPkcs7 } from "../fixtures/loop-pkcs7.js";
import { makeIntermediate, makeUser, NOW, type TestPki, testPki } from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

let pki: TestPki;
const cache = new CertCache();
beforeAll(async () => {
  pki = await testPki();
});

function summaries(bytes: Uint8Array): CertSummary[] {
  const r = cache.value(bytes);
  if (!r.ok) throw new Error(r.error.message);
  return [...r.certs];
}
function cert(der: Uint8Array): CertSummary {
  return summaries(der)[0]!;
}

describe("chain building on a planted loop of cross-signed CAs", () => {
  it("stops at the per-certificate bound of signature checks and says which bound", async () => {
    const { value } = await loopPkcs7({ cas: 20, email: "mallory@example.com" });
    expect(value.length).toBeLessThan(10_000);
    const certs = summaries(value);
    expect(certs.filter((c) => c.isCA)).toHaveLength(20);
    const store = new TrustStore([cert(pki.root.der)], [cert(pki.intermediate.der)]);
    const leaf = certs.find((c) => !c.isCA)!;
    const r = store.buildPath(
      leaf,
      certs.filter((c) => c.isCA),
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.exceeded).toBe("signature checks per certificate");
    expect(r.checks).toBeLessThanOrEqual(CHAIN_LIMITS.maxSignatureChecksPerCertificate);
    // Real verifications: no more than the checks asked for (pairs are memoised).
    expect(store.verifications).toBeLessThanOrEqual(CHAIN_LIMITS.maxSignatureChecksPerCertificate);
    expect(store.verifications).toBeGreaterThan(0);
  });

  it("a small loop inside the bounds ends as untrusted-issuer, each certificate expanded a bounded number of times", async () => {
    const { value } = await loopPkcs7({ cas: 6, email: "mallory@example.com" });
    const certs = summaries(value);
    const store = new TrustStore([cert(pki.root.der)], []);
    const r = store.buildPath(
      certs.find((c) => !c.isCA)!,
      certs.filter((c) => c.isCA),
    );
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.exceeded).toBeUndefined();
    // Without the visited set, 6 mutually signing CAs give 6+6·5+…+6! = 1,956 paths to check.
    expect(r.checks).toBeLessThan(100);
  });

  it("the loop does not hide a real chain: configured CAs are tried before a value's own", async () => {
    // The planted CAs take the real issuing CA's name, so every one of them is a candidate issuer.
    const { value, cas } = await loopPkcs7({
      cas: 20,
      email: "mallory@example.com",
      name: "CN=Test Issuing CA, O=smimesync tests",
    });
    expect(cas).toHaveLength(20);
    const good = await makeUser(pki.intermediate, { emails: ["alice@example.com"] });
    const store = new TrustStore([cert(pki.root.der)], [cert(pki.intermediate.der)]);
    const r = store.buildPath(
      cert(good.der),
      summaries(value).filter((c) => c.isCA),
    );
    expect(r.ok && r.path.map((c) => c.subject)).toEqual([
      "CN=alice@example.com",
      "CN=Test Issuing CA, O=smimesync tests",
      "CN=Test Root CA, O=smimesync tests",
    ]);
    expect(r.checks).toBe(2);
  });

  it("a legitimate chain of the longest allowed length is found, one longer is not (depth limit)", async () => {
    const levels = [pki.intermediate];
    for (let i = 0; i < CHAIN_LIMITS.maxPathLength - 2; i++) {
      levels.push(await makeIntermediate(levels.at(-1)!, { name: `CN=Level ${i} CA`, slot: 300 + i }));
    }
    const store = new TrustStore(
      [cert(pki.root.der)],
      levels.map((l) => cert(l.der)),
    );
    const fits = await makeUser(levels.at(-2)!, { emails: ["deep@example.com"] });
    const r = store.buildPath(cert(fits.der));
    expect(r.ok && r.path).toHaveLength(CHAIN_LIMITS.maxPathLength);
    const tooDeep = await makeUser(levels.at(-1)!, { emails: ["deeper@example.com"] });
    expect(store.buildPath(cert(tooDeep.der))).toMatchObject({
      ok: false,
      problem: "certificate path is too long",
    });
  });
});

describe("the verdict of a planted value, and the run goes on", () => {
  it("gets chain-too-complex while the user's real certificate beside it is still accepted", async () => {
    const { policy, cache: policyCache } = await testPolicy({ publish: { userSMIMECertificate: "keep" } });
    const { value } = await loopPkcs7({ cas: 20, email: "alice@example.com" });
    const good = await makeUser(pki.intermediate, { emails: ["alice@example.com"] });
    const before = policy.trust.verifications;
    const smime = evaluate(
      policy,
      { mail: "alice@example.com", proxyAddresses: [] },
      "userSMIMECertificate",
      [
        { bytes: value, source: "authority" },
        { bytes: buildCertsOnlyPkcs7([good.der]), source: "authority" },
      ],
      NOW,
      policyCache,
    );
    expect(smime.verdicts[0]).toMatchObject({ status: "rejected", reason: "chain-too-complex" });
    expect(smime.verdicts[1]).toMatchObject({ status: "accepted" });
    expect(policy.trust.verifications - before).toBeLessThanOrEqual(
      CHAIN_LIMITS.maxSignatureChecksPerValue + CHAIN_LIMITS.maxSignatureChecksPerCertificate,
    );
  });

  it("one value holding many users' certificates under the loop draws on one budget per value", async () => {
    const { policy, cache: policyCache } = await testPolicy();
    const { value: loop, cas } = await loopPkcs7({ cas: 20, email: "alice@example.com" });
    const leaves = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        makeUser(cas[0]!, { emails: ["alice@example.com"], slot: 960 + i }),
      ),
    );
    const caDer = summaries(loop)
      .filter((c) => c.isCA)
      .map((c) => c.der);
    const value = buildCertsOnlyPkcs7([...caDer, ...leaves.map((l) => l.der)]);
    const d = evaluate(
      policy,
      { mail: "alice@example.com", proxyAddresses: [] },
      "userCertificate",
      [{ bytes: value, source: "repository" }],
      NOW,
      policyCache,
    );
    const bounds = d.verdicts[0]!.certs.map((v) => (v.status === "rejected" ? v.explanation : v.status));
    expect(bounds).toHaveLength(6);
    expect(bounds.every((b) => b.includes("chain building gave up"))).toBe(true);
    expect(bounds.some((b) => b.includes("signature checks per value"))).toBe(true);
  });
});
