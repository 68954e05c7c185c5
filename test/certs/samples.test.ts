// Parsing and judging real, public sample certificates (RFC 9216, RFC 4134), read from the shared
// folder beside the project. openssl, where installed, is the oracle for thumbprints and serials.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CertCache, parseCertificateFile, parseCertificates } from "../../src/certs/index.js";
import { buildPolicy, evaluate, materialWarnings } from "../../src/policy/index.js";

const dir = resolve(import.meta.dirname, "../../../shared/testdata");
const present = existsSync(dir);
const read = (rel: string) => new Uint8Array(readFileSync(join(dir, rel)));
const NOW = new Date("2025-06-01T00:00:00Z");

function openssl(args: string[], file: string): string | undefined {
  try {
    return execFileSync("openssl", [...args, "-in", join(dir, file)], {
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
  } catch {
    return undefined;
  }
}

describe.skipIf(!present)(
  `public samples in ../shared/testdata${present ? "" : " (skipped: folder absent)"}`,
  () => {
    const files = present
      ? [
          ...readdirSync(join(dir, "rfc9216")).map((f) => `rfc9216/${f}`),
          ...readdirSync(join(dir, "rfc4134"))
            .filter((f) => f.endsWith(".cer"))
            .map((f) => `rfc4134/${f}`),
        ]
      : [];

    it.each(files)("%s parses, with the thumbprint and serial openssl reports", (file) => {
      const r = parseCertificateFile(read(file));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.certs).toHaveLength(1);
      const c = r.certs[0]!;
      const inform = file.endsWith(".cer") ? ["-inform", "DER"] : [];
      const out = openssl(["x509", ...inform, "-noout", "-fingerprint", "-sha1", "-serial"], file);
      if (out !== undefined) {
        expect(out).toContain(`Fingerprint=${c.sha1.replace(/(..)(?!$)/g, "$1:")}`);
        expect(out).toContain(`serial=${c.serial}`);
      }
    });

    it("reads RFC 9216 key types and usages", () => {
      const one = (f: string) => {
        const r = parseCertificateFile(read(`rfc9216/${f}`));
        if (!r.ok) throw new Error(r.error.message);
        return r.certs[0]!;
      };
      expect(one("alice@smime.example.enc.pem")).toMatchObject({
        key: { type: "RSA", bits: 2048 },
        emails: ["alice@smime.example"],
        keyUsage: ["keyEncipherment"],
      });
      expect(one("carlos@smime.example.enc.pem")).toMatchObject({
        key: { type: "X25519" },
        keyUsage: ["keyAgreement"],
      });
      expect(one("carlos@smime.example.sig.pem")).toMatchObject({
        key: { type: "Ed25519" },
        signature: { name: "Ed25519" },
      });
      expect(one("Sample_LAMPS_Ed25519_Certification_Authority.selfsigned.pem")).toMatchObject({
        isCA: true,
      });
    });

    it("judges RFC 9216 users under the sample CAs", () => {
      const cache = new CertCache();
      const policy = buildPolicy(
        { requirements: { expiringSoonDays: 30 } },
        {
          trustAnchors: [
            {
              name: "rsa-ca",
              bytes: read("rfc9216/Sample_LAMPS_RSA_Certification_Authority.selfsigned.pem"),
            },
          ],
          // Carlos's CA reached only through its cross-certificate from the RSA CA.
          intermediates: [
            {
              name: "ed-cross",
              bytes: read("rfc9216/Sample_LAMPS_Ed25519_Certification_Authority.crosssigned.pem"),
            },
          ],
          crls: [],
        },
        cache,
      );
      expect(policy.problems).toEqual([]);
      const verdict = (file: string, mail: string) =>
        evaluate(
          policy,
          { mail, proxyAddresses: [] },
          "userCertificate",
          [{ bytes: read(`rfc9216/${file}`), source: "repository" }],
          NOW,
          cache,
        ).verdicts[0]!;
      expect(verdict("alice@smime.example.enc.pem", "Alice@smime.example")).toMatchObject({
        status: "accepted",
      });
      expect(verdict("alice@smime.example.sig.pem", "alice@smime.example")).toMatchObject({
        status: "rejected",
        reason: "key-usage-unfit",
      });
      expect(verdict("carlos@smime.example.enc.pem", "carlos@smime.example")).toMatchObject({
        status: "accepted",
      });
      expect(verdict("carlos@smime.example.sig.pem", "carlos@smime.example")).toMatchObject({
        reason: "key-usage-unfit",
      });
      expect(verdict("bob@smime.example.enc.pem", "alice@smime.example")).toMatchObject({
        reason: "email-mismatch",
      });
    });

    it("reads the RFC 4134 certs-only PKCS#7 with its CRL, and finds AliceDSS revoked by it", () => {
      const p7 = read("rfc4134/4.11-certs-only.p7c");
      const r = parseCertificates(p7);
      expect(r.ok && { form: r.form, certs: r.certs.length, crls: r.crls.length }).toEqual({
        form: "pkcs7-certs-only",
        certs: 2,
        crls: 1,
      });
      const cache = new CertCache();
      const policy = buildPolicy(
        { requirements: { emailProtectionEku: false } },
        {
          trustAnchors: [{ name: "carl", bytes: read("rfc4134/CarlDSSSelf.cer") }],
          intermediates: [],
          crls: [{ name: "4.11", bytes: p7 }],
        },
        cache,
      );
      expect(policy.problems).toEqual([]);
      const d = evaluate(
        policy,
        { mail: "alicedss@example.com", proxyAddresses: [] },
        "userCertificate",
        [{ bytes: read("rfc4134/AliceDSSSignByCarlNoInherit.cer"), source: "authority" }],
        NOW,
        cache,
      );
      const v = d.verdicts[0]!;
      expect(v.status === "rejected" && v.reason).toBe("revoked");
      expect(v.status === "rejected" && v.findings.map((f) => f.reason)).toEqual([
        "revoked",
        "weak-signature",
        "weak-key",
        "key-usage-unfit",
      ]);
      // That CRL has no nextUpdate: never reported as expired.
      expect(materialWarnings(policy, NOW)).toEqual([]);
    });
  },
);
