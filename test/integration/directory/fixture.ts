// The directory tree the read tests run against, seeded once per file under its own OU:
//
//   OU=<label>-<rand>
//     OU=Staff            alice (2 userCertificate, 1 userSMIMECertificate, consistency GUID),
//                         bob (disabled), "Müller, Jürgen ..." (escaped DN, non-ASCII), a contact,
//                         a computer (never a recipient)
//       OU=Sub            carol
//     OU=Zürich, "Süd" (#2)   zoe (an OU whose DN needs escaping)
//     OU=Others           dave, erin, frank, olivia (in no group)
//     OU=Groups           Outer {dave, Inner}, Inner {erin}, `Ops: (north)* \ "x", y` {frank, jürgen}
//     OU=Paging           1,100 users (more than one 1,000-entry page)
import type { Client } from "ldapts";
import {
  addBinaryValues,
  adminClient,
  createGroup,
  createOu,
  createUser,
  createUsers,
  fakeDer,
  testOu,
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

/** Bytes that break any text handling: NUL, CR, LF, 0xFF, a trailing space. */
function nastyBytes(size: number): Uint8Array {
  const b = fakeDer(size);
  b.set([0x00, 0x0a, 0x0d, 0xff, 0x20], 10);
  b[b.length - 1] = 0x20;
  return b;
}

export async function seedDirectory(label: string): Promise<Seeded> {
  const ad: Client = await adminClient();
  try {
    const root = await testOu(ad, label);
    const staff = await createOu(ad, root, "Staff");
    const sub = await createOu(ad, staff, "Sub");
    const zurich = await createOu(ad, root, 'Zürich, "Süd" (#2)');
    const others = await createOu(ad, root, "Others");
    const groups = await createOu(ad, root, "Groups");
    const paging = await createOu(ad, root, "Paging");

    const aliceUserCertificate = [nastyBytes(1500), fakeDer(30_000)];
    const aliceSmime = [nastyBytes(2000)];
    const contactCert = fakeDer(900);
    const aliceConsistencyGuid = fakeDer(16);
    const alice = await createUser(ad, staff, {
      cn: "Alice Archer",
      sAMAccountName: "alice",
      mail: "alice@smimesync.test",
      proxyAddresses: ["SMTP:alice@smimesync.test", "smtp:a.archer@smimesync.test"],
      userCertificate: aliceUserCertificate,
      userSMIMECertificate: aliceSmime,
      consistencyGuid: aliceConsistencyGuid,
    });
    const bob = await createUser(ad, staff, {
      cn: "Bob Disabled",
      sAMAccountName: "bob",
      mail: "bob@smimesync.test",
      disabled: true,
    });
    const juergen = await createUser(ad, staff, {
      cn: 'Müller, Jürgen (Ops) *#1+2 "q" <x>;=\\',
      sAMAccountName: "jmueller",
      userPrincipalName: "jürgen.müller@smimesync.test",
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
      sAMAccountName: "PC1$",
      userAccountControl: "4096",
    });
    const carol = await createUser(ad, sub, {
      cn: "Carol",
      sAMAccountName: "carol",
      mail: "carol@example.org",
    });
    const zoe = await createUser(ad, zurich, {
      cn: "Zoë",
      sAMAccountName: "zoe",
      mail: "zoe@smimesync.test",
    });
    const dave = await createUser(ad, others, {
      cn: "Dave",
      sAMAccountName: "dave",
      mail: "dave@smimesync.test",
    });
    const erin = await createUser(ad, others, {
      cn: "Erin",
      sAMAccountName: "erin",
      mail: "erin@smimesync.test",
    });
    const frank = await createUser(ad, others, {
      cn: "Frank",
      sAMAccountName: "frank",
      mail: "frank@smimesync.test",
    });
    const olivia = await createUser(ad, others, {
      cn: "Olivia",
      sAMAccountName: "olivia",
      mail: "olivia@smimesync.test",
    });
    const inner = await createGroup(ad, groups, "Inner", [erin]);
    const outer = await createGroup(ad, groups, "Outer", [dave, inner]);
    const weird = await createGroup(ad, groups, 'Ops: (north)* \\ "x", y', [frank, juergen]);

    const t0 = performance.now();
    await createUsers(
      ad,
      paging,
      Array.from({ length: PAGING_USERS }, (_, i) => ({
        cn: `Pager ${String(i).padStart(4, "0")}`,
        sAMAccountName: `pager${i}`,
        mail: `pager${i}@smimesync.test`,
      })),
      16,
    );
    const pagingSeedSeconds = (performance.now() - t0) / 1000;

    return {
      root,
      ou: { staff, sub, zurich, others, groups, paging },
      dn: { alice, bob, juergen, contact, computer, carol, zoe, dave, erin, frank, olivia },
      group: { outer, inner, weird },
      aliceUserCertificate,
      aliceSmime,
      contactCert,
      aliceConsistencyGuid,
      pagingSeedSeconds,
    };
  } finally {
    await ad.unbind();
  }
}
