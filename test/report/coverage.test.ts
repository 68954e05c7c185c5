// The report's figures over hand-built observed states, through the real reconcile and policy (with
// certificates issued at test time): every status, blocker, expiry bucket and forecast week.
import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import type { PolicyConfig } from "../../src/config/types.generated.js";
import { coverageJudge, policyPort, watchedCas } from "../../src/engine/policy-port.js";
import { assemblePlan } from "../../src/plan/assemble.js";
import type { ObservedState, ReconcileSettings } from "../../src/reconcile/observed.js";
import { reconcile } from "../../src/reconcile/reconcile.js";
import { buildReport } from "../../src/report/build.js";
import { coverageChangeLine, planCoverage } from "../../src/report/coverage-line.js";
import type { Report } from "../../src/report/types.js";
import {
  adUser,
  cloudOnlyUser,
  fingerprints,
  mailboxOf,
  SETTINGS,
  syncedCloudUser,
  values,
} from "../fixtures/observed.js";
import { daysFromNow, makeIntermediate, makeUser, NOW, type TestPki, testPki } from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

let pki: TestPki;
beforeAll(async () => {
  pki = await testPki();
});

const cert = async (mail: string, o: Parameters<typeof makeUser>[1] = {}, issuer = pki.intermediate) =>
  (await makeUser(issuer, { emails: [mail], ...o })).der;

const SOURCE = {
  configPath: "smimesync.yaml",
  configHash: "0".repeat(64),
  git: null,
  directory: "d",
  tenant: "t",
};

async function run(
  observed: ObservedState,
  o: {
    settings?: Partial<ReconcileSettings>;
    policy?: PolicyConfig;
    weeks?: number;
    pki?: TestPki;
  } = {},
) {
  const { policy, cache } = await testPolicy(o.policy ?? {}, o.pki ? { pki: o.pki } : {});
  const result = reconcile(
    observed,
    { ...SETTINGS, ...o.settings },
    policyPort(policy, NOW, cache),
    fingerprints,
  );
  const plan = assemblePlan({
    createdAt: NOW,
    policyTime: NOW,
    source: SOURCE,
    ...result,
    toolVersion: "0.0.0",
  });
  const judge = coverageJudge(policy, NOW, cache);
  const report = buildReport({
    plan,
    recipients: result.recipients,
    judge,
    cas: watchedCas(policy),
    weeks: o.weeks ?? 26,
  });
  return { report, plan, result, judge };
}

/** An AD user synced to a mailbox: AD holds `inAd`, Exchange Online shows `inExchange`. */
function synced(
  name: string,
  inAd: Uint8Array[],
  inExchange: Uint8Array[],
  cloud: Parameters<typeof syncedCloudUser>[1] = {},
) {
  const ad = adUser(name, values(inAd));
  const user = syncedCloudUser(ad, cloud);
  return { ad, user, mailbox: mailboxOf(user, values(inExchange)) };
}

function observedOf(...pairs: ReturnType<typeof synced>[]): ObservedState {
  return {
    directory: pairs.map((p) => p.ad),
    cloudUsers: pairs.map((p) => p.user),
    exchange: pairs.map((p) => p.mailbox),
  };
}

const status = (r: Report, name: string) => r.recipients.find((x) => x.mail === `${name}@corp.example`);

