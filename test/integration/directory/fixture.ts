// The directory tree the read tests run against. It is read-only, so it is seeded once per DC
// (the first file that needs it; later files, and later runs on a reused DC, find it complete)
// with deterministic bytes, and its account names carry the suffix "-dfx" because sAMAccountName
// and userPrincipalName are unique in the whole domain, which other files share.
//
//   OU=directory-fixture-v1
//     OU=Staff            alice (2 userCertificate, 1 userSMIMECertificate, consistency GUID),
//                         bob (disabled), "Müller, Jürgen ..." (escaped DN, non-ASCII), a contact,
//                         a computer (never a recipient)
//       OU=Sub            carol
//     OU=Zürich, "Süd" (#2)   zoe (an OU whose DN needs escaping)
//     OU=Others           dave, erin, frank, olivia (in no group)
//     OU=Groups           Outer {dave, Inner}, Inner {erin}, `Ops: (north)* \ "x", y` {frank, jürgen}
//     OU=Paging           1,100 users (more than one 1,000-entry page)
import { createHash } from "node:crypto";
import { type Client, Control } from "ldapts";
import { sambaFacts } from "../../ad/env.js";
import {
  addBinaryValues,
  adminClient,
  createGroup,
  createOu,
  createUser,
  createUsers,
  setText,
} from "../../ad/seed.js";

export const PAGING_USERS = 1100;

export interface Seeded {
  readonly root: string;
  readonly ou: { staff: string; sub: string; zurich: string; others: string; groups: string; paging: string };
  readonly dn: {
    alice: string;
    bob: string;
    juergen: string;
    contact: string;
    computer: string;
    carol: string;
    zoe: string;
    dave: string;
    erin: string;
    frank: string;
    olivia: string;
  };
  readonly group: { outer: string; inner: string; weird: string };
  readonly aliceUserCertificate: readonly Uint8Array[];
  readonly aliceSmime: readonly Uint8Array[];
  readonly contactCert: Uint8Array;
  readonly aliceConsistencyGuid: Uint8Array;
  /** seconds spent seeding the 1,100 paging users */
  readonly pagingSeedSeconds: number;
}

/** Deterministic bytes (so a later file can know them without reading them). */
function bytes(label: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i * 32 < size; i++)
    out.set(
      createHash("sha256")
        .update(`${label}/${i}`)
        .digest()
        .subarray(0, Math.min(32, size - i * 32)),
      i * 32,
    );
  out[0] = 0x30;
  return out;
}

/** Bytes that break any text handling: NUL, CR, LF, 0xFF, a trailing space. */
function nastyBytes(label: string, size: number): Uint8Array {
  const b = bytes(label, size);
  b.set([0x00, 0x0a, 0x0d, 0xff, 0x20], 10);
  b[b.length - 1] = 0x20;
  return b;
}

const S = "-dfx"; // account name suffix
const COMPLETE = "smimesync directory fixture: complete";
const TREE_DELETE = "1.2.840.113556.1.4.805";

