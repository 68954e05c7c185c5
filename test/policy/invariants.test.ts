// Properties of every decision, over random mixes of good, bad and duplicated values: what
// reconcile relies on to turn verdicts into changes without re-deriving anything.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCertsOnlyPkcs7, buildOutlookBlob, CertCache } from "../../src/certs/index.js";
import { CERT_ATTRIBUTES } from "../../src/model/attributes.js";
import { type Candidate, evaluate } from "../../src/policy/index.js";
import { daysFromNow, makeUser, NOW, pem, testPki } from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

const BOB = { mail: "bob@example.com", proxyAddresses: ["smtp:b@example.com", "smtp:c@example.com"] };
let pool: Uint8Array[] = [];

beforeAll(async () => {
  const pki = await testPki();
  const mk = (emails: string[], nb: number, na = 300, extra = {}) =>
    makeUser(pki.intermediate, { emails, notBefore: daysFromNow(nb), notAfter: daysFromNow(na), ...extra });
  const users = await Promise.all([
    mk(["bob@example.com"], -300),
    mk(["bob@example.com"], -10),
    mk(["bob@example.com"], -10),
    mk(["b@example.com"], -50, 20),
    mk(["c@example.com", "bob@example.com"], -5),
    mk(["bob@example.com"], -400, -1),
    mk(["eve@example.com"], -3),
    mk(["bob@example.com"], -2, 300, { keyUsage: 0x10 }),
    mk(["bob@example.com"], -1, 300, { kind: "ed25519" }),
  ]);
  const der = users.map((u) => u.der);
  pool = [
    ...der,
    buildCertsOnlyPkcs7([der[1]!, pki.intermediate.der]),
    buildCertsOnlyPkcs7([der[4]!]),
    buildOutlookBlob([
      { tag: 3, data: der[7]! },
      { tag: 8, data: der[8]! },
    ]),
    Buffer.from(pem("CERTIFICATE", der[3]!)),
    Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00),
  ];
});

const sha = (b: Uint8Array) => Buffer.from(b).toString("base64");

describe("decision invariants", () => {
  it("hold for any mix of candidates, modes and limits", async () => {
    const policies = await Promise.all(
      (["keep", "derive"] as const).flatMap((mode) =>
        [1, 2, 3, 15].map((maxPerUser) =>
          testPolicy({ maxPerUser, publish: { userSMIMECertificate: mode, includeChain: maxPerUser === 2 } }),
        ),
      ),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 100 }), { maxLength: 10, selector: (i) => i % 14 }),
        fc.array(fc.constantFrom<Candidate["source"]>("authority", "repository", "sibling"), {
          minLength: 14,
          maxLength: 14,
        }),
        fc.nat({ max: policies.length - 1 }),
        (picks, sources, which) => {
          const { policy } = policies[which]!;
          const candidates = picks.map((p) => ({ bytes: pool[p % pool.length]!, source: sources[p % 14]! }));
          for (const attribute of CERT_ATTRIBUTES) {
            const d = evaluate(policy, BOB, attribute, candidates, NOW, new CertCache());
            expect(d.verdicts.map((v) => v.index)).toEqual(candidates.map((_, i) => i));
            if (d.mode === "off") continue;
            const desired = new Set(d.desired.map((x) => x.sha256));
            expect(d.desired.length).toBeLessThanOrEqual(Math.min(policy.maxPerUser, 15));
            expect(desired.size).toBe(d.desired.length);
            // An authority value stays exactly when the policy accepts it; anything else it rejects with a reason.
            for (const v of d.verdicts.filter((x) => x.candidate.source === "authority")) {
              expect(v.status !== "rejected").toBe(desired.has(v.sha256));
            }
            const starts = d.desired.map((x) => Math.max(...x.certs.map((c) => c.notBefore.getTime())));
            expect(starts).toEqual([...starts].sort((a, b) => b - a));
            // Same candidates in another order: same desired values, in the same order.
            const reversed = evaluate(
              policy,
              BOB,
              attribute,
              [...candidates].reverse(),
              NOW,
              new CertCache(),
            );
            expect(reversed.mode !== "off" && reversed.desired.map((x) => sha(x.bytes))).toEqual(
              d.desired.map((x) => sha(x.bytes)),
            );
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