describe("whether senders can encrypt to a recipient", () => {
  it("covers a recipient whose usable certificate is in AD and in Exchange Online, until its expiry", async () => {
    const c = await cert("alice@corp.example", { notAfter: daysFromNow(400) });
    const { report } = await run(observedOf(synced("alice", [c], [c])));
    const alice = status(report, "alice");
    expect(alice?.status).toBe("covered");
    expect(alice?.best?.until).toBe(daysFromNow(400).toISOString());
    expect(alice?.best?.limitedBy).toBe("certificate");
    expect(report.figures).toMatchObject({
      inScope: 1,
      covered: 1,
      coverage: 1,
      pending: 0,
      none: 0,
      blocked: 0,
    });
  });

  it("does not count a signing-only certificate: nobody could encrypt to it", async () => {
    const signing = await cert("sam@corp.example", { keyUsage: x509.KeyUsageFlags.digitalSignature });
    const encrypting = await cert("eve@corp.example");
    const { report } = await run(
      observedOf(synced("sam", [signing], [signing]), synced("eve", [encrypting], [encrypting])),
    );
    expect(status(report, "sam")?.status).toBe("none");
    expect(status(report, "sam")?.note).toMatch(/^key-usage-unfit: .*nobody could encrypt to it/);
    expect(status(report, "eve")?.status).toBe("covered");
    expect(report.figures).toMatchObject({ inScope: 2, covered: 1, coverage: 0.5, none: 1 });
  });

  it("reports a certificate in AD but not yet in Exchange Online as pending", async () => {
    const c = await cert("paul@corp.example");
    const lone = adUser("nina", values([await cert("nina@corp.example")]));
    const observed = observedOf(synced("paul", [c], []));
    const { report } = await run({ ...observed, directory: [...(observed.directory ?? []), lone] });
    expect(status(report, "paul")).toMatchObject({ status: "pending", blockers: [] });
    expect(status(report, "paul")?.note).toMatch(/not yet in Exchange Online/);
    // Not synchronised at all yet: no Exchange Online recipient.
    expect(status(report, "nina")?.status).toBe("pending");
    expect(status(report, "nina")?.note).toMatch(/no Exchange Online recipient yet/);
    expect(report.figures).toMatchObject({ covered: 0, pending: 2, coverage: 0 });
  });

  it("reports over 15 values in AD as blocked, and counts a blocked recipient Exchange still covers", async () => {
    const many = await Promise.all(
      Array.from({ length: 16 }, (_, i) => cert("olga@corp.example", { notBefore: daysFromNow(-100 - i) })),
    );
    const manyToo = await Promise.all(
      Array.from({ length: 16 }, (_, i) => cert("otto@corp.example", { notBefore: daysFromNow(-100 - i) })),
    );
    const { report } = await run(
      observedOf(synced("olga", many, []), synced("otto", manyToo, [manyToo[3]!])),
    );
    expect(status(report, "olga")).toMatchObject({ status: "blocked", blockers: ["over-limit"] });
    expect(status(report, "otto")).toMatchObject({ status: "covered", blockers: ["over-limit"] });
    expect(report.figures).toMatchObject({
      inScope: 2,
      covered: 1,
      blocked: 2,
      blockedCovered: 1,
      pending: 0,
    });
  });

  it("reports a provisioning error or switched-off sync as blocked", async () => {
    const a = await cert("pia@corp.example");
    const b = await cert("sven@corp.example");
    const { report } = await run(
      observedOf(
        synced("pia", [a], [], {
          onPremisesProvisioningErrors: [
            { category: "PropertyConflict", propertyCausingError: "ProxyAddresses" },
          ],
        }),
        synced("sven", [b], [], { onPremisesSyncEnabled: false }),
      ),
    );
    expect(status(report, "pia")).toMatchObject({ status: "blocked", blockers: ["provisioning-error"] });
    expect(status(report, "sven")).toMatchObject({ status: "blocked", blockers: ["sync-disabled"] });
    expect(report.figures).toMatchObject({ blocked: 2, blockedCovered: 0, covered: 0 });
  });

  it("finds no usable certificate when the only ones are expired or for another address", async () => {
    const expired = await cert("xena@corp.example", {
      notBefore: daysFromNow(-400),
      notAfter: daysFromNow(-1),
    });
    const wrong = await cert("someone.else@corp.example");
    const { report } = await run(
      observedOf(
        synced("xena", [expired], [expired]),
        synced("yuri", [wrong], [wrong]),
        synced("zoe", [], []),
      ),
    );
    expect(status(report, "xena")?.note).toMatch(/^expired:/);
    expect(status(report, "yuri")?.note).toMatch(/^email-mismatch:/);
    expect(status(report, "zoe")?.note).toBe("no certificate at its authority");
    expect(report.figures).toMatchObject({ none: 3, covered: 0 });
  });

  it("covers a cloud-only mailbox from its own values (Exchange Online is its authority)", async () => {
    const user = cloudOnlyUser("carl");
    const c = await cert("carl@corp.example");
    const { report } = await run(
      { directory: [], cloudUsers: [user], exchange: [mailboxOf(user, values([c]))] },
      { settings: { cloudOnly: true } },
    );
    expect(report.recipients).toEqual([
      expect.objectContaining({
        authority: "exchange",
        status: "covered",
        ou: "Exchange Online (cloud-only)",
      }),
    ]);
  });

  it("ends a certificate's usefulness when its issuing CA expires first", async () => {
    const shortCa = await makeIntermediate(pki.root, {
      name: "CN=Short-lived Issuing CA",
      slot: 201,
      notAfter: daysFromNow(40),
    });
    const shortPki = { ...pki, intermediate: shortCa };
    const c = await cert("ivy@corp.example", { notAfter: daysFromNow(300) }, shortCa);
    const { report } = await run(observedOf(synced("ivy", [c], [c])), { pki: shortPki });
    expect(status(report, "ivy")?.best).toMatchObject({
      until: shortCa.cert.notAfter.toISOString(),
      limitedBy: "issuing-ca",
    });
    expect(report.figures.expiring).toEqual({ d30: 0, d60: 1, d90: 1 });
    // The intermediate is listed among CAs expiring within the window; the ten-year root is not.
    expect(report.caExpiring).toEqual([expect.objectContaining({ source: "intermediate", daysLeft: 40 })]);
    expect(report.caExpiring[0]?.certificate.subject).toMatch(/Short-lived Issuing CA/);
  });
});

