// `plan --json` and `apply --json`: one document on stdout (schemas/apply-result.schema.json) saying what the run
// wrote, per change and per recipient, and its audit commit; everything else on stderr.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { beforeEach, describe, expect, it } from "vitest";
import type { ApplyResultDocument } from "../../src/apply/result-document.js";
import { compileSchema } from "../../src/schemas/compile.js";
import { demoRepo } from "../fixtures/demo-repo.js";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2031-03-15T10:00:00Z");
let dir: string;
const run = (args: readonly string[]) =>
  runCli(args, { cwd: dir, env: { PATH: process.env.PATH }, seams: { now: NOW } });

beforeEach(async () => {
  dir = await demoRepo("apply-json", NOW);
});

describe("plan --json", () => {
  it("writes only the plan document to stdout, valid against schemas/plan.schema.json, the same plan --out saves", async () => {
    const r = await run(["plan", "--json", "--out", "plan.json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { id: string; changes: unknown[] };
    const validate = compileSchema("plan");
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.changes.length).toBeGreaterThan(0);
    const saved = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as { id: string };
    expect(doc.id).toBe(saved.id);
    expect(r.stderr).toContain("Saved the plan to plan.json");
  });
});

describe("apply --json", () => {
  it("writes only the document to stdout, valid against its schema, matching what was written and audited", async () => {
    expect((await run(["plan", "--out", "plan.json"])).code).toBe(0);
    const plan = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as { changes: { id: string }[] };
    const r = await run(["apply", "plan.json", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ApplyResultDocument; // throws if anything else is on stdout
    const validate = compileSchema<ApplyResultDocument>("apply-result");
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.exitCode).toBe(0);
    expect(doc.complete).toBe(true);
    expect(doc.changes.map((c) => c.id).sort()).toEqual(plan.changes.map((c) => c.id).sort());
    expect(doc.changes.every((c) => c.outcome === "applied")).toBe(true);
    expect(doc.summary.applied).toBe(plan.changes.length);
    expect(doc.recipients.length).toBeGreaterThan(0);
    expect(doc.recipients.every((x) => x.outcome === "applied")).toBe(true);
    const head = (await simpleGit(dir).revparse(["HEAD"])).trim();
    expect(doc.audit?.commit).toBe(head);
    // The human lines went to stderr instead.
    expect(r.stderr).toMatch(/Apply complete: \d+ applied/);
    expect(validate({ ...doc, extra: true })).toBe(false);
  });

  it("with nothing to write, still one valid document with no changes", async () => {
    expect((await run(["apply", "--auto-approve"])).code).toBe(0);
    const r = await run(["apply", "--auto-approve", "--json", "--no-audit"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as ApplyResultDocument;
    expect(compileSchema<ApplyResultDocument>("apply-result")(doc)).toBe(true);
    expect(doc.changes).toEqual([]);
    expect(doc.audit).toBeNull();
    expect(r.stderr).toContain("No changes. Nothing to apply.");
  });
});
