// Golden files: the text (no colour), markdown and JSON renderings of the hand-built plan in
// fixture-plan.ts, compared byte for byte with test/plan/golden/plan.{txt,md,json}.
//
// After an intended change to a rendering (or to the fixture plan), rewrite them with
//
//   UPDATE_GOLDEN=1 npx vitest run --project unit test/plan/golden.test.ts
//
// and review `git diff test/plan/golden` before committing: the diff is the change users will see.
import { readFileSync, writeFileSync } from "node:fs";
import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { type PlanFormat, planRenderer } from "../../src/plan/render/index.js";
import { fixturePlan } from "./fixture-plan.js";

const update = process.env.UPDATE_GOLDEN === "1";
const files: Readonly<Record<PlanFormat, string>> = {
  text: "plan.txt",
  markdown: "plan.md",
  json: "plan.json",
};

describe("golden renderings of the fixture plan", () => {
  for (const format of Object.keys(files) as PlanFormat[]) {
    it(format, () => {
      const url = new URL(`golden/${files[format]}`, import.meta.url);
      const actual = planRenderer(format, { color: new Chalk({ level: 0 }) }).render(fixturePlan());
      if (update) writeFileSync(url, actual);
      expect(actual).toBe(readFileSync(url, "utf8"));
    });
  }
});