describe("expiry buckets and the forecast", () => {
  const lapses = [3, 7, 10, 45, 80, 200];
  let report: Report;
  beforeAll(async () => {
    const pairs = await Promise.all(
      lapses.map(async (d) => {
        const name = `u${String(d).padStart(3, "0")}`;
        const c = await cert(`${name}@corp.example`, { notAfter: daysFromNow(d) });
        return synced(name, [c], [c]);
      }),
    );
    report = (await run(observedOf(...pairs))).report;
  });

  it("counts covered recipients whose last certificate lapses within 30, 60 and 90 days (cumulative)", () => {
    expect(report.figures.covered).toBe(6);
    expect(report.figures.expiring).toEqual({ d30: 3, d60: 4, d90: 5 });
  });

  it("has one entry per week, counting who loses encryption that week and who is left", () => {
    expect(report.forecast).toHaveLength(26);
    const losing = report.forecast.map((w) => w.losing);
    // 3 and 7 days: week 1 (its end is inclusive); 10: week 2; 45: week 7; 80: week 12; 200: beyond 26.
    expect(losing[0]).toBe(2);
    expect(losing[1]).toBe(1);
    expect(losing[6]).toBe(1);
    expect(losing[11]).toBe(1);
    expect(losing.reduce((a, b) => a + b, 0)).toBe(5);
    expect(report.forecast[0]?.coveredAfter).toBe(4);
    expect(report.forecast[25]?.coveredAfter).toBe(1);
    expect(report.forecast[0]?.from).toBe(NOW.toISOString());
    expect(report.forecast[0]?.to).toBe(daysFromNow(7).toISOString());
    expect(report.forecast[0]?.recipients.map((e) => e.mail)).toEqual([
      "u003@corp.example",
      "u007@corp.example",
    ]);
    expect(report.forecast[0]?.recipients[0]?.ou).toBe("OU=Staff,DC=corp,DC=example");
  });

  it("looks further ahead with more weeks", async () => {
    const pairs = await Promise.all(
      [200].map(async (d) => {
        const c = await cert("far@corp.example", { notAfter: daysFromNow(d) });
        return synced("far", [c], [c]);
      }),
    );
    const { report: long } = await run(observedOf(...pairs), { weeks: 30 });
    expect(long.forecast).toHaveLength(30);
    expect(long.forecast.findIndex((w) => w.losing === 1) + 1).toBe(Math.ceil(200 / 7));
  });
});

