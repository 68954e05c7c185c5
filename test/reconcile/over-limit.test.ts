// The 16-certificate user (issue 12): whatever the other prune switches, with prune.over-limit on
// no recipient ends a plan with more values at its authority than maxPerUser (never more than 15);
// with it off, a recipient left over 15 is named in a warning.
import { createHash } from "node:crypto";
import { Chalk } from "chalk";
import { beforeAll, describe, expect, it } from "vitest";
import type { DirectoryRecipient } from "../../src/directory/types.js";
import { policyPort } from "../../src/engine/policy-port.js";
import { fingerprintOf } from "../../src/model/fingerprint.js";
import { assemblePlan } from "../../src/plan/assemble.js";
import { escapeMarkdown, renderJson, renderMarkdown, renderText } from "../../src/plan/render/index.js";
import type { ReconcileSettings } from "../../src/reconcile/observed.js";
import { type ReconcileResult, reconcile } from "../../src/reconcile/reconcile.js";
import type { ExchangeRecipient } from "../../src/tenant/types.js";
import { daysFromNow, makeUser, NOW, type TestPki, testPki } from "../fixtures/pki.js";
import { testPolicy } from "../fixtures/policy.js";

const sha = (v: Uint8Array) => createHash("sha256").update(v).digest("hex");
const ALIASES = Array.from({ length: 5 }, (_, i) => `lea.${i}@corp.example`);

interface Lea {
  readonly values: Uint8Array[];
  /** SHA-256 -> rank by age, 0 the oldest. */
  readonly age: Map<string, number>;
  readonly aliasCerts: Uint8Array[];
}

let pki: TestPki;
let lea: Lea;
beforeAll(async () => {
  pki = await testPki();
  const make = (emails: string[], notBefore: number, notAfter: number, slot: number) =>
    makeUser(pki.intermediate, {
      emails,
      notBefore: daysFromNow(notBefore),
      notAfter: daysFromNow(notAfter),
      slot,
    }).then((c) => c.der);
  const values: Uint8Array[] = [];
  const aliasCerts: Uint8Array[] = [];
  // 4 expired, 7 renewals of one address (superseded by the alias certificates, which are newer and
  // cover it), 5 each for another alias (none replaces another: 3 selected, 2 over maxPerUser 3).
  for (let i = 0; i < 4; i++) values.push(await make(["lea@corp.example"], -500 + i, -20 + i, 10 + i));
  for (let i = 0; i < 7; i++) values.push(await make(["lea@corp.example"], -100 + i, 300, 20 + i));
  for (let i = 0; i < 5; i++) {
    const c = await make(["lea@corp.example", ALIASES[i] as string], -50 + i, 300, 30 + i);
    values.push(c);
    aliasCerts.push(c);
  }
  // Stored newest first, so "oldest first" cannot come from the input order.
  values.reverse();
  // Age rank: 0 is the oldest.
  const age = new Map([...values].reverse().map((v, i) => [sha(v), i] as const));
  lea = { values, age, aliasCerts };
});

function adLea(): DirectoryRecipient {
  return {
    kind: "user",
    dn: "CN=lea,OU=Staff,DC=corp,DC=example",
    objectGuid: "00000000-0000-0000-0000-000000000016",
    sourceAnchor: Buffer.from("anchor-lea").toString("base64"),
    sAMAccountName: "lea",
    userPrincipalName: "lea@corp.example",
    mail: "lea@corp.example",
    proxyAddresses: ["SMTP:lea@corp.example", ...ALIASES.map((a) => `smtp:${a}`)],
    disabled: false,
    usnChanged: "4242",
    values: { userCertificate: lea.values, userSMIMECertificate: [] },
  };
}

const SETTINGS: ReconcileSettings = {
  cloudOnly: false,
  include: [],
  exclude: [],
  includeDisabled: false,
  declared: new Map(),
  contacts: [],
};

async function plan(prune: Record<string, boolean>, maxPerUser: number): Promise<ReconcileResult> {
  const { policy, cache } = await testPolicy({
    maxPerUser,
    prune,
    publish: { userCertificate: true, userSMIMECertificate: "off" },
  });
  return reconcile(
    { directory: [adLea()], cloudUsers: [], exchange: [] as ExchangeRecipient[] },
    SETTINGS,
    policyPort(policy, NOW, cache),
    {
      directory: (r) => fingerprintOf(r.values, r.usnChanged),
      exchange: (r) => fingerprintOf(r.values),
    },
  );
}

