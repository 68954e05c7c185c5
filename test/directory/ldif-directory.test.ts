// The LDIF backend on a small hand-written export: scope semantics (including membership known
// only from memberOf, and nested cycles), and writes with LDAP's add / delete rules.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { guidToText } from "../../src/directory/guid.js";
import { LdifDirectory } from "../../src/directory/ldif-directory.js";
import { openDirectory } from "../../src/directory/open.js";
import type { DirectoryRecipient, DirectoryScope } from "../../src/directory/types.js";
import { SmimesyncError } from "../../src/errors.js";

const guid = (n: number) => Buffer.from(Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? n : i)));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const C1 = Buffer.from("30820001aa", "hex");
const C2 = Buffer.from("30820002bb", "hex");

const LDIF = `# export of DC=corp,DC=example
dn: OU=Staff,DC=corp,DC=example
objectClass: organizationalUnit

dn: CN=Alice,OU=Staff,DC=corp,DC=example
objectClass: top
objectClass: user
objectGUID:: ${b64(guid(1))}
sAMAccountName: alice
userPrincipalName: alice@corp.example
mail: alice@corp.example
userAccountControl: 512
uSNChanged: 100
userCertificate:: ${b64(C1)}

dn: CN=Bob,OU=Staff,DC=corp,DC=example
objectClass: user
objectGUID:: ${b64(guid(2))}
sAMAccountName: bob
userAccountControl: 514
memberOf: CN=Nested,OU=Groups,DC=corp,DC=example

dn: CN=Carol,OU=Deep,OU=Staff,DC=corp,DC=example
objectClass: user
objectGUID:: ${b64(guid(3))}
sAMAccountName: carol
userAccountControl: 512

dn: CN=PC1,OU=Staff,DC=corp,DC=example
objectClass: user
objectClass: computer
objectGUID:: ${b64(guid(4))}
sAMAccountName: PC1$

dn: CN=Top,OU=Groups,DC=corp,DC=example
objectClass: group
member: CN=Nested,OU=Groups,DC=corp,DC=example
member: cn=alice,ou=staff,dc=corp,dc=example

dn: CN=Nested,OU=Groups,DC=corp,DC=example
objectClass: group
member: CN=Top,OU=Groups,DC=corp,DC=example
`;

const scope = (patch: Partial<DirectoryScope>): DirectoryScope => ({
  ous: [],
  groups: [],
  include: [],
  exclude: [],
  includeDisabled: true,
  ...patch,
});

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ldif-dir-"));
  path = join(dir, "ad.ldif");
  await writeFile(path, LDIF);
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function names(d: LdifDirectory, s: DirectoryScope): Promise<string[]> {
  const out: string[] = [];
  for await (const r of d.readRecipients(s)) out.push(r.sAMAccountName ?? r.dn);
  return out.sort();
}

async function alice(d: LdifDirectory): Promise<DirectoryRecipient> {
  const r = await d.readObject({ objectGuid: guidToText(guid(1)), dn: "" });
  if (!r) throw new Error("no alice");
  return r;
}

