// Reconcile over hand-built observed states, with the real policy engine and test certificates:
// every semantic rule of architecture.md ("Semantics") has a test here.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { buildCertsOnlyPkcs7 } from "../../src/certs/index.js";
import type { PolicyConfig } from "../../src/config/types.generated.js";
import type { DirectoryRecipient } from "../../src/directory/types.js";
import { policyPort } from "../../src/engine/policy-port.js";
import { type AttributeValues, emptyValues } from "../../src/model/attributes.js";
import { fingerprintOf } from "../../src/model/fingerprint.js";
import { assemblePlan } from "../../src/plan/assemble.js";
import { planConsistencyProblems } from "../../src/plan/consistency.js";
import type { ObservedState, ReconcileSettings } from "../../src/reconcile/observed.js";
import { type ReconcileResult, reconcile } from "../../src/reconcile/reconcile.js";
import type { ExchangeRecipient } from "../../src/tenant/types.js";
import {
  adUser,
  cloudOnlyUser,
  fingerprints,
  mailboxOf,
  SETTINGS,
  syncedCloudUser,
  values,
} from "../fixtures/observed.js";
import { daysFromNow, makeUser, NOW, type TestPki, testPki } from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const cert = async (mail: string, o: Parameters<typeof makeUser>[1] = {}) =>
  (await makeUser(pki.intermediate, { emails: [mail], ...o })).der;

async function run(
  observed: ObservedState,
  settings: Partial<ReconcileSettings> = {},
  policyConfig: PolicyConfig = {},
): Promise<ReconcileResult> {
  const { policy, cache } = await testPolicy({ ...policyConfig });
  return reconcile(observed, { ...SETTINGS, ...settings }, policyPort(policy, NOW, cache), fingerprints);
}

const summary = (r: ReconcileResult, list: "changes" | "wouldRemove" = "changes") =>
  r[list].map((c) => `${c.action} ${c.address} ${c.attribute} ${c.reason} @${c.authority}`);