const combos = [false, true].flatMap((expired) =>
  [false, true].flatMap((superseded) =>
    [false, true].flatMap((overLimit) =>
      [3, 15].map((maxPerUser) => ({ expired, superseded, overLimit, maxPerUser })),
    ),
  ),
);

describe("a user with 16 certificates, under every combination of prune switches", () => {
  it.each(combos)(
    "expired $expired, superseded $superseded, over-limit $overLimit, maxPerUser $maxPerUser",
    async ({ expired, superseded, overLimit, maxPerUser }) => {
      const r = await plan({ expired, superseded, "over-limit": overLimit }, maxPerUser);
      const removed = r.changes.filter((c) => c.action === "remove");
      const published = r.changes.filter((c) => c.action === "publish");
      expect(published).toEqual([]);
      const left = lea.values.length - removed.length;
      // The certificates the policy selects always stay.
      const selected = lea.aliasCerts.slice(-Math.min(maxPerUser, 5)).map(sha);
      for (const s of selected) expect(removed.map((c) => c.valueSha256)).not.toContain(s);
      const blocked = r.warnings.filter((w) => w.code === "recipient-blocked-over-limit");
      if (overLimit) {
        expect(left).toBeLessThanOrEqual(maxPerUser);
        // What goes for the limit beyond its own pruned reason is labelled over-limit, and it is
        // older than every value that stays unselected.
        const forLimit = removed.filter((c) => c.explanation.startsWith("over the limit of"));
        const stays = r.wouldRemove.map((c) => lea.age.get(c.valueSha256)!);
        for (const c of forLimit) {
          expect(c.reason).toBe("over-limit");
          for (const s of stays) expect(lea.age.get(c.valueSha256)!).toBeLessThan(s);
        }
        expect(blocked).toEqual([]);
      } else {
        // Only pruned reasons go; what is left over 15 is said, by address.
        for (const c of removed)
          expect({ expired, superseded }[c.reason as "expired" | "superseded"]).toBe(true);
        if (left > 15) {
          expect(blocked.map((w) => w.address)).toEqual(["ad:user/lea@corp.example"]);
          expect(blocked[0]!.message).toContain(`${left} values stay`);
          expect(blocked[0]!.message).toContain("prune.over-limit");
        } else {
          expect(blocked).toEqual([]);
        }
      }
      expect(removed.length + r.wouldRemove.length).toBe(16 - Math.min(maxPerUser, 5));
    },
  );

  it("labels the values the limit removes over-limit even when superseded is off (the issue's case)", async () => {
    const r = await plan({ superseded: false, "over-limit": true }, 3);
    expect(r.changes.map((c) => c.reason)).toEqual(Array(13).fill("over-limit"));
    expect(r.wouldRemove).toEqual([]);
    expect(r.changes.filter((c) => c.explanation.includes("also superseded"))).toHaveLength(7);
  });
});

describe("a recipient left blocked, in every rendering", () => {
  it("is named in text, markdown and JSON warnings and in the closing line", async () => {
    const r = await plan({ superseded: false, expired: false, "over-limit": false }, 3);
    const p = assemblePlan({
      createdAt: NOW,
      policyTime: NOW,
      source: { configPath: "c", configHash: "0".repeat(64), git: null, directory: "d", tenant: "t" },
      ...r,
    });
    const closing = "No changes to make. 1 recipient stays blocked over the 15-value limit (see Warnings).";
    const text = renderText(p, new Chalk({ level: 0 }));
    expect(text).toContain(
      "recipient-blocked-over-limit ad:user/lea@corp.example: userCertificate: 16 values stay",
    );
    expect(text.trimEnd().split("\n").at(-1)).toBe(closing);
    const md = renderMarkdown(p);
    expect(md).toContain("**recipient-blocked-over-limit** · `ad:user/lea@corp.example`");
    expect(md).toContain(`**${escapeMarkdown(closing)}**`);
    const json = JSON.parse(renderJson(p)) as { warnings: { code: string; address: string }[] };
    expect(json.warnings).toContainEqual(
      expect.objectContaining({ code: "recipient-blocked-over-limit", address: "ad:user/lea@corp.example" }),
    );
  });
});
