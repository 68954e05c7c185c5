// Transport and authentication against the live Samba DC: LDAPS and StartTLS verified against the
// configured CA, a wrong CA or name failing clearly, plain ldap:// refused unless allowInsecure,
// AD's bind data codes decoded, an unreachable server and a missing scope OU reported clearly.
import type { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DirectoryConfig } from "../../../src/config/types.generated.js";
import { openDirectory } from "../../../src/directory/open.js";
import { SmimesyncError } from "../../../src/errors.js";
import { directoryConfig, sambaEnv, sambaFacts } from "../../ad/env.js";
import { adminClient, createLoginUser, createUser, testOu } from "../../ad/seed.js";
import { readAll, scopeOf } from "./read-suite.js";

let ad: Client;
let ou: string;
const tag = Math.random().toString(36).slice(2, 6);

beforeAll(async () => {
  ad = await adminClient();
  ou = await testOu(ad, "ldap-conn");
  await createUser(ad, ou, { cn: "Conn User", sAMAccountName: `conn-${tag}` });
});
afterAll(async () => ad?.unbind());

async function works(config: DirectoryConfig, env = sambaEnv()): Promise<void> {
  const d = await openDirectory(config, { baseDir: process.cwd(), env });
  try {
    const all = await readAll(d, scopeOf({ ous: [{ dn: ou, scope: "subtree" }] }));
    expect(all.map((r) => r.sAMAccountName)).toEqual([`conn-${tag}`]);
  } finally {
    await d.close();
  }
}

async function failure(config: DirectoryConfig, env = sambaEnv()): Promise<SmimesyncError> {
  try {
    const d = await openDirectory(config, { baseDir: process.cwd(), env });
    await readAll(d, scopeOf({ ous: [{ dn: ou, scope: "subtree" }] })).finally(() => d.close());
  } catch (e) {
    if (e instanceof SmimesyncError) return e;
    throw e;
  }
  throw new Error("expected a SmimesyncError");
}

describe("LDAP directory: transport and authentication", () => {
  it("connects over LDAPS trusting the configured CA", async () => {
    await works(directoryConfig());
  });

  it("fails clearly over LDAPS with the wrong CA, or with none (system store)", async () => {
    const wrong = await failure(directoryConfig({ tls: { caFile: sambaFacts().otherCaFile } }));
    expect(wrong.code).toBe("LDAP_TLS");
    expect(wrong.message).toMatch(/TLS failure .*ldaps:\/\/127\.[\d.]+:636/);
    expect(wrong.hint).toMatch(/caFile/);
    expect((await failure(directoryConfig({ tls: {} }))).code).toBe("LDAP_TLS");
  });

  it("checks the certificate's name: serverName localhost matches, another name fails", async () => {
    await works(directoryConfig({ tls: { caFile: sambaFacts().caFile, serverName: "localhost" } }));
    const e = await failure(
      directoryConfig({ tls: { caFile: sambaFacts().caFile, serverName: "dc01.corp.example" } }),
    );
    expect(e.code).toBe("LDAP_TLS");
    expect(e.message).toMatch(/dc01\.corp\.example/);
  });

  it("upgrades ldap:// with StartTLS, verifying the CA", async () => {
    const f = sambaFacts();
    await works(directoryConfig({ url: f.ldapUrl, tls: { caFile: f.caFile, startTLS: true } }));
    const e = await failure(
      directoryConfig({ url: f.ldapUrl, tls: { caFile: f.otherCaFile, startTLS: true } }),
    );
    expect(e.code).toBe("LDAP_TLS");
  });

  it("refuses a simple bind over plain ldap:// unless allowInsecure", async () => {
    const f = sambaFacts();
    const e = await failure(directoryConfig({ url: f.ldapUrl, tls: {} }));
    expect(e.code).toBe("LDAP_INSECURE");
    expect(e.message).toMatch(/clear text/);
    await works(directoryConfig({ url: f.ldapUrl, tls: {}, allowInsecure: true }));
  });

  it("decodes AD's bind data codes: wrong password (52e), disabled account (533)", async () => {
    const bad = await failure(directoryConfig(), { SMIMESYNC_TEST_AD_PASSWORD: "not-the-password" });
    expect(bad.code).toBe("LDAP_AUTH");
    expect(bad.message).toMatch(/password is wrong \(AD code 52e\)/);

    const pw = "Str0ng.Pass!w0rd";
    await createLoginUser(
      ad,
      ou,
      { cn: "Disabled Login", sAMAccountName: `disabled-${tag}`, disabled: true },
      pw,
    );
    const disabled = await failure(
      directoryConfig({ bind: { dn: `disabled-${tag}@smimesync.test`, password: "${env:PW}" } }),
      { PW: pw },
    );
    expect(disabled.code).toBe("LDAP_AUTH");
    expect(disabled.message).toMatch(/account is disabled \(AD code 533\)/);
  });

  it("refuses an empty password instead of binding anonymously", async () => {
    const e = await failure(
      directoryConfig({ bind: { dn: sambaFacts().adminUpn, password: "${env:EMPTY}" } }),
      { EMPTY: "" },
    );
    // resolveSecret already rejects an empty variable; either way no anonymous bind happens
    expect(["SECRET_UNRESOLVED", "LDAP_AUTH"]).toContain(e.code);
  });

  it("reports an unreachable server as LDAP_CONNECT", async () => {
    const e = await failure(directoryConfig({ url: `ldaps://${sambaFacts().ip}:1`, timeoutSeconds: 5 }));
    expect(e.code).toBe("LDAP_CONNECT");
    expect(e.message).toMatch(/cannot reach/);
  });

  it("reports a scope OU that does not exist", async () => {
    const d = await openDirectory(directoryConfig(), { baseDir: process.cwd(), env: sambaEnv() });
    try {
      const missing = `OU=Nowhere,${sambaFacts().baseDn}`;
      const e = await readAll(d, scopeOf({ ous: [{ dn: missing, scope: "subtree" }] })).catch(
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(SmimesyncError);
      expect((e as SmimesyncError).message).toMatch(/no such object .*OU=Nowhere/);
    } finally {
      await d.close();
    }
  });
});
