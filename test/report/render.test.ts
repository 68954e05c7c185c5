// What the renderings guarantee beyond the golden files: hostile directory values stay data (CSV
// formulas, markdown tables, HTML), the markdown fits one GitHub comment however large the report,
// and the charts have one bar per week.
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { assembleReport } from "../../src/report/build.js";
import { CSV_COLUMNS, renderCsv } from "../../src/report/render/csv.js";
import { renderHtml } from "../../src/report/render/html.js";
import { renderReport } from "../../src/report/render/index.js";
import { renderMarkdown } from "../../src/report/render/markdown.js";
import type { RecipientCoverage } from "../../src/report/types.js";
import { adUserAddress, fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";
import { fixtureReport, POLICY_TIME } from "./fixture-report.js";

const at = (days: number) => new Date(Date.parse(POLICY_TIME) + days * 86_400_000).toISOString();

function reportOf(mails: readonly string[], o: { ou?: string; subject?: string; weeks?: number } = {}) {
  const recipients: RecipientCoverage[] = mails.map((mail, i) => {
    const c = fakeCertificate({
      cn: o.subject ?? `User ${i}`,
      email: mail,
      notAfter: at(1 + (i % 150)),
      seed: `u${i}`,
    });
    return {
      address: adUserAddress(mail),
      mail,
      authority: "ad",
      kind: "user",
      ou: o.ou ?? "OU=Staff,DC=corp,DC=example",
      status: "covered",
      blockers: [],
      best: {
        certificate: { ...c.ref, subject: o.subject ?? c.ref.subject },
        until: at(1 + (i % 150)),
        limitedBy: "certificate",
      },
      note: null,
    };
  });
  const plan = new PlanBuilder({ policyTime: POLICY_TIME, inScope: recipients.length }).build();
  return assembleReport({ plan, recipients, cas: [], weeks: o.weeks ?? 26 });
}

/** RFC 4180 reader, to check the writer: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  return rows;
}

describe("CSV", () => {
  const hostile = [
    "=1+1@x.example",
    "+cmd@x.example",
    "-2@x.example",
    "@SUM(A1)@x.example",
    "\tx@x.example",
    'a"b,c\r\nd@x.example',
  ];
  const csv = renderCsv(reportOf(hostile, { ou: '=HYPERLINK("http://evil.example")', subject: "-CN=evil" }));
  const rows = parseCsv(csv);

  it("has one record per recipient with every column, CRLF-terminated", () => {
    expect(csv.endsWith("\r\n")).toBe(true);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(hostile.length + 1);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
  });

  it("never lets a directory value start a formula", () => {
    const mail = CSV_COLUMNS.indexOf("mail");
    const ou = CSV_COLUMNS.indexOf("ou");
    const subject = CSV_COLUMNS.indexOf("certificate_subject");
    for (const r of rows.slice(1)) {
      for (const cell of [r[mail]!, r[ou]!, r[subject]!]) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    // The value survives, behind the apostrophe that keeps it text.
    expect(rows.slice(1).map((r) => r[mail])).toContain("'=1+1@x.example");
    expect(rows.slice(1).map((r) => r[mail])).toContain('a"b,c\r\nd@x.example');
    expect(rows[1]?.[ou]).toBe(`'=HYPERLINK("http://evil.example")`);
  });
});

describe("markdown", () => {
  it("keeps hostile values inside their table cells, escaped", () => {
    const md = renderMarkdown(
      reportOf(["a|b@x.example", "<img src=x onerror=alert(1)>@x.example"], { ou: "OU=a|b" }),
    );
    const rows = md.split("\n").filter((l) => l.startsWith("| 20"));
    // Every forecast row has exactly the table's 5 separators (unescaped pipes).
    for (const r of rows) expect(r.replace(/\\\|/g, "").split("|")).toHaveLength(6);
    expect(md).not.toContain("<img");
    expect(md).toContain("&lt;img");
  });

  it("fits one GitHub comment whatever the size, saying how many rows are left out", () => {
    const mails = Array.from(
      { length: 5000 },
      (_, i) => `user.with.a.rather.long.name.${i}@corp.example.com`,
    );
    const md = renderMarkdown(reportOf(mails));
    expect(md.length).toBeLessThanOrEqual(60_000);
    expect(md).toMatch(/…and \d+ more \(the JSON and CSV formats list every row\)/);
  });

  it("draws one Mermaid bar per week", () => {
    for (const weeks of [4, 26, 52]) {
      const md = renderMarkdown(reportOf(["a@x.example"], { weeks }));
      const bar = /\n {4}bar \[([^\]]*)\]/.exec(md)?.[1];
      expect(bar?.split(", ")).toHaveLength(weeks);
      const labels = /x-axis "Week ending" \[([^\]]*)\]/.exec(md)?.[1];
      expect(labels?.split(", ")).toHaveLength(weeks);
    }
  });
});

describe("HTML", () => {
  const html = renderHtml(fixtureReport(26));

  it("is one page with no script, no external resource and everything escaped", () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).toContain("OU=&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain(`=HYPERLINK(&quot;http://evil.example&quot;)`);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it("has one bar per forecast week", () => {
    expect(html.match(/<rect class="bar/g)).toHaveLength(26);
  });

  it("is what renderReport returns for html, and text has a bar row per week", () => {
    expect(renderReport(fixtureReport(26), "html", new Chalk({ level: 0 }))).toBe(html);
    const text = renderReport(fixtureReport(26), "text", new Chalk({ level: 0 }));
    expect(text.split("\n").filter((l) => /^ {2}W\d+ /.test(l))).toHaveLength(26);
  });
});
