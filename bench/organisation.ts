// The synthetic organisation of the benchmark: N users in AD (an LDIF export) and their synced
// copies in the tenant (a snapshot), with real certificates from a test CA, and the config.
// `npx tsx bench/organisation.ts DIR N` writes one to DIR, e.g. to profile `smimesync plan` on it.
import "../src/certs/runtime.js";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildCertsOnlyPkcs7 } from "../src/certs/pkcs7.js";
import { renderLdif } from "../src/demo/ldif-file.js";
import type { AdUser, CloudMailbox, DemoOrganisation } from "../src/demo/organisation.js";
import { mailOf, OU } from "../src/demo/organisation.js";
import { daysFrom, makeIssuingCa, makeRootCa, pem } from "../src/demo/pki.js";
import { renderSnapshot } from "../src/demo/snapshot-file.js";
import { fastIssuer } from "./fast-issue.js";

export interface OrganisationOptions {
  /**
   * Every k-th user is a cloud-only mailbox instead (its certificates are written to the tenant
   * snapshot), and the config takes `scope.cloudOnly`; absent: every user is in AD.
   */
  readonly cloudOnlyEvery?: number;
  /**
   * Generate the organisation as the config's policy leaves it after an apply: no expired or
   * superseded certificate left, and userSMIMECertificate holding the certs-only PKCS#7 that
   * `derive` builds. Its plans then change nothing: the steady state a daily run sees.
   */
  readonly converged?: boolean;
}

/** The organisation as data (the kill -9 loop on the Samba DC seeds its users from it). */
export async function organisation(
  n: number,
  NOW: Date,
  opts: OrganisationOptions = {},
): Promise<{ org: DemoOrganisation; seconds: number }> {
  const started = performance.now();
  const at = (d: number) => daysFrom(NOW, d);
  const root = await makeRootCa("CN=Bench Root CA", at(-3000), at(3000));
  const issuing = await makeIssuingCa(root, "CN=Bench Issuing CA", at(-2000), at(2000));
  const issuer = await fastIssuer(issuing);
  const users: AdUser[] = [];
  const cloudMailboxes: CloudMailbox[] = [];
  for (let i = 0; i < n; i++) {
    const alias = `user${i}`;
    const issue = async (email: string, from: number, days: number) =>
      issuer.issue({ cn: `User ${i}`, emails: [email], notBefore: at(from), notAfter: at(from + days) });
    // A realistic mix: most users fine; some with an expired certificate beside the current one,
    // some renewed (superseded), some with a certificate for another address, some with none.
    const kind = i % 20;
    const certs =
      kind === 0
        ? [await issue(mailOf(alias), -400, 365), await issue(mailOf(alias), -30, 365)]
        : kind === 1
          ? [await issue(mailOf(alias), -200, 730), await issue(mailOf(alias), -10, 730)]
          : kind === 2
            ? [await issue(`someone.else${i}@corp.example.com`, -30, 365)]
            : kind === 3
              ? []
              : [await issue(mailOf(alias), -(i % 300), 730)];
    // Converged: the policy pruned the expired (kind 0) and the superseded (kind 1) value and
    // derived a PKCS#7 of what it kept; another address's certificate (kind 2) is only reported.
    const kept = opts.converged && (kind === 0 || kind === 1) ? certs.slice(1) : certs;
    const values = {
      userCertificate: kept,
      userSMIMECertificate: opts.converged && kind !== 2 ? kept.map((c) => buildCertsOnlyPkcs7([c])) : [],
    };
    if (opts.cloudOnlyEvery !== undefined && i % opts.cloudOnlyEvery === opts.cloudOnlyEvery - 1) {
      cloudMailboxes.push({ alias, givenName: "User", sn: String(i), values, story: "" });
      continue;
    }
    users.push({
      sam: alias,
      givenName: "User",
      sn: String(i),
      parent: OU.staff,
      disabled: false,
      groups: [],
      values,
      mirror: values,
      story: "",
    });
  }
  const org: DemoOrganisation = {
    now: NOW,
    users,
    cloudMailboxes,
    declared: [],
    contacts: [],
    pki: {
      trustAnchors: [{ path: "pki/root.pem", text: pem("CERTIFICATE", root.der) }],
      intermediates: [{ path: "pki/issuing.pem", text: pem("CERTIFICATE", issuing.der) }],
      crls: [],
    },
  };
  return { org, seconds: (performance.now() - started) / 1000 };
}

/** The config's policy and safety sections (the pki files as writeOrganisation names them). */
export const POLICY_YAML = `policy:
  trustAnchors: [pki/root.pem]
  intermediates: [pki/issuing.pem]
  publish:
    userCertificate: true
    userSMIMECertificate: derive
  maxPerUser: 3
  prune:
    expired: true
    superseded: true
safety:
  maxRemovals: 1000000
  maxRemovalPercent: 100
`;

const config = (cloudOnly: boolean) => `version: 1
directory:
  ldif: directory.ldif
tenant:
  snapshot: tenant.json
scope:
  ous:
    - dn: ${OU.staff}${cloudOnly ? "\n  cloudOnly: true" : ""}
${POLICY_YAML}`;

/** Writes the organisation of `n` users into `dir`; returns the seconds it took to generate. */
export async function writeOrganisation(
  dir: string,
  n: number,
  now: Date,
  opts: OrganisationOptions = {},
): Promise<number> {
  return (await writeOrganisationData(dir, n, now, opts)).seconds;
}

/** writeOrganisation, also handing back the organisation (the bench needs its users and values). */
export async function writeOrganisationData(
  dir: string,
  n: number,
  now: Date,
  opts: OrganisationOptions = {},
): Promise<{ org: DemoOrganisation; seconds: number }> {
  const { org, seconds } = await organisation(n, now, opts);
  await mkdir(join(dir, "pki"), { recursive: true });
  await writeFile(join(dir, "directory.ldif"), renderLdif(org));
  await writeFile(join(dir, "tenant.json"), renderSnapshot(org));
  for (const f of [...org.pki.trustAnchors, ...org.pki.intermediates])
    await writeFile(join(dir, f.path), f.text);
  await writeFile(join(dir, "smimesync.yaml"), config(org.cloudMailboxes.length > 0));
  return { org, seconds };
}

if (process.argv[1]?.endsWith("organisation.ts")) {
  const [dir, n] = process.argv.slice(2);
  if (!dir || !n) throw new Error("usage: tsx bench/organisation.ts DIR USERS");
  const seconds = await writeOrganisation(dir, Number(n), new Date());
  console.log(`wrote ${n} users to ${dir} in ${seconds.toFixed(1)} s`);
}
