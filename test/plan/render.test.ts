import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { parsePlan } from "../../src/plan/plan-file.js";
import { commonName, valueLabel } from "../../src/plan/render/describe.js";
import { isPlanFormat, planRenderer, renderMarkdown, renderText } from "../../src/plan/render/index.js";
import { code, escapeMarkdown } from "../../src/plan/render/markdown.js";
import { fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";
import { ALICE, fixturePlan } from "./fixture-plan.js";

const plain = new Chalk({ level: 0 });
const coloured = new Chalk({ level: 1 });

describe("text rendering", () => {
  it("colours + green, - red and ~ yellow when the caller's chalk has colour, and not otherwise", () => {
    const text = renderText(fixturePlan(), coloured);
    expect(text).toContain("\u001b[32m+\u001b[39m userCertificate");
    expect(text).toContain("\u001b[31m-\u001b[39m userCertificate");
    expect(text).toContain('\u001b[33m~\u001b[39m recipient "alice@corp.example.com" {');
    expect(renderText(fixturePlan(), plain)).not.toContain("\u001b[");
  });

  it("dims would-remove notes and names the reason prune is disabled for", () => {
    const text = renderText(fixturePlan(), coloured);
    expect(text).toContain(
      `\u001b[2m${" ".repeat(10)}# would remove (prune disabled for weak-signature): signed with sha1WithRSAEncryption\u001b[22m`,
    );
  });

  it("shows certificates by name, short SHA-1 thumbprint and expiry at the policy time", () => {
    const plan = fixturePlan();
    const change = plan.changes.find((c) => c.address === ALICE && c.action === "publish")!;
    const thumb = change.certificate!.sha1.slice(0, 8).toUpperCase();
    expect(renderText(plan, plain)).toContain(
      `+ userCertificate      Alice Example <alice@corp.example.com>, thumbprint ${thumb}, expires 2028-02-01\n          # declared-in-repo: declared in certs/alice@corp.example.com.pem`,
    );
    expect(renderText(plan, plain)).toContain("expired 2025-12-31");
  });

  it("never prints a value's base64, in text or markdown", () => {
    const plan = fixturePlan();
    for (const c of plan.changes.filter((x) => x.value !== undefined)) {
      const probe = c.value!.slice(100, 140);
      expect(renderText(plan, plain)).not.toContain(probe);
      expect(renderMarkdown(plan)).not.toContain(probe);
    }
  });

  it("closes with Terraform's counts, or says there is nothing to do", () => {
    expect(renderText(fixturePlan(), plain).trimEnd().split("\n").at(-1)).toBe(
      "Plan: 4 to publish, 3 to remove, across 4 recipients.",
    );
    const empty = renderText(new PlanBuilder().adUser("a@corp.example.com").build(), plain);
    expect(empty.trimEnd().split("\n").at(-1)).toBe(
      "No changes. Active Directory and Exchange Online match the policy.",
    );
    expect(empty).not.toContain("will perform");
    const one = new PlanBuilder().adUser("a@corp.example.com");
    one.publish("ad:user/a@corp.example.com", "userCertificate", fakeCertificate({ cn: "A" }));
    expect(renderText(one.build(), plain)).toContain(
      "Plan: 1 to publish, 0 to remove, across 1 recipient.\n",
    );
  });

  it("keeps control characters from directory data out of the terminal", () => {
    const b = new PlanBuilder().adUser("a@corp.example.com");
    b.publish(
      "ad:user/a@corp.example.com",
      "userCertificate",
      fakeCertificate({ cn: "Evil\u001b[2J\nName" }),
      "declared-in-repo",
      "x\ry",
    );
    const text = renderText(b.build(), plain);
    expect(text).not.toContain("\u001b");
    expect(text).toContain("Evil [2J Name <evil.2j.name@corp.example.com>");
    expect(text).toContain("# declared-in-repo: x y");
  });
});

describe("a partner contact apply creates in Active Directory", () => {
  const address = "ad:contact/pat@partner.example";
  const plan = () =>
    new PlanBuilder()
      .object({
        address,
        authority: "ad",
        kind: "contact",
        ref: {
          type: "ad-new-contact",
          parentDn: "OU=Partners,DC=corp,DC=example",
          name: "Pat Partner",
          mail: "pat@partner.example",
        },
        mail: "pat@partner.example",
        userPrincipalName: null,
        fingerprint: null,
      })
      .publish(address, "userCertificate", fakeCertificate({ cn: "Pat Partner" }))
      .build();

  it("says it will be created in Active Directory, marked +", () => {
    const text = renderText(plan(), plain);
    expect(text).toContain(
      `  # ${address} will be created in Active Directory as contact "Pat Partner" (in OU=Partners,DC=corp,DC=example)`,
    );
    expect(text).toContain('  + recipient "pat@partner.example" {');
    expect(renderMarkdown(plan())).toContain(
      `<code>+ ${address}</code> · Active Directory (new contact) · 1 to publish`,
    );
  });
});

describe("markdown rendering", () => {
  it("puts the summary first and each recipient in a collapsed block", () => {
    const md = renderMarkdown(fixturePlan());
    expect(
      md.startsWith(
        "## smimesync plan\n\n**Plan: 4 to publish, 3 to remove, across 4 recipients.**\n\n| | Count |",
      ),
    ).toBe(true);
    expect(md.match(/<details><summary>/g)).toHaveLength(5);
    expect(md.match(/<\/details>/g)).toHaveLength(5);
    expect(md).toContain("### Drift");
    expect(md).toContain("### Warnings");
  });

  it("escapes markup, HTML and @-mentions from directory data", () => {
    expect(escapeMarkdown("<img src=x> *bold* @security-team a@b.example")).toBe(
      "&lt;img src=x&gt; \\*bold\\* @\u200bsecurity-team a@b.example",
    );
    expect(code("a`b")).toBe("``a`b``");
    const b = new PlanBuilder()
      .adUser("a@corp.example.com")
      .warning("x", "<script>", "ad:user/a@corp.example.com");
    expect(renderMarkdown(b.build())).toContain(": &lt;script&gt;");
  });

  it("lists each recipient's changes as a table row (attribute, action, certificate, expiry, reason), a `|` in a name escaped", () => {
    const md = renderMarkdown(fixturePlan());
    const rows = md.split("\n").filter((l) => l.startsWith("| `user"));
    expect(rows).toHaveLength(9); // 4 to publish, 3 to remove, 2 kept
    // Every row has exactly the header's five cells: an unescaped `|` from a name would add one.
    for (const r of rows) expect(r.replace(/\\\|/g, "").split("|").length - 2, r).toBe(5);
    expect(rows.some((r) => /^\| `userSMIMECertificate` \| ➖ remove \| Erin O'Neil \\\| /.test(r))).toBe(
      true,
    );
  });

  it("links the CI run that made the plan, and only an http(s) address", () => {
    const url = "https://github.com/corp/pki/actions/runs/42";
    expect(renderMarkdown(fixturePlan(), { runUrl: url })).toContain(` · [run](${url})</sub>`);
    expect(renderMarkdown(fixturePlan(), { runUrl: "javascript:alert(1)" })).not.toContain("[run]");
    expect(renderMarkdown(fixturePlan())).not.toContain("[run]");
  });
});

describe("json rendering", () => {
  it("is the plan file itself: it loads back as the same plan", () => {
    const plan = fixturePlan();
    const json = planRenderer("json", { color: plain }).render(plan);
    expect(parsePlan(json, "stdout")).toEqual(plan);
  });
});

describe("helpers", () => {
  it("finds the CN in either order and unescapes it", () => {
    expect(commonName("CN=Doe\\, Jane, O=Corp")).toBe("Doe, Jane");
    expect(commonName("C=DE,O=Corp,CN=Jane Doe")).toBe("Jane Doe");
    expect(commonName("O=Corp")).toBeUndefined();
  });

  it("labels a not-yet-valid certificate", () => {
    const plan = new PlanBuilder()
      .adUser("a@corp.example.com")
      .publish(
        "ad:user/a@corp.example.com",
        "userCertificate",
        fakeCertificate({
          cn: "A",
          notBefore: "2026-06-01T00:00:00Z",
          notAfter: "2028-06-01T00:00:00+02:00",
        }),
      )
      .build();
    expect(valueLabel(plan.changes[0]!, plan.policyTime)).toMatch(
      /valid from 2026-06-01, expires 2028-05-31$/,
    );
  });

  it("chooses a renderer once from --format", () => {
    expect(isPlanFormat("markdown")).toBe(true);
    expect(isPlanFormat("yaml")).toBe(false);
    expect(planRenderer("text", { color: plain }).format).toBe("text");
  });
});