describe("LdifDirectory", () => {
  it("scopes by OU (subtree, one-level), groups (direct, nested through cycles, via memberOf), disabled", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    const staff = "ou=STAFF,dc=corp,dc=example";
    expect(await names(d, scope({ ous: [{ dn: staff, scope: "subtree" }] }))).toEqual([
      "alice",
      "bob",
      "carol",
    ]);
    expect(await names(d, scope({ ous: [{ dn: staff, scope: "one-level" }] }))).toEqual(["alice", "bob"]);
    expect(
      await names(d, scope({ ous: [{ dn: staff, scope: "one-level" }], includeDisabled: false })),
    ).toEqual(["alice"]);
    const top = "CN=Top,OU=Groups,DC=corp,DC=example";
    expect(await names(d, scope({ groups: [{ dn: top, nested: false }] }))).toEqual(["alice"]);
    expect(await names(d, scope({ groups: [{ dn: top, nested: true }] }))).toEqual(["alice", "bob"]);
  });

  it("has no change tracking: no cursor, and a change read asks for a full read", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    expect(await d.changeCursor()).toBeUndefined();
    const since = { invocationId: "03020100-0504-0706-0809-0a0b0c0d0e01", usn: "1", server: path };
    expect(
      await d.readChanges(scope({ ous: [{ dn: "dc=corp,dc=example", scope: "subtree" }] }), since),
    ).toEqual({
      kind: "full",
      reason: "an LDIF file has no change tracking",
    });
  });

  it("reads recipients like the LDAP backend", async () => {
    const d = await openDirectory({ ldif: "ad.ldif", sourceAnchor: "objectGUID" }, { baseDir: dir, env: {} });
    const a = await d.readObject({ objectGuid: guidToText(guid(1)), dn: "" });
    expect(a).toMatchObject({
      kind: "user",
      objectGuid: "03020100-0504-0706-0809-0a0b0c0d0e01",
      sourceAnchor: b64(guid(1)),
      userPrincipalName: "alice@corp.example",
      disabled: false,
      usnChanged: "100",
    });
    expect(a?.values.userCertificate.map((v) => Buffer.from(v).toString("hex"))).toEqual([
      C1.toString("hex"),
    ]);
    expect(d.fingerprint(a as DirectoryRecipient).version).toBeUndefined();
  });

  it("adds and removes exact values, rewriting the file atomically", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    const a = await alice(d);
    const ref = { objectGuid: a.objectGuid, dn: a.dn };
    expect(
      await d.writeValues(
        ref,
        [{ attribute: "userSMIMECertificate", add: [C2], remove: [] }],
        d.fingerprint(a),
      ),
    ).toEqual({
      ok: true,
    });
    const a2 = await alice(d);
    expect(
      await d.writeValues(
        ref,
        [{ attribute: "userCertificate", add: [C2], remove: [C1] }],
        d.fingerprint(a2),
      ),
    ).toEqual({ ok: true });
    await d.close(); // writes are saved in batches, at the latest when the backend is closed
    const text = await readFile(path, "utf8");
    expect(text).toContain(`userCertificate:: ${b64(C2)}`);
    expect(text).toContain(`userSMIMECertificate:: ${b64(C2)}`);
    expect(text).not.toContain(b64(C1));
    expect(text.startsWith("# export of DC=corp,DC=example\n")).toBe(true);
    expect(await readdir(dir)).toEqual(["ad.ldif"]);
    const reopened = await LdifDirectory.open(path, "objectGUID");
    expect((await alice(reopened)).values.userCertificate.map((v) => Buffer.from(v).toString("hex"))).toEqual(
      [C2.toString("hex")],
    );
  });

  it("reports a change made to the file since it was read as stale", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    const a = await alice(d);
    // someone else edits the file: alice loses her certificate
    await writeFile(path, LDIF.replace(`userCertificate:: ${b64(C1)}\n`, ""));
    const result = await d.writeValues(
      { objectGuid: a.objectGuid, dn: a.dn },
      [{ attribute: "userCertificate", add: [C2], remove: [] }],
      d.fingerprint(a),
    );
    expect(result).toMatchObject({ ok: false, reason: "stale" });
    expect(await readFile(path, "utf8")).not.toContain(b64(C2));
  });

  it("treats removing an absent value or adding a present one like LDAP: stale, nothing written", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    const a = await alice(d);
    const ref = { objectGuid: a.objectGuid, dn: a.dn };
    expect(
      await d.writeValues(ref, [{ attribute: "userCertificate", add: [C1], remove: [] }], d.fingerprint(a)),
    ).toMatchObject({
      ok: false,
      reason: "stale",
    });
    expect(
      await d.writeValues(ref, [{ attribute: "userCertificate", add: [], remove: [C2] }], d.fingerprint(a)),
    ).toMatchObject({
      ok: false,
      reason: "stale",
    });
    expect(await readFile(path, "utf8")).toBe(LDIF);
  });

  it("reports an unknown GUID as not-found and an unreadable file clearly", async () => {
    const d = await LdifDirectory.open(path, "objectGUID");
    const a = await alice(d);
    expect(
      await d.writeValues(
        { objectGuid: guidToText(guid(99)), dn: "CN=x" },
        [{ attribute: "userCertificate", add: [C2], remove: [] }],
        d.fingerprint(a),
      ),
    ).toMatchObject({ ok: false, reason: "not-found" });
    await expect(LdifDirectory.open(join(dir, "missing.ldif"), "objectGUID")).rejects.toBeInstanceOf(
      SmimesyncError,
    );
  });
});
