// The token path end to end against the emulated Entra ID: workload identity (GitHub OIDC JWT
// -> ClientAssertionCredential), client secret, certificate; failures are TENANT_AUTH with the
// AADSTS reason.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { afterEach, expect, it } from "vitest";
import { isSmimesyncError } from "../../src/errors.js";
import { fetchGitHubOidcToken } from "../../src/tenant/auth/github-oidc.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { keyPair, pem, privateKeyPkcs8 } from "../fixtures/pki.js";
import { collect, openAgainst } from "./helpers.js";

let emu: Emulator;
afterEach(() => emu.close());

it("workload identity: fetches the GitHub OIDC JWT with the Entra audience and trades it for both tokens", async () => {
  emu = await startEmulator();
  emu.state.addUser({ userPrincipalName: "a@contoso.com" });
  const tenant = await openAgainst(emu, {
    config: { auth: { method: "workload-identity", clientId: emu.app.clientId } },
    env: { ...emu.githubEnv },
  });
  expect(await collect(tenant.readUsers())).toHaveLength(1);
  expect(await collect(tenant.readRecipients())).toHaveLength(1);

  const oidc = emu.requests.filter((r) => r.path === "/_github/oidc/token");
  expect(oidc.length).toBeGreaterThanOrEqual(1);
  expect(new URL(oidc[0]?.url ?? "").searchParams.get("audience")).toBe("api://AzureADTokenExchange");
  expect(new URL(oidc[0]?.url ?? "").searchParams.get("api-version")).toBe("2.0");
  const tokenCalls = emu.requests.filter((r) => r.path.endsWith("/oauth2/v2.0/token"));
  const forms = tokenCalls.map((r) => new URLSearchParams(String(r.body)));
  expect(forms.map((f) => f.get("scope")).sort()).toEqual([
    "https://graph.microsoft.com/.default",
    "https://outlook.office365.com/.default",
  ]);
  expect(
    forms.every(
      (f) => f.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    ),
  ).toBe(true);
  expect(forms.every((f) => f.get("client_secret") === null)).toBe(true);
});

it("workload identity with a subject the federated credential does not match is TENANT_AUTH (AADSTS70021)", async () => {
  emu = await startEmulator({ app: { federatedSubjects: ["repo:example/other:ref:refs/heads/main"] } });
  const tenant = await openAgainst(emu, {
    config: { auth: { method: "workload-identity", clientId: emu.app.clientId } },
    env: { ...emu.githubEnv },
  });
  const error = await collect(tenant.readUsers()).catch((e: unknown) => e);
  expect(isSmimesyncError(error) && error.code).toBe("TENANT_AUTH");
  expect(String(error)).toMatch(/AADSTS70021/);
});

it("workload identity outside GitHub Actions explains what is missing", async () => {
  emu = await startEmulator();
  const error = await fetchGitHubOidcToken({}, "api://AzureADTokenExchange", emu.fetch).catch(
    (e: unknown) => e,
  );
  expect(isSmimesyncError(error) && error.code).toBe("TENANT_AUTH");
  expect(isSmimesyncError(error) && error.hint).toMatch(/id-token: write/);
  const refused = await fetchGitHubOidcToken(
    { ...emu.githubEnv, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "wrong" },
    "x",
    emu.fetch,
  ).catch((e: unknown) => e);
  expect(String(refused)).toMatch(/GitHub refused the OIDC token request \(HTTP 401/);
});

it("a wrong client secret is TENANT_AUTH with AADSTS7000215", async () => {
  emu = await startEmulator();
  const tenant = await openAgainst(emu, { env: { SMIMESYNC_TEST_CLIENT_SECRET: "not-the-secret" } });
  const error = await collect(tenant.readUsers()).catch((e: unknown) => e);
  expect(isSmimesyncError(error) && error.code).toBe("TENANT_AUTH");
  expect(String(error)).toMatch(/AADSTS7000215/);
});

it("certificate credential: a PEM with key, by path from the environment", async () => {
  const keys = await keyPair("rsa-2048", 300);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0a",
    name: "CN=smimesync app credential",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  });
  const certPem = cert.toString("pem");
  emu = await startEmulator({ app: { certificatesPem: [certPem] } });
  emu.state.addUser({ userPrincipalName: "a@contoso.com" });
  const dir = mkdtempSync(join(tmpdir(), "smimesync-cert-"));
  const path = join(dir, "app.pem");
  writeFileSync(path, `${certPem}\n${pem("PRIVATE KEY", await privateKeyPkcs8(keys))}`, { mode: 0o600 });
  const tenant = await openAgainst(emu, {
    config: {
      auth: { method: "certificate", clientId: emu.app.clientId, certificatePath: "${env:APP_CERT_PATH}" },
    },
    env: { APP_CERT_PATH: path },
  });
  expect(await collect(tenant.readUsers())).toHaveLength(1);
  const form = new URLSearchParams(String(emu.requests.find((r) => r.path.endsWith("/token"))?.body));
  expect(form.get("client_assertion")?.split(".")).toHaveLength(3);
});
