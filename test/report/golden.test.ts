// Golden files: the text (no colour), markdown, CSV and JSON renderings of the hand-built report in
// fixture-report.ts, byte for byte; the JSON also against schemas/report.schema.json. After an
// intended change, rewrite them with
//
//   UPDATE_GOLDEN=1 npx vitest run --project unit test/report/golden.test.ts
//
// and review `git diff test/report/golden`: the diff is what users (and the scheduled workflow
// posting the markdown to its tracking issue) will see.
import { readFileSync, writeFileSync } from "node:fs";
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import type { ReportFormat } from "../../src/report/options.js";
import { renderReport } from "../../src/report/render/index.js";
import type { Report } from "../../src/report/types.js";
import { compileSchema } from "../../src/schemas/compile.js";
import { fixtureReport } from "./fixture-report.js";

const update = process.env.UPDATE_GOLDEN === "1";
const files: Readonly<Partial<Record<ReportFormat, string>>> = {
  text: "report.txt",
  markdown: "report.md",
  csv: "report.csv",
  json: "report.json",
};

describe("golden renderings of the fixture report", () => {
  for (const [format, file] of Object.entries(files) as [ReportFormat, string][]) {
    it(format, () => {
      const url = new URL(`golden/${file}`, import.meta.url);
      const actual = renderReport(fixtureReport(), format, new Chalk({ level: 0 }));
      if (update) writeFileSync(url, actual);
      expect(actual).toBe(readFileSync(url, "utf8"));
    });
  }

  it("the JSON matches schemas/report.schema.json", () => {
    const validate = compileSchema<Report>("report");
    const doc = JSON.parse(renderReport(fixtureReport(), "json", new Chalk({ level: 0 })));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    // And the schema is strict: an unknown member or a wrong status is refused.
    expect(validate({ ...doc, extra: 1 })).toBe(false);
    expect(validate({ ...doc, recipients: [{ ...doc.recipients[0], status: "maybe" }] })).toBe(false);
  });
});
