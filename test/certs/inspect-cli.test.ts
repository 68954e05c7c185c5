// `smimesync inspect`: what an admin sees for certificate files, and the verdict under a config.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daysFromNow, makeUser, NOW, pem, privateKeyPkcs8, testPki } from "../fixtures/pki.js";
import { runCli } from "../helpers/cli.js";

let dir: string;

beforeAll(async () => {
  const pki = await testPki();
  dir = await mkdtemp(join(tmpdir(), "smimesync-inspect-"));
  const current = await makeUser(pki.intermediate, {
    emails: ["alice@corp.example.com"],
    notBefore: daysFromNow(-5),
  });
  const older = await makeUser(pki.intermediate, {
    emails: ["alice@corp.example.com"],
    notBefore: daysFromNow(-200),
  });
  const expired = await makeUser(pki.intermediate, {
    emails: ["alice@corp.example.com"],
    notBefore: daysFromNow(-500),
    notAfter: daysFromNow(-3),
  });
  await writeFile(join(dir, "current.cer"), current.der);
  await writeFile(join(dir, "older.pem"), pem("CERTIFICATE", older.der));
  await writeFile(join(dir, "expired.cer"), expired.der);
  await writeFile(join(dir, "key.pem"), pem("PRIVATE KEY", await privateKeyPkcs8(current.keys)));
  await writeFile(join(dir, "root.pem"), pem("CERTIFICATE", pki.root.der));
  await writeFile(join(dir, "issuing.pem"), pem("CERTIFICATE", pki.intermediate.der));
  await writeFile(
    join(dir, "smimesync.yaml"),
    [
      "version: 1",
      "tenant:",
      "  tenantId: 7f3c9a52-1d4e-4b8a-9c61-2e5f0a7b3d19",
      "  domain: corpexample.onmicrosoft.com",
      "  auth:",
      "    method: client-secret",
      "    clientId: 0b6e2c1a-5f4d-4e3b-8a79-c1d2e3f4a5b6",
      "    clientSecret: ${env:SMIMESYNC_CLIENT_SECRET}",
      "scope:",
      "  cloudOnly: true",
      "policy:",
      "  trustAnchors: [root.pem]",
      "  intermediates: [issuing.pem]",
      "  maxPerUser: 2",
      "",
    ].join("\n"),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("smimesync inspect", () => {
  it("prints thumbprints, subject, e-mails, validity, key and EKU of each file", async () => {
    const r = await runCli(["inspect", "current.cer", "older.pem"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/current\.cer: der, 1 certificate/);
    expect(r.stdout).toMatch(/older\.pem: pem, 1 certificate/);
    expect(r.stdout).toMatch(/SHA-1 {7}[0-9A-F]{40}/);
    expect(r.stdout).toMatch(/SHA-256 {5}[0-9a-f]{64}/);
    expect(r.stdout).toContain("e-mail      alice@corp.example.com");
    expect(r.stdout).toContain("key         EC P-256");
    expect(r.stdout).toContain("EKU         emailProtection");
  });

  it("refuses a private key and exits 1", async () => {
    const r = await runCli(["inspect", "key.pem"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("refused: private key");
  });

  it("with -c and --mail, gives the verdict of each certificate and what would be published", async () => {
    const r = await runCli(
      [
        "inspect",
        "-c",
        "smimesync.yaml",
        "--mail",
        "Alice@corp.example.com",
        "--at",
        NOW.toISOString(),
        "current.cer",
        "older.pem",
        "expired.cer",
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/current\.cer[\s\S]*verdict {3}✓ accepted/);
    expect(r.stdout).toMatch(
      /older\.pem[\s\S]*value: ✗ superseded: superseded by the newer CN=alice@corp\.example\.com/,
    );
    expect(r.stdout).toMatch(/expired\.cer[\s\S]*value: ✗ expired: expired on \d{4}-\d\d-\d\d/);
    expect(r.stdout).toMatch(
      /userCertificate \(certificate\) would hold, newest first:\n {2}\+ CN=alice@corp\.example\.com/,
    );
  });

  it("--json gives the same facts for tools", async () => {
    const r = await runCli(
      [
        "inspect",
        "--json",
        "-c",
        "smimesync.yaml",
        "--mail",
        "bob@corp.example.com",
        "--at",
        NOW.toISOString(),
        "current.cer",
      ],
      {
        cwd: dir,
      },
    );
    const json = JSON.parse(r.stdout) as {
      files: { verdict: { status: string; reason: string } }[];
      desired: unknown[];
    };
    expect(json.files[0]!.verdict).toMatchObject({ status: "rejected", reason: "email-mismatch" });
    expect(json.desired).toEqual([]);
  });
});