describe("reconcile", () => {
  it("removes an expired certificate at the authority (AD) when prune is on, and keeps the valid one", async () => {
    const expired = await cert("ann@corp.example", {
      notBefore: daysFromNow(-400),
      notAfter: daysFromNow(-10),
    });
    const valid = await cert("ann@corp.example");
    const ad = adUser("ann", values([expired, valid]));
    const user = syncedCloudUser(ad);
    const r = await run(
      { directory: [ad], cloudUsers: [user], exchange: [mailboxOf(user, values([expired, valid]))] },
      {},
      { prune: { expired: true } },
    );
    expect(summary(r)).toEqual(["remove ad:user/ann@corp.example userCertificate expired @ad"]);
    expect(r.objects).toHaveLength(1);
    expect(r.objects[0]?.ref).toEqual({ type: "ad", objectGuid: ad.objectGuid, dn: ad.dn });
    expect(r.objects[0]?.fingerprint).toEqual(fingerprintOf(ad.values, ad.usnChanged));
    expect(r.drift).toEqual([]);
  });

  it("only reports a removal whose reason is not pruned", async () => {
    const expired = await cert("ben@corp.example", {
      notBefore: daysFromNow(-400),
      notAfter: daysFromNow(-10),
    });
    const ad = adUser("ben", values([expired]));
    const r = await run({ directory: [ad], cloudUsers: [syncedCloudUser(ad)], exchange: [] });
    expect(r.changes).toEqual([]);
    expect(summary(r, "wouldRemove")).toEqual([
      "remove ad:user/ben@corp.example userCertificate expired @ad",
    ]);
  });

  it("never resurrects a value from the mirror: a certificate only Exchange still shows is drift, not a publish", async () => {
    const kept = await cert("cat@corp.example");
    const removedInAd = await cert("cat@corp.example", { slot: 7 });
    const ad = adUser("cat", values([kept]));
    const user = syncedCloudUser(ad);
    const r = await run({
      directory: [ad],
      cloudUsers: [user],
      exchange: [mailboxOf(user, values([kept, removedInAd]))],
    });
    expect(r.changes).toEqual([]);
    expect(r.drift.map((d) => `${d.kind} ${d.attribute}`)).toEqual(["mirror-stale-value userCertificate"]);
  });

  it("publishes a repository certificate of a synced user in AD, never in Exchange Online", async () => {
    const declared = await cert("dan@corp.example");
    const ad = adUser("dan");
    const user = syncedCloudUser(ad);
    const r = await run(
      { directory: [ad], cloudUsers: [user], exchange: [mailboxOf(user, emptyValues())] },
      { declared: new Map([["dan@corp.example", [declared]]]) },
    );
    expect(summary(r)).toEqual(["publish ad:user/dan@corp.example userCertificate declared-in-repo @ad"]);
    expect(Buffer.from(r.changes[0]?.value ?? "", "base64")).toEqual(Buffer.from(declared));
  });

  it("reports sync pending when AD holds a value Exchange Online does not show yet", async () => {
    const c = await cert("eve@corp.example");
    const ad = adUser("eve", values([c]));
    const user = syncedCloudUser(ad);
    const r = await run({ directory: [ad], cloudUsers: [user], exchange: [mailboxOf(user, emptyValues())] });
    expect(r.drift.map((d) => d.kind)).toEqual(["sync-pending"]);
  });

  it("writes cloud-only mailboxes in Exchange Online, only when scope.cloudOnly is on", async () => {
    const declared = await cert("fay@corp.example");
    const user = cloudOnlyUser("fay");
    const observed = { directory: null, cloudUsers: [user], exchange: [mailboxOf(user, emptyValues())] };
    const declaredMap = new Map([["fay@corp.example", [declared]]]);
    const off = await run(observed, { declared: declaredMap });
    expect(off.changes).toEqual([]);
    expect(off.inScope).toBe(0);
    const on = await run(observed, { cloudOnly: true, declared: declaredMap });
    expect(summary(on)).toEqual([
      "publish exchange:mailbox/fay@corp.example userCertificate declared-in-repo @exchange",
    ]);
    expect(on.objects[0]?.ref).toEqual({ type: "exchange", kind: "Mailbox", identity: "fay@corp.example" });
  });

  it("skips disabled cloud-only accounts unless includeDisabled, and applies include/exclude patterns", async () => {
    const c = await cert("gus@corp.example");
    const gus = cloudOnlyUser("gus", { accountEnabled: false });
    const hal = cloudOnlyUser("hal");
    const observed = {
      directory: null,
      cloudUsers: [gus, hal],
      exchange: [mailboxOf(gus, emptyValues()), mailboxOf(hal, emptyValues())],
    };
    const declared = new Map([
      ["gus@corp.example", [c]],
      ["hal@corp.example", [await cert("hal@corp.example")]],
    ]);
    expect((await run(observed, { cloudOnly: true, declared })).inScope).toBe(1);
    expect((await run(observed, { cloudOnly: true, declared, includeDisabled: true })).inScope).toBe(2);
    const excluded = await run(observed, {
      cloudOnly: true,
      declared,
      exclude: [{ attribute: "mail", match: "h?l@*" }],
    });
    expect(excluded.inScope).toBe(0);
  });

  it("joins by source anchor, falls back to UPN with drift, and reports an AD user without a cloud user", async () => {
    const anchored = adUser("ida");
    const byUpn = adUser("jay");
    const lonely = adUser("kim");
    const r = await run({
      directory: [anchored, byUpn, lonely],
      cloudUsers: [
        syncedCloudUser(anchored),
        syncedCloudUser(byUpn, { onPremisesImmutableId: "c29tZXRoaW5nIGVsc2U=" }),
      ],
      exchange: [],
    });
    expect(r.drift.map((d) => `${d.kind} ${d.address}`)).toEqual([
      "join-fallback-upn ad:user/jay@corp.example",
      "no-cloud-counterpart ad:user/kim@corp.example",
    ]);
    expect(r.inScope).toBe(3);
  });

  it("warns when the joined cloud user is no longer synchronised from AD", async () => {
    const ad = adUser("ria");
    const r = await run({
      directory: [ad],
      cloudUsers: [syncedCloudUser(ad, { onPremisesSyncEnabled: false })],
      exchange: [],
    });
    expect(r.warnings.map((w) => `${w.code} ${w.address}`)).toEqual([
      "sync-disabled ad:user/ria@corp.example",
    ]);
  });

  it("with 16 values on one user: keeps maxPerUser newest, drops renewals as superseded, flags the blocked sync", async () => {
    // Each certificate also names its own alias, so none is a renewal of another: over-limit applies.
    const aliases = Array.from({ length: 15 }, (_, i) => `lea.${i}@corp.example`);
    const certs: Uint8Array[] = [];
    for (let i = 0; i < 15; i++) {
      certs.push(
        await cert("lea@corp.example", {
          emails: ["lea@corp.example", aliases[i] as string],
          notBefore: daysFromNow(-100 + i),
          slot: 10 + i,
        }),
      );
    }
    // A 16th that is an older renewal of the newest one (same addresses): superseded.
    certs.push(
      await cert("lea@corp.example", {
        emails: ["lea@corp.example", aliases[14] as string],
        notBefore: daysFromNow(-200),
        slot: 30,
      }),
    );
    const ad = adUser("lea", values(certs), {
      proxyAddresses: ["SMTP:lea@corp.example", ...aliases.map((a) => `smtp:${a}`)],
    });
    const user = syncedCloudUser(ad);
    const r = await run(
      { directory: [ad], cloudUsers: [user], exchange: [mailboxOf(user, emptyValues())] },
      {},
      { maxPerUser: 3, prune: { superseded: true, "over-limit": true } },
    );
    expect(r.changes.map((c) => c.reason).sort()).toEqual([...Array(12).fill("over-limit"), "superseded"]);
    const digest = (v: Uint8Array) => createHash("sha256").update(v).digest("hex");
    const removed = new Set(r.changes.map((c) => c.valueSha256));
    // The three newest stay.
    for (const kept of certs.slice(12, 15)) expect(removed.has(digest(kept))).toBe(false);
    expect(r.drift.map((d) => d.kind)).toEqual(["sync-blocked-over-limit"]);
  });

  it("never plans a 16th value: a publish that would exceed 15 is held back with a warning", async () => {
    const certs: Uint8Array[] = [];
    for (let i = 0; i < 15; i++)
      certs.push(await cert("max@corp.example", { notBefore: daysFromNow(-100 + i), slot: 40 + i }));
    const ad = adUser("max", values(certs));
    const newer = await cert("max@corp.example", { notBefore: daysFromNow(-1), slot: 70 });
    const r = await run(
      { directory: [ad], cloudUsers: [syncedCloudUser(ad)], exchange: [] },
      { declared: new Map([["max@corp.example", [newer]]]) },
      { maxPerUser: 15 },
    );
    expect(r.changes.filter((c) => c.action === "publish")).toEqual([]);
    expect(r.warnings.map((w) => w.code)).toContain("publish-blocked-over-limit");
  });

  it("creates a partner contact that does not exist, and updates one that does", async () => {
    const partnerCert = await cert("pat@partner.example");
    const otherCert = await cert("quinn@partner.example");
    const existing: ExchangeRecipient = {
      kind: "MailContact",
      identity: "Quinn Partner",
      externalDirectoryObjectId: undefined,
      primarySmtpAddress: "quinn@partner.example",
      emailAddresses: ["SMTP:quinn@partner.example"],
      isDirSynced: false,
      values: emptyValues(),
    };
    const r = await run(
      { directory: null, cloudUsers: [], exchange: [existing] },
      {
        contacts: [
          { mail: "pat@partner.example", name: "Pat Partner", authority: "exchange", values: [partnerCert] },
          { mail: "quinn@partner.example", name: "Quinn", authority: "exchange", values: [otherCert] },
        ],
      },
    );
    expect(summary(r)).toEqual([
      "publish exchange:mail-contact/pat@partner.example userCertificate declared-in-repo @exchange",
      "publish exchange:mail-contact/quinn@partner.example userCertificate declared-in-repo @exchange",
    ]);
    const refs = r.objects.map((o) => o.ref);
    expect(refs).toContainEqual({
      type: "exchange-new-contact",
      name: "Pat Partner",
      externalEmailAddress: "pat@partner.example",
    });
    expect(refs).toContainEqual({ type: "exchange", kind: "MailContact", identity: "Quinn Partner" });
  });

  describe("partners with authority: ad", () => {
    const PARTNERS = "OU=Partners,DC=corp,DC=example";
    const adContact = (
      name: string,
      mail: string,
      vals: AttributeValues,
      extra: Partial<DirectoryRecipient> = {},
    ): DirectoryRecipient => ({
      ...adUser(name, vals),
      kind: "contact",
      dn: `CN=${name},${PARTNERS}`,
      sourceAnchor: undefined,
      sAMAccountName: undefined,
      userPrincipalName: undefined,
      mail,
      proxyAddresses: [`SMTP:${mail}`],
      ...extra,
    });

    it("updates an existing AD contact per value at AD, joined by proxy address whatever the case", async () => {
      const expired = await cert("rita@partner.example", {
        notBefore: daysFromNow(-400),
        notAfter: daysFromNow(-10),
      });
      const renewed = await cert("rita@partner.example", { slot: 2 });
      // mail differs; the partner's address is among the proxy addresses, in another case.
      const contact = adContact("Rita", "r.main@partner.example", values([expired]), {
        proxyAddresses: ["SMTP:r.main@partner.example", "smtp:Rita@Partner.example"],
      });
      const r = await run(
        { directory: [], cloudUsers: [], exchange: [], adContacts: [contact] },
        {
          contacts: [
            {
              mail: "rita@partner.example",
              name: "Rita",
              authority: "ad",
              parentDn: PARTNERS,
              values: [renewed],
            },
          ],
        },
        { prune: { expired: true } },
      );
      expect(summary(r)).toEqual([
        "remove ad:contact/rita@partner.example userCertificate expired @ad",
        "publish ad:contact/rita@partner.example userCertificate declared-in-repo @ad",
      ]);
      expect(r.objects).toEqual([
        expect.objectContaining({
          address: "ad:contact/rita@partner.example",
          authority: "ad",
          kind: "contact",
          ref: { type: "ad", objectGuid: contact.objectGuid, dn: contact.dn },
          fingerprint: fingerprintOf(contact.values, contact.usnChanged),
        }),
      ]);
      expect(r.warnings).toEqual([]);
      expect(r.inScope).toBe(1);
    });

    it("creates a missing one in contactsOU: an ad-new-contact object with its publications", async () => {
      const c = await cert("sam@partner.example");
      const other = adContact("Somebody", "somebody@partner.example", emptyValues());
      const r = await run(
        { directory: [], cloudUsers: [], exchange: [], adContacts: [other] },
        {
          contacts: [
            {
              mail: "Sam@Partner.example",
              name: "Sam, Partner",
              authority: "ad",
              parentDn: PARTNERS,
              values: [c],
            },
          ],
        },
      );
      expect(summary(r)).toEqual([
        "publish ad:contact/sam@partner.example userCertificate declared-in-repo @ad",
      ]);
      expect(Buffer.from(r.changes[0]?.value ?? "", "base64")).toEqual(Buffer.from(c));
      expect(r.objects).toEqual([
        {
          address: "ad:contact/sam@partner.example",
          authority: "ad",
          kind: "contact",
          ref: {
            type: "ad-new-contact",
            parentDn: PARTNERS,
            name: "Sam, Partner",
            mail: "Sam@Partner.example",
          },
          mail: "sam@partner.example",
          userPrincipalName: null,
          fingerprint: null,
        },
      ]);
      // The plan built from it is consistent (authority "ad" agrees with the new reference).
      const plan = assemblePlan({
        createdAt: NOW,
        policyTime: NOW,
        source: { configPath: "c", configHash: "0".repeat(64), git: null, directory: "d", tenant: "t" },
        ...r,
      });
      expect(planConsistencyProblems(plan)).toEqual([]);
    });

    it("no longer warns that authority: ad is unsupported; warns only when no directory was read", async () => {
      const c = await cert("tom@partner.example");
      const partner = {
        mail: "tom@partner.example",
        name: "Tom",
        authority: "ad",
        parentDn: PARTNERS,
        values: [c],
      } as const;
      const read = await run(
        { directory: [], cloudUsers: [], exchange: [], adContacts: [] },
        { contacts: [partner] },
      );
      expect(read.warnings).toEqual([]);
      const none = await run(
        { directory: null, cloudUsers: [], exchange: [], adContacts: null },
        { contacts: [partner] },
      );
      expect(none.warnings.map((w) => w.code)).toEqual(["contact-authority-ad-no-directory"]);
      expect(none.changes).toEqual([]);
    });

    it("reports drift against the Exchange mail contact synced from it, found by address", async () => {
      const kept = await cert("uma@partner.example");
      const gone = await cert("uma@partner.example", { slot: 3 });
      const contact = adContact("Uma", "uma@partner.example", values([kept]));
      const synced: ExchangeRecipient = {
        kind: "MailContact",
        identity: "Uma",
        externalDirectoryObjectId: undefined,
        primarySmtpAddress: "UMA@partner.example",
        emailAddresses: ["SMTP:UMA@partner.example"],
        isDirSynced: true,
        values: values([kept, gone]),
      };
      const r = await run(
        { directory: [], cloudUsers: [], exchange: [synced], adContacts: [contact] },
        {
          contacts: [
            { mail: "uma@partner.example", name: "Uma", authority: "ad", parentDn: PARTNERS, values: [kept] },
          ],
        },
      );
      expect(r.changes).toEqual([]);
      expect(r.drift.map((d) => `${d.kind} ${d.address} ${d.attribute}`)).toEqual([
        "mirror-stale-value ad:contact/uma@partner.example userCertificate",
      ]);
    });
  });

  it("derives userSMIMECertificate as a certs-only PKCS#7 of the selected certificate", async () => {
    const c = await cert("ned@corp.example");
    const ad = adUser("ned", values([c]));
    const r = await run(
      { directory: [ad], cloudUsers: [syncedCloudUser(ad)], exchange: [] },
      {},
      { publish: { userSMIMECertificate: "derive" } },
    );
    expect(summary(r)).toEqual(["publish ad:user/ned@corp.example userSMIMECertificate derived-pkcs7 @ad"]);
    const again = await run(
      { directory: [ad], cloudUsers: [syncedCloudUser(ad)], exchange: [] },
      {},
      { publish: { userSMIMECertificate: "derive" } },
    );
    expect(again.changes[0]?.valueSha256).toBe(r.changes[0]?.valueSha256);
  });

  it("publishes to userCertificate a certificate found only in userSMIMECertificate, saying where it came from", async () => {
    const c = await cert("una@corp.example");
    const blob = buildCertsOnlyPkcs7([c]);
    const ad = adUser("una", values([], [blob]));
    const r = await run({ directory: [ad], cloudUsers: [syncedCloudUser(ad)], exchange: [] });
    expect(summary(r)).toEqual(["publish ad:user/una@corp.example userCertificate from-other-attribute @ad"]);
    expect(r.changes[0]?.explanation).toMatch(/^found in userSMIMECertificate; /);
    expect(Buffer.from(r.changes[0]?.value ?? "", "base64")).toEqual(Buffer.from(c));
  });

  it("warns about repository certificates that reach nobody in scope", async () => {
    const r = await run(
      { directory: [], cloudUsers: [], exchange: [] },
      { declared: new Map([["typo@corp.example", [await cert("typo@corp.example")]]]) },
    );
    expect(r.warnings.map((w) => w.code)).toEqual(["declared-unmatched"]);
  });

  it("gives the same plan id for the same inputs in any read order", async () => {
    const a = adUser(
      "oli",
      values([await cert("oli@corp.example", { notBefore: daysFromNow(-400), notAfter: daysFromNow(-1) })]),
    );
    const b = adUser(
      "pia",
      values([await cert("pia@corp.example", { notBefore: daysFromNow(-400), notAfter: daysFromNow(-1) })]),
    );
    const source = {
      configPath: "smimesync.yaml",
      configHash: "0".repeat(64),
      git: null,
      directory: "x",
      tenant: "y",
    };
    const planOf = (r: ReconcileResult) =>
      assemblePlan({ createdAt: NOW, policyTime: NOW, source, ...r, toolVersion: "0.0.0" });
    const p1 = planOf(
      await run({ directory: [a, b], cloudUsers: [], exchange: [] }, {}, { prune: { expired: true } }),
    );
    const p2 = planOf(
      await run({ directory: [b, a], cloudUsers: [], exchange: [] }, {}, { prune: { expired: true } }),
    );
    expect(p1.changes).toHaveLength(2);
    expect(p1.id).toBe(p2.id);
  });
});
