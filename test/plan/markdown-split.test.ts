import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../src/plan/render/markdown.js";
import {
  GITHUB_COMMENT_LIMIT,
  MARKDOWN_PART_BUDGET,
  splitMarkdown,
} from "../../src/plan/render/markdown-split.js";
import type { Plan } from "../../src/plan/types.js";
import { adUserAddress, fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";

/** 2,000 changes: 400 recipients with 2 each, and one with 1,200 (a block bigger than a part). */
function bigPlan(): { plan: Plan; names: string[] } {
  const b = new PlanBuilder({ inScope: 5000 });
  const names: string[] = [];
  const add = (mail: string, n: number) => {
    b.adUser(mail);
    for (let k = 0; k < n; k++) {
      const name = `Cert ${mail} #${k}`;
      names.push(name);
      const cert = fakeCertificate({ cn: name, email: mail, bytes: 64 });
      if (k % 2 === 0)
        b.publish(
          adUserAddress(mail),
          "userCertificate",
          cert,
          "declared-in-repo",
          `declared in certs/${mail}/${k}.pem`,
        );
      else b.remove(adUserAddress(mail), "userCertificate", cert, "superseded");
    }
  };
  for (let i = 0; i < 400; i++) add(`user${String(i).padStart(4, "0")}@corp.example.com`, 2);
  add("zz-huge@corp.example.com", 1200);
  for (let i = 0; i < 300; i++)
    b.drift("sync-pending", adUserAddress(`user${i}@corp.example.com`), `pending export number ${i}`);
  return { plan: b.build(), names };
}

function checkPart(part: string, budget: number): void {
  expect(part.length).toBeLessThanOrEqual(budget);
  expect(part.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
  const lines = part.split("\n");
  let depth = 0;
  let fences = 0;
  for (const l of lines) {
    if (l.startsWith("<details>")) depth++;
    if (l === "</details>") depth--;
    expect(depth === 0 || depth === 1).toBe(true);
    if (l.startsWith("```")) fences++;
  }
  expect(depth).toBe(0);
  expect(fences % 2).toBe(0);
  expect(part.match(/<details>/g)?.length ?? 0).toBe(part.match(/<\/details>/g)?.length ?? 0);
  // Every piece of a recipient's table, a continued one too, opens with the table's header.
  expect(part.match(/<details>/g)?.length ?? 0).toBe(part.match(/^\| Attribute \| Action \|/gm)?.length ?? 0);
  // No heading left dangling at the end of a part.
  expect(lines.filter((l) => l !== "").at(-1)).not.toMatch(/^#{1,6} /);
}

describe("splitMarkdown", () => {
  it("leaves a short rendering whole", () => {
    const md = "## x\n\nshort\n";
    expect(splitMarkdown(md)).toEqual([md]);
  });

  it("splits a plan with 2,000 changes into valid parts under the limit, each change exactly once", () => {
    const { plan, names } = bigPlan();
    expect(plan.changes).toHaveLength(2000);
    const md = renderMarkdown(plan);
    expect(md.length).toBeGreaterThan(MARKDOWN_PART_BUDGET);
    const parts = splitMarkdown(md);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) checkPart(part, MARKDOWN_PART_BUDGET);

    const all = parts.join("");
    for (const name of names) {
      const needle = `${name.replace("#", "\\#")}<br>thumbprint`;
      expect(all.split(needle).length - 1, name).toBe(1);
    }
    for (let i = 0; i < 300; i++) expect(all.split(`pending export number ${i}\n`).length - 1).toBe(1);
    expect(
      parts[0]!.startsWith(
        "## smimesync plan\n\n**Plan: 1000 to publish, 1000 to remove, across 401 recipients.**",
      ),
    ).toBe(true);
    // The huge recipient's block was cut and re-opened, the others were not.
    expect(all).toMatch(
      /<summary><code>~ ad:user\/zz-huge@corp\.example\.com<\/code>.* \(continued\)<\/summary>/,
    );
    expect(all).not.toMatch(/user\d{4}@corp\.example\.com<\/code>.*\(continued\)<\/summary>/);
    // A part that starts inside a section says so.
    expect(parts.slice(1).some((p) => p.startsWith("### Changes (continued)"))).toBe(true);
  });

  it("never cuts a details block that fits a part of its own", () => {
    const { plan } = bigPlan();
    const md = renderMarkdown(plan);
    const smallBudget = 5_000;
    const parts = splitMarkdown(md.replace(/<details>.*zz-huge[\s\S]*?<\/details>\n\n/, ""), smallBudget);
    for (const part of parts) checkPart(part, smallBudget);
    expect(parts.join("")).not.toContain("(continued)</summary>");
  });

  it("shortens a single entry larger than a part instead of breaking the limit", () => {
    const md = `## x\n\n- ${"a".repeat(5_000)}\n- b\n`;
    const parts = splitMarkdown(md, 2_000);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(2_000);
    expect(parts.join("")).toContain("(truncated: too long for one comment)");
    expect(parts.at(-1)).toContain("- b\n");
  });
});
