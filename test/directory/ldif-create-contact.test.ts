// The LDIF backend creating partner contacts (authority: ad): a new record appended to the export,
// saved through the batched file like value writes, found again by the next read; a contact that
// exists already (by mail, smtp proxy address or DN) is stale and nothing is written.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LdifDirectory } from "../../src/directory/ldif-directory.js";
import type { DirectoryRecipient, DirectoryScope, NewDirectoryContact } from "../../src/directory/types.js";
import { emptyValues } from "../../src/model/attributes.js";

const guid = (n: number) => Buffer.from(Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? n : i)));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const C1 = Buffer.from("30820001aa", "hex");
const C2 = Buffer.from("30820002bb", "hex");
const PARTNERS = "OU=Partners,DC=corp,DC=example";

const LDIF = `# export of DC=corp,DC=example
dn: OU=Partners,DC=corp,DC=example
objectClass: organizationalUnit

dn: CN=Quinn,OU=Europe,OU=Partners,DC=corp,DC=example
objectClass: top
objectClass: person
objectClass: organizationalPerson
objectClass: contact
objectGUID:: ${b64(guid(1))}
mail: quinn.main@partner.example
proxyAddresses: SMTP:quinn.main@partner.example
proxyAddresses: smtp:Quinn@Partner.example
`;

const scope: DirectoryScope = {
  ous: [{ dn: PARTNERS, scope: "subtree" }],
  groups: [],
  include: [],
  exclude: [],
  includeDisabled: true,
};

const pat = (patch: Partial<NewDirectoryContact> = {}): NewDirectoryContact => ({
  parentDn: PARTNERS,
  name: "Partner, Pat",
  mail: "pat@partner.example",
  values: { userCertificate: [C1], userSMIMECertificate: [] },
  ...patch,
});

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ldif-contact-"));
  path = join(dir, "ad.ldif");
  await writeFile(path, LDIF);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function contacts(d: LdifDirectory): Promise<DirectoryRecipient[]> {
  const out: DirectoryRecipient[] = [];
  for await (const r of d.readRecipients(scope)) out.push(r);
  return out;
}

describe("LdifDirectory.createContact", () => {
  it("appends a contact record with its certificates, kept byte for byte before it, found by the next read", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    expect(await d.createContact(pat())).toEqual({ ok: true });
    // Found at once (this process's unsaved write), and writable like any object.
    const created = (await contacts(d)).find((c) => c.mail === "pat@partner.example");
    expect(created).toMatchObject({
      kind: "contact",
      dn: "CN=Partner\\, Pat,OU=Partners,DC=corp,DC=example",
      proxyAddresses: ["SMTP:pat@partner.example"],
    });
    const ref = { objectGuid: created!.objectGuid, dn: created!.dn };
    expect(
      await d.writeValues(
        ref,
        [{ attribute: "userCertificate", add: [C2], remove: [] }],
        d.fingerprint(created!),
      ),
    ).toEqual({ ok: true });
    await d.close();

    const text = await readFile(path, "utf8");
    expect(text.startsWith(`${LDIF}\ndn: CN=Partner\\, Pat,OU=Partners,DC=corp,DC=example\n`)).toBe(true);
    expect(text).toContain("objectClass: contact\ncn: Partner, Pat\ndisplayName: Partner, Pat\n");
    const reopened = await LdifDirectory.open(path, "objectGUID");
    const again = (await contacts(reopened)).find((c) => c.objectGuid === ref.objectGuid);
    expect(again?.mail).toBe("pat@partner.example");
    expect(again?.values.userCertificate.map((v) => Buffer.from(v).toString("hex"))).toEqual([
      C1.toString("hex"),
      C2.toString("hex"),
    ]);
    await reopened.close();
  });

  it("reports a contact that exists (by mail or smtp proxy address, any case, in a sub-OU; or by DN) as stale, writing nothing", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    expect(await d.createContact(pat({ mail: "QUINN@partner.example" }))).toMatchObject({
      ok: false,
      reason: "stale",
    });
    expect(await d.createContact(pat({ mail: "quinn.main@partner.example" }))).toMatchObject({
      ok: false,
      reason: "stale",
    });
    expect(
      await d.createContact(pat({ name: "Quinn", parentDn: "ou=europe,OU=Partners,DC=corp,DC=example" })),
    ).toMatchObject({ ok: false, reason: "stale" });
    await d.close();
    expect(await readFile(path, "utf8")).toBe(LDIF);
  });

  it("creates a contact without certificates, and keeps an edit made to the file meanwhile", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    expect(await d.createContact(pat({ values: emptyValues() }))).toEqual({ ok: true });
    // Someone else edits the file before the batch is saved: the creation is replayed onto it.
    const edited = LDIF.replace(
      "mail: quinn.main@partner.example\n",
      "mail: quinn.main@partner.example\ndescription: edited\n",
    );
    await writeFile(path, edited);
    await d.close();
    const text = await readFile(path, "utf8");
    expect(text.startsWith(edited)).toBe(true);
    expect(text).toContain("dn: CN=Partner\\, Pat,OU=Partners,DC=corp,DC=example\n");
    expect(text).not.toContain("userCertificate");
    const reopened = await LdifDirectory.open(path, "objectGUID");
    expect((await contacts(reopened)).map((c) => c.mail).sort()).toEqual([
      "pat@partner.example",
      "quinn.main@partner.example",
    ]);
    await reopened.close();
  });
});
