import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { assemblePlan } from "../../src/plan/assemble.js";
import { canonicalJson, canonicalSha256Hex } from "../../src/plan/canonical-json.js";
import { changeId, planId } from "../../src/plan/ids.js";
import { computeSummary, summaryLine } from "../../src/plan/summary.js";
import { adUserAddress, fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";
import { fixturePlan } from "./fixture-plan.js";

describe("canonicalJson", () => {
  it("sorts keys by code unit, drops undefined members, writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], B: { z: undefined, y: "é\u2028" } })).toBe(
      '{"B":{"y":"é\u2028"},"a":[true,null,"x"],"b":1}',
    );
  });

  it("matches the RFC 8785 example of key order", () => {
    // RFC 8785 §3.2.3: keys are sorted by their UTF-16 code units.
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // (Object.keys of a parsed object would put "1" first: integer-like keys; read the text instead.)
    const keys = [...canonicalJson(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map(
      (m) => JSON.parse(`"${m[1]}"`) as string,
    );
    expect(keys).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
  });

  it("refuses what JSON cannot hold exactly", () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/\$\.a is NaN/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/not a plain object/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
  });

  it("hashes as its text does, streamed in pieces past 64 KiB, non-ASCII included", () => {
    const big = {
      values: Array.from({ length: 3_000 }, (_, i) => ({ i, s: `é€😀 ${"x".repeat(i % 97)}`, n: [i, null] })),
      z: undefined,
    };
    const text = canonicalJson(big);
    expect(text.length).toBeGreaterThan(200_000);
    expect(canonicalSha256Hex(big)).toBe(createHash("sha256").update(text, "utf8").digest("hex"));
    expect(canonicalSha256Hex({ a: [] })).toBe(createHash("sha256").update('{"a":[]}').digest("hex"));
    expect(() => canonicalSha256Hex({ a: Number.NaN })).toThrow(/\$\.a is NaN/);
  });
});

describe("ids", () => {
  it("changeId is the first 16 hex digits of sha256(address|attribute|action|valueSha256)", () => {
    const key = {
      address: "ad:user/a@x",
      attribute: "userCertificate",
      action: "publish",
      valueSha256: "ab".repeat(32),
    } as const;
    const expected = createHash("sha256")
      .update(`ad:user/a@x|userCertificate|publish|${"ab".repeat(32)}`)
      .digest("hex");
    expect(changeId(key)).toBe(expected.slice(0, 16));
    expect(changeId({ ...key, action: "remove" })).not.toBe(changeId(key));
  });

  it("planId ignores id, createdAt and integrity, and follows the content", () => {
    const plan = fixturePlan();
    expect(planId({ ...plan, id: "x", createdAt: "2030-01-01T00:00:00Z" })).toBe(plan.id);
    expect(planId({ ...plan, integrity: { algorithm: "sha256", hash: "0".repeat(64) } } as typeof plan)).toBe(
      plan.id,
    );
    expect(planId({ ...plan, policyTime: "2026-01-16T09:00:00.000Z" })).not.toBe(plan.id);
    expect(plan.id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("assemblePlan", () => {
  it("gives the same plan (and id) whatever order reconcile found things in", () => {
    const a = fixturePlan();
    const b = assemblePlan({
      createdAt: "2027-01-01T00:00:00.000Z",
      policyTime: a.policyTime,
      source: a.source,
      objects: [...a.objects].reverse(),
      changes: [...a.changes].reverse(),
      wouldRemove: [...a.wouldRemove].reverse(),
      drift: [...a.drift].reverse(),
      warnings: [...a.warnings].reverse(),
      inScope: a.summary.inScope,
      toolVersion: a.tool.version,
    });
    expect(b.id).toBe(a.id);
    expect({ ...b, createdAt: a.createdAt }).toEqual(a);
  });

  it("orders a recipient's changes by attribute, removals first, so a full attribute has room", () => {
    const mail = "a@corp.example.com";
    const plan = new PlanBuilder()
      .adUser(mail)
      .publish(adUserAddress(mail), "userSMIMECertificate", fakeCertificate({ cn: "S" }), "derived-pkcs7")
      .publish(adUserAddress(mail), "userCertificate", fakeCertificate({ cn: "P" }))
      .remove(adUserAddress(mail), "userSMIMECertificate", fakeCertificate({ cn: "R2" }), "expired")
      .remove(adUserAddress(mail), "userCertificate", fakeCertificate({ cn: "R1" }), "expired")
      .build();
    expect(plan.changes.map((c) => `${c.attribute} ${c.action}`)).toEqual([
      "userCertificate remove",
      "userCertificate publish",
      "userSMIMECertificate remove",
      "userSMIMECertificate publish",
    ]);
  });
});

describe("summary", () => {
  it("counts publications, removals, distinct recipients and the other lists", () => {
    const plan = fixturePlan();
    expect(plan.summary).toEqual({
      publish: 4,
      remove: 3,
      recipients: 4,
      wouldRemove: 2,
      drift: 2,
      warnings: 2,
      inScope: 42,
    });
    expect(
      computeSummary({ changes: [], wouldRemove: [], drift: [], warnings: [], inScope: 0 }).recipients,
    ).toBe(0);
  });

  it("words the closing line like Terraform", () => {
    expect(summaryLine(fixturePlan())).toBe("Plan: 4 to publish, 3 to remove, across 4 recipients.");
    const nothing = {
      summary: { publish: 0, remove: 0, recipients: 0, wouldRemove: 3, drift: 0, warnings: 0, inScope: 9 },
      drift: [],
      warnings: [],
    };
    expect(summaryLine(nothing)).toBe("No changes. Active Directory and Exchange Online match the policy.");
  });

  it("says what stays true when there is nothing to change: waiting, blocked, other drift", () => {
    const pending = (address: string) => ({
      kind: "sync-pending" as const,
      address,
      attribute: "userCertificate" as const,
      message: "1 value in AD not yet in Exchange Online",
    });
    const drift = [
      ...Array.from({ length: 10 }, (_, i) => pending(`ad:user/u${i}@corp.example`)),
      // A second item for the same recipient counts once.
      { ...pending("ad:user/u0@corp.example"), attribute: "userSMIMECertificate" as const },
    ];
    const summary = {
      publish: 0,
      remove: 0,
      recipients: 0,
      wouldRemove: 0,
      drift: 11,
      warnings: 0,
      inScope: 12,
    };
    expect(summaryLine({ summary, drift, warnings: [] })).toBe(
      "No changes to make. 10 recipients are waiting for Entra Connect.",
    );
    const blocked = {
      code: "recipient-blocked-over-limit",
      address: "ad:user/lea@corp.example",
      message: "userCertificate: 16 values stay",
    };
    const other = {
      kind: "no-cloud-counterpart" as const,
      address: "ad:user/new@corp.example",
      message: "none",
    };
    expect(
      summaryLine({ summary, drift: [pending("ad:user/u1@corp.example"), other], warnings: [blocked] }),
    ).toBe(
      "No changes to make. 1 recipient stays blocked over the 15-value limit (see Warnings). 1 recipient is waiting for Entra Connect. 1 recipient has other drift (see Drift).",
    );
    // With changes the Terraform line stays, and a blocked recipient is still said.
    expect(
      summaryLine({ summary: { ...summary, publish: 1, recipients: 1 }, drift, warnings: [blocked] }),
    ).toBe(
      "Plan: 1 to publish, 0 to remove, across 1 recipient. 1 recipient stays blocked over the 15-value limit (see Warnings).",
    );
  });
});
