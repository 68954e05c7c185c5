// Partner contacts with `authority: ad`, end to end through the CLI against the Samba DC: a
// partner without a contact is planned as a creation, apply adds the contact with its certificate
// in repository.contactsOU (read back over LDAP), and the next plan has nothing to do; an existing
// AD contact holding an expired certificate is pruned at AD; a contact created by someone else
// between plan and apply is joined by apply's re-plan, and the approved certificate lands on it.
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Attribute, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeDnValue } from "../../src/directory/dn.js";
import { adminClient, createOu, createUser, testOu } from "../ad/seed.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { daysFromNow, makeUser, pem, testPki } from "../fixtures/pki.js";
import { backendsYaml, stackCli } from "./stack.js";

const suffix = Math.random().toString(36).slice(2, 7);
const partner = (name: string) => `${name}.${suffix}@partner.test`;
const hex = (v: Uint8Array) => Buffer.from(v).toString("hex");

let ad: Client;
let ou: string;
let partnersOu: string;
let emu: Emulator;
let dir: string;
const certs: Record<string, Uint8Array> = {};

async function partnerCert(name: string, o: Parameters<typeof makeUser>[1] = {}): Promise<Uint8Array> {
  return (await makeUser((await testPki()).intermediate, { emails: [partner(name)], ...o })).der;
}

const cli = stackCli(
  () => dir,
  () => emu,
);

function configYaml(partners: readonly string[]): string {
  return `version: 1
${backendsYaml(emu)}scope:
  ous:
    - dn: "${ou}"
  include:
    - attribute: mail
      match: "*.${suffix}@*"
repository:
  contactsOU: "${partnersOu}"
  contacts:
${partners
  .map(
    (p) => `    - mail: ${partner(p)}
      name: "${p}, Partner ${suffix}"
      authority: ad
      files: [certs/${p}.pem]`,
  )
  .join("\n")}
policy:
  trustAnchors: [pki/root.pem]
  intermediates: [pki/issuing.pem]
  prune:
    expired: true
safety:
  maxRemovalPercent: 100
`;
}

/** The AD contacts under the partners OU with this mail, read over LDAP. */
async function adContacts(mail: string): Promise<{ dn: string; cn: string; certs: string[] }[]> {
  const { searchEntries } = await ad.search(partnersOu, {
    scope: "sub",
    filter: `(&(objectClass=contact)(mail=${mail}))`,
    attributes: ["cn", "userCertificate"],
    explicitBufferAttributes: ["userCertificate"],
  });
  return searchEntries.map((e) => ({
    dn: e.dn,
    cn: String(e.cn),
    certs: ([] as Buffer[]).concat((e.userCertificate as Buffer | Buffer[] | undefined) ?? []).map(hex),
  }));
}

async function addContact(name: string, values: readonly Uint8Array[]): Promise<string> {
  const dn = `CN=${escapeDnValue(name)},${partnersOu}`;
  const attributes = [
    new Attribute({ type: "objectClass", values: ["top", "person", "organizationalPerson", "contact"] }),
    new Attribute({ type: "mail", values: [partner(name)] }),
    new Attribute({ type: "proxyAddresses", values: [`SMTP:${partner(name)}`] }),
  ];
  if (values.length > 0)
    attributes.push(new Attribute({ type: "userCertificate", values: values.map((v) => Buffer.from(v)) }));
  await ad.add(dn, attributes);
  return dn;
}

beforeAll(async () => {
  const pki = await testPki();
  ad = await adminClient();
  ou = await testOu(ad, `ad-contacts-${suffix}`);
  partnersOu = await createOu(ad, ou, "Partners");
  // One user in scope, so that the empty-directory guard does not trip.
  await createUser(ad, ou, {
    cn: `ivan ${suffix}`,
    sAMAccountName: `ivan${suffix}`,
    mail: `ivan.${suffix}@smimesync.test`,
  });
  certs.pat = await partnerCert("pat");
  certs.olgaValid = await partnerCert("olga");
  certs.olgaExpired = await partnerCert("olga", {
    notBefore: daysFromNow(-400),
    notAfter: daysFromNow(-5),
    slot: 3,
  });
  certs.rob = await partnerCert("rob");
  // An existing AD contact holding a valid and an expired certificate.
  await addContact("olga", [certs.olgaValid, certs.olgaExpired]);

  emu = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), "smimesync-ad-contacts-"));
  await mkdir(join(dir, "pki"));
  await mkdir(join(dir, "certs"));
  await writeFile(join(dir, "pki/root.pem"), pem("CERTIFICATE", pki.root.der));
  await writeFile(join(dir, "pki/issuing.pem"), pem("CERTIFICATE", pki.intermediate.der));
  await writeFile(join(dir, "certs/pat.pem"), pem("CERTIFICATE", certs.pat));
  await writeFile(join(dir, "certs/olga.pem"), pem("CERTIFICATE", certs.olgaValid));
  await writeFile(join(dir, "certs/rob.pem"), pem("CERTIFICATE", certs.rob));
  await writeFile(join(dir, "smimesync.yaml"), configYaml(["pat", "olga"]));
});

