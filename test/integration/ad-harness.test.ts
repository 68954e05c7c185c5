// The harness itself: the DC answers over LDAPS with the run's CA, on the run's own address, and
// the seeding helpers create what they say (binary values byte-exact).
import { describe, expect, it } from "vitest";
import { sambaFacts } from "../ad/env.js";
import { adminClient, createGroup, createUser, createUsers, fakeDer, testOu } from "../ad/seed.js";

const tag = Math.random().toString(36).slice(2, 6);

describe("Samba AD harness", () => {
  it("serves LDAPS on its own loopback address and seeds users and groups", async () => {
    const f = sambaFacts();
    expect(f.ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(f.ldapsUrl).toBe(`ldaps://${f.ip}:636`);
    const ad = await adminClient();
    try {
      const ou = await testOu(ad, "harness");
      const cert = fakeDer(1200);
      const alice = await createUser(ad, ou, {
        cn: "Alice, A.",
        sAMAccountName: `h-alice-${tag}`,
        userCertificate: [cert],
      });
      const bulk = await createUsers(
        ad,
        ou,
        Array.from({ length: 50 }, (_, i) => ({ cn: `bulk ${i}`, sAMAccountName: `h-bulk${i}-${tag}` })),
      );
      await createGroup(ad, ou, `h-group-${tag}`, [alice, ...bulk.slice(0, 3)]);
      const { searchEntries } = await ad.search(ou, {
        scope: "sub",
        filter: "(objectClass=user)",
        attributes: ["userCertificate"],
        explicitBufferAttributes: ["userCertificate"],
      });
      expect(searchEntries).toHaveLength(51);
      const a = searchEntries.find((e) => e.dn.startsWith("CN=Alice"));
      expect(Buffer.compare(a?.userCertificate as Buffer, Buffer.from(cert))).toBe(0);
    } finally {
      await ad.unbind();
    }
  });
});