function layout(base: string): Omit<Seeded, "pagingSeedSeconds"> {
  const esc = (v: string) => v.replace(/[\\"+,;<>=]/g, (c) => `\\${c}`).replace(/^#/, "\\#");
  const root = `OU=directory-fixture-v1,${base}`;
  const staff = `OU=Staff,${root}`;
  const others = `OU=Others,${root}`;
  const groups = `OU=Groups,${root}`;
  return {
    root,
    ou: {
      staff,
      sub: `OU=Sub,${staff}`,
      zurich: `OU=${esc('Zürich, "Süd" (#2)')},${root}`,
      others,
      groups,
      paging: `OU=Paging,${root}`,
    },
    dn: {
      alice: `CN=Alice Archer,${staff}`,
      bob: `CN=Bob Disabled,${staff}`,
      juergen: `CN=${esc(JUERGEN_CN)},${staff}`,
      contact: `CN=Partner Contact,${staff}`,
      computer: `CN=PC1,${staff}`,
      carol: `CN=Carol,OU=Sub,${staff}`,
      zoe: `CN=Zoë,OU=${esc('Zürich, "Süd" (#2)')},${root}`,
      dave: `CN=Dave,${others}`,
      erin: `CN=Erin,${others}`,
      frank: `CN=Frank,${others}`,
      olivia: `CN=Olivia,${others}`,
    },
    group: {
      outer: `CN=Outer,${groups}`,
      inner: `CN=Inner,${groups}`,
      weird: `CN=${esc(WEIRD_GROUP)},${groups}`,
    },
    aliceUserCertificate: [nastyBytes("alice-uc-1", 1500), bytes("alice-uc-2", 30_000)],
    aliceSmime: [nastyBytes("alice-smime", 2000)],
    contactCert: bytes("contact", 900),
    aliceConsistencyGuid: bytes("alice-consistency", 16),
  };
}

const JUERGEN_CN = 'Müller, Jürgen (Ops) *#1+2 "q" <x>;=\\';
const WEIRD_GROUP = 'Ops: (north)* \\ "x", y';

export async function seedDirectory(): Promise<Seeded> {
  const ad: Client = await adminClient();
  const fixture = layout(sambaFacts().baseDn);
  try {
    const existing = await ad.search(fixture.root, { scope: "base", attributes: ["description"] }).then(
      (r) => r.searchEntries[0],
      () => undefined,
    );
    if (existing?.description === COMPLETE) return { ...fixture, pagingSeedSeconds: 0 };
    // half-seeded by a run that died (a reused DC): start again
    if (existing) await ad.del(fixture.root, new Control(TREE_DELETE));
    const seeded = await seed(ad, fixture);
    await setText(ad, fixture.root, "description", [COMPLETE]);
    return seeded;
  } finally {
    await ad.unbind();
  }
}

async function seed(ad: Client, fixture: Omit<Seeded, "pagingSeedSeconds">): Promise<Seeded> {
  {
    const base = sambaFacts().baseDn;
    const root = await createOu(ad, base, "directory-fixture-v1");
    const staff = await createOu(ad, root, "Staff");
    await createOu(ad, staff, "Sub");
    await createOu(ad, root, 'Zürich, "Süd" (#2)');
    const others = await createOu(ad, root, "Others");
    const groups = await createOu(ad, root, "Groups");
    const paging = await createOu(ad, root, "Paging");
    const { ou, aliceUserCertificate, aliceSmime, contactCert, aliceConsistencyGuid } = fixture;
    const sub = ou.sub;
    const zurich = ou.zurich;
    const alice = await createUser(ad, staff, {
      cn: "Alice Archer",
      sAMAccountName: `alice${S}`,
      mail: "alice@smimesync.test",
      proxyAddresses: ["SMTP:alice@smimesync.test", "smtp:a.archer@smimesync.test"],
      userCertificate: aliceUserCertificate,
      userSMIMECertificate: aliceSmime,
      consistencyGuid: aliceConsistencyGuid,
    });
    const bob = await createUser(ad, staff, {
      cn: "Bob Disabled",
      sAMAccountName: `bob${S}`,
      mail: "bob@smimesync.test",
      disabled: true,
    });
    const juergen = await createUser(ad, staff, {
      cn: JUERGEN_CN,
      sAMAccountName: `jmueller${S}`,
      userPrincipalName: `jürgen.müller${S}@smimesync.test`,
      mail: "jürgen@smimesync.test",
    });
    const contact = `CN=Partner Contact,${staff}`;
    await ad.add(contact, {
      objectClass: ["top", "person", "organizationalPerson", "contact"],
      mail: "partner@example.org",
    });
    await addBinaryValues(ad, contact, "userCertificate", [contactCert]);
    const computer = `CN=PC1,${staff}`;
    await ad.add(computer, {
      objectClass: ["top", "person", "organizationalPerson", "user", "computer"],
      sAMAccountName: `PC1${S}$`,
      userAccountControl: "4096",
    });
    const carol = await createUser(ad, sub, {
      cn: "Carol",
      sAMAccountName: `carol${S}`,
      mail: "carol@example.org",
    });
    const zoe = await createUser(ad, zurich, {
      cn: "Zoë",
      sAMAccountName: `zoe${S}`,
      mail: "zoe@smimesync.test",
    });
    const dave = await createUser(ad, others, {
      cn: "Dave",
      sAMAccountName: `dave${S}`,
      mail: "dave@smimesync.test",
    });
    const erin = await createUser(ad, others, {
      cn: "Erin",
      sAMAccountName: `erin${S}`,
      mail: "erin@smimesync.test",
    });
    const frank = await createUser(ad, others, {
      cn: "Frank",
      sAMAccountName: `frank${S}`,
      mail: "frank@smimesync.test",
    });
    const olivia = await createUser(ad, others, {
      cn: "Olivia",
      sAMAccountName: `olivia${S}`,
      mail: "olivia@smimesync.test",
    });
    const inner = await createGroup(ad, groups, "Inner", [erin]);
    const outer = await createGroup(ad, groups, "Outer", [dave, inner]);
    const weird = await createGroup(ad, groups, WEIRD_GROUP, [frank, juergen]);

    const t0 = performance.now();
    await createUsers(
      ad,
      paging,
      Array.from({ length: PAGING_USERS }, (_, i) => ({
        cn: `Pager ${String(i).padStart(4, "0")}`,
        sAMAccountName: `pager${i}${S}`,
        mail: `pager${i}@smimesync.test`,
      })),
      16,
    );
    const pagingSeedSeconds = (performance.now() - t0) / 1000;

    const actual = {
      root,
      ou: { staff, sub, zurich, others, groups, paging },
      dn: { alice, bob, juergen, contact, computer, carol, zoe, dave, erin, frank, olivia },
      group: { outer, inner, weird },
    };
    // the layout a later file computes must be what was created
    for (const [k, v] of Object.entries(actual.dn)) {
      if (v !== fixture.dn[k as keyof Seeded["dn"]]) throw new Error(`fixture layout differs for ${k}: ${v}`);
    }
    for (const [k, v] of Object.entries(actual.group)) {
      if (v !== fixture.group[k as keyof Seeded["group"]])
        throw new Error(`fixture layout differs for ${k}: ${v}`);
    }
    return { ...fixture, pagingSeedSeconds };
  }
}