afterAll(async () => {
  await emu?.close();
  await ad?.unbind();
});

describe("partner contacts with authority: ad, against Samba AD", () => {
  it("plans the creation of a missing contact and the pruning of an existing one's expired certificate", async () => {
    const r = await cli(["plan", "--out", "plan.json", "--detailed-exitcode", "--format", "json"]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout) as {
      objects: { address: string; ref: Record<string, string> }[];
      changes: { address: string; action: string; reason: string; authority: string }[];
      warnings: { code: string }[];
    };
    expect(plan.changes.map((c) => `${c.action} ${c.address} ${c.reason} @${c.authority}`).sort()).toEqual(
      [
        `publish ad:contact/${partner("pat")} declared-in-repo @ad`,
        `remove ad:contact/${partner("olga")} expired @ad`,
      ].sort(),
    );
    expect(plan.objects.find((o) => o.address === `ad:contact/${partner("pat")}`)?.ref).toEqual({
      type: "ad-new-contact",
      parentDn: partnersOu,
      name: `pat, Partner ${suffix}`,
      mail: partner("pat"),
    });
    expect(plan.objects.find((o) => o.address === `ad:contact/${partner("olga")}`)?.ref.type).toBe("ad");
    expect(plan.warnings.map((w) => w.code)).not.toContain("contact-authority-ad-unsupported");

    const text = await cli(["show", "plan.json"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `# ad:contact/${partner("pat")} will be created in Active Directory as contact "pat, Partner ${suffix}"`,
    );
    expect(text.stdout).toContain(`+ recipient "${partner("pat")}" {`);
  });

  it("applies: creates the contact with its certificate in contactsOU and prunes the expired one", async () => {
    const r = await cli(["apply", "plan.json"]);
    expect(r.stderr).not.toMatch(/error|stale|failed/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Apply complete: 2 applied, 0 stale, 0 failed\./);
    expect(await adContacts(partner("pat"))).toEqual([
      {
        dn: `CN=pat\\, Partner ${suffix},${partnersOu}`,
        cn: `pat, Partner ${suffix}`,
        certs: [hex(certs.pat as Uint8Array)],
      },
    ]);
    expect((await adContacts(partner("olga")))[0]?.certs).toEqual([hex(certs.olgaValid as Uint8Array)]);
  });

  it("converges: the next plan shows no changes", async () => {
    const r = await cli(["plan", "--detailed-exitcode"]);
    // Other tests share the DC: their users may show as drift, which the closing line then names.
    expect(r.stdout).toMatch(/^No changes(\. | to make\. )/m);
    expect(r.code).toBe(0);
  });

  it("joins a contact created by someone else between plan and apply: the certificate lands on it, no second one", async () => {
    await writeFile(join(dir, "smimesync.yaml"), configYaml(["pat", "olga", "rob"]));
    const planned = await cli(["plan", "--out", "rob.json", "--format", "json"]);
    expect(planned.code).toBe(0);
    expect(JSON.parse(planned.stdout).changes.map((c: { address: string }) => c.address)).toEqual([
      `ad:contact/${partner("rob")}`,
    ]);
    expect(await readFile(join(dir, "rob.json"), "utf8")).toContain('"ad-new-contact"');
    await addContact("rob", []);
    // apply plans again: the contact is found and joined, and the approved publication (same
    // recipient, attribute and value) is written at it.
    const applied = await cli(["apply", "rob.json"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 1 applied, 0 stale, 0 failed\./);
    expect(await adContacts(partner("rob"))).toEqual([
      { dn: `CN=rob,${partnersOu}`, cn: "rob", certs: [hex(certs.rob as Uint8Array)] },
    ]);
  });
});
