// An admin searches the audit trail for what a plan showed: the certificate must read the same in
// the text and markdown plans, the audit commit message and the JSON plan and record.
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { auditCommitMessage, buildAuditRecord } from "../../src/gitops/audit-record.js";
import { renderJson, renderMarkdown, renderText } from "../../src/plan/render/index.js";
import { adUserAddress, fakeCertificate, fakeMalformedValue, PlanBuilder } from "../fixtures/plan-builder.js";

describe("one thumbprint format", () => {
  it("shows a certificate as `thumbprint` + the first 8 hex digits of its SHA-1 everywhere, JSON holding the whole digest", () => {
    const mail = "alice@corp.example.com";
    const cert = fakeCertificate({ cn: "Alice Example", email: mail });
    const garbage = fakeMalformedValue("junk");
    const plan = new PlanBuilder()
      .adUser(mail)
      .publish(adUserAddress(mail), "userCertificate", cert)
      .remove(adUserAddress(mail), "userCertificate", garbage, "malformed")
      .build();
    const short = cert.ref.sha1.slice(0, 8).toUpperCase();
    const shown = `thumbprint ${short}`;

    expect(renderText(plan, new Chalk({ level: 0 }))).toContain(shown);
    expect(renderMarkdown(plan)).toContain(shown);
    const json = JSON.parse(renderJson(plan)) as { changes: { certificate: { sha1: string } | null }[] };
    const sha1s = json.changes.flatMap((c) => (c.certificate ? [c.certificate.sha1] : []));
    expect(sha1s).toEqual([cert.ref.sha1]);
    expect(cert.ref.sha1.startsWith(short)).toBe(true);

    const record = buildAuditRecord({
      plan,
      planHash: "0".repeat(64),
      outcomes: plan.changes.map((c) => ({ changeId: c.id, outcome: "applied" as const })),
      appliedAt: new Date("2026-01-15T10:00:00Z"),
      actor: { name: "ci", email: null, source: "unknown" },
      github: null,
      headCommit: null,
      approval: { kind: "confirmed" },
    });
    const message = auditCommitMessage(record);
    expect(message).toContain(shown);
    expect(message).not.toMatch(/sha1:/i);
    expect(record.changes.find((c) => c.certificate)?.certificate?.sha1).toBe(cert.ref.sha1);

    // A value that is not a certificate is named by its own hash, in the same upper-case form.
    const garbageHash = plan.changes.find((c) => c.certificate === null)?.valueSha256 ?? "";
    expect(renderText(plan, new Chalk({ level: 0 }))).toContain(
      `SHA-256 ${garbageHash.slice(0, 8).toUpperCase()}`,
    );
  });
});
