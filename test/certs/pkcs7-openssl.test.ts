// The certs-only PKCS#7 smimesync writes to userSMIMECertificate must be readable by others:
// round-trip it through `openssl pkcs7 -inform DER -print_certs`.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildCertsOnlyPkcs7, parseCertificates } from "../../src/certs/index.js";
import { makeUser, pem, testPki } from "../fixtures/pki.js";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"]);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasOpenssl())("certs-only PKCS#7 through openssl (skipped: openssl not installed)", () => {
  it("openssl prints back exactly the certificates put in", async () => {
    const pki = await testPki();
    const user = await makeUser(pki.intermediate, { emails: ["carol@example.com"], kind: "rsa-2048" });
    const p7 = buildCertsOnlyPkcs7([user.der, pki.intermediate.der]);
    const printed = execFileSync("openssl", ["pkcs7", "-inform", "DER", "-print_certs"], {
      input: p7,
    }).toString();
    const blocks = [
      ...printed.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g),
    ].map((m) => m[0]);
    expect(blocks.sort()).toEqual(
      [pem("CERTIFICATE", user.der), pem("CERTIFICATE", pki.intermediate.der)].sort(),
    );
    expect(printed).toContain("subject=CN = carol@example.com");
    // And openssl's own DER re-encoding of it parses back identically here.
    const reencoded = execFileSync("openssl", ["pkcs7", "-inform", "DER", "-outform", "DER"], { input: p7 });
    const r = parseCertificates(new Uint8Array(reencoded));
    expect(r.ok && r.form).toBe("pkcs7-certs-only");
  });
});