describe("breakdowns, pruning and the plan's before/after", () => {
  it("breaks the figures down by OU and by issuing CA", async () => {
    const a = synced("ann", [await cert("ann@corp.example")], []);
    a.mailbox = { ...a.mailbox, values: a.ad.values };
    const b = synced("ben", [], []);
    const salesDn = "CN=cat,OU=Sales,DC=corp,DC=example";
    const c0 = await cert("cat@corp.example");
    const cat = synced("cat", [c0], [c0]);
    cat.ad = { ...cat.ad, dn: salesDn };
    const { report } = await run(observedOf(a, b, cat));
    expect(report.byOu.map((o) => [o.key, o.inScope, o.covered])).toEqual([
      ["OU=Sales,DC=corp,DC=example", 1, 1],
      ["OU=Staff,DC=corp,DC=example", 2, 1],
    ]);
    expect(report.byIssuer.map((o) => [o.key, o.inScope, o.covered, o.none])).toEqual([
      ["(no usable certificate)", 1, 0, 1],
      [pki.intermediate.cert.subject, 2, 2, 0],
    ]);
  });

  it("counts the values the plan prunes, and those it only reports", async () => {
    const expired = await cert("pam@corp.example", {
      notBefore: daysFromNow(-400),
      notAfter: daysFromNow(-1),
    });
    const good = await cert("pam@corp.example");
    const observed = observedOf(synced("pam", [expired, good], [expired, good]));
    const pruning = (await run(observed, { policy: { prune: { expired: true } } })).report;
    expect(pruning.figures).toMatchObject({ pruned: 1, wouldRemove: 0, covered: 1 });
    expect(pruning.pruned).toEqual([
      expect.objectContaining({ reason: "expired", attribute: "userCertificate" }),
    ]);
    const reporting = (await run(observed)).report;
    expect(reporting.figures).toMatchObject({ pruned: 0, wouldRemove: 1 });
  });

  it("computes the coverage after the plan from its changes, without writing", async () => {
    const mailboxUser = cloudOnlyUser("cleo");
    const declaredCloud = await cert("cleo@corp.example");
    const declaredAd = await cert("dan@corp.example");
    const dan = synced("dan", [], []);
    const observed: ObservedState = {
      directory: [dan.ad],
      cloudUsers: [dan.user, mailboxUser],
      exchange: [dan.mailbox, mailboxOf(mailboxUser, values())],
    };
    const declared = new Map([
      ["cleo@corp.example", [declaredCloud]],
      ["dan@corp.example", [declaredAd]],
    ]);
    const { plan, result, judge } = await run(observed, { settings: { cloudOnly: true, declared } });
    const change = planCoverage(result.recipients, plan, judge);
    expect(change.before).toMatchObject({ inScope: 2, covered: 0, none: 2 });
    // The mailbox is its own authority: covered at once. AD's value waits for Entra Connect.
    expect(change.after).toMatchObject({ inScope: 2, covered: 1, pending: 1, none: 0 });
    expect(coverageChangeLine(change)).toBe(
      "Coverage: 0 of 2 recipients (0.0%) can receive encrypted mail; 2 with none → after this plan: 1 of 2 recipients (50.0%) can receive encrypted mail; 1 pending",
    );
    // The observed values are untouched.
    expect(result.recipients.every((m) => m.current.userCertificate.length === 0)).toBe(true);
  });
});
