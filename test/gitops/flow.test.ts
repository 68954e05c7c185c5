// The GitOps flow through the CLI, on the demo's offline organisation kept in a git repository:
// plan records the commit, apply (with no changes to the inputs since) writes and commits an audit
// record, `audit` answers from that history; in CI a plan from a dirty tree is refused before any
// write; `apply --auto-approve` plans and applies in one go, and without a terminal or the flag it
// refuses to guess.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { beforeEach, describe, expect, it } from "vitest";
import { demoRepo } from "../fixtures/demo-repo.js";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2026-03-01T10:00:00Z");
let dir: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd: dir, env: { PATH: process.env.PATH, ...env }, seams: { now: NOW } });
}

beforeEach(async () => {
  dir = await demoRepo("flow", NOW);
});

describe("GitOps through the CLI", () => {
  it("binds the plan to the commit, commits an audit record on apply, and answers audit queries", async () => {
    const head = (await simpleGit(dir).revparse(["HEAD"])).trim();
    const planned = await cli(["plan", "--out", "plan.json"]);
    expect(planned.code).toBe(0);
    const plan = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as {
      id: string;
      source: { git: { commit: string; dirty: boolean } | null; configPath: string };
    };
    // plan.json itself is untracked, but it is not an input of the plan: the tree is clean.
    expect(plan.source.git).toEqual({ commit: head, dirty: false });
    expect(plan.source.configPath).toBe("smimesync.yaml");

    // The offline backends are rewritten by apply; they are observed state, not inputs.
    const applied = await cli(["apply", "plan.json"], { CI: "true" });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(/Audit record audit\/\d{4}\/\d{2}\/.*\.json committed as [0-9a-f]{12}/);

    const log = await simpleGit(dir).log({ maxCount: 1 });
    expect(log.latest?.message).toMatch(/^smimesync: published 11, removed 16 \(plan [0-9a-f]{12}/);
    const files = (await simpleGit(dir).show(["--name-only", "--format=", "HEAD"])).trim().split("\n");
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^audit\/\d{4}\/\d{2}\/\d{8}T\d{6}Z-[0-9a-f]+\.json$/);

    const audit = await cli(["audit", "--mail", "grace.green@corp.example.com", "--format", "json"]);
    expect(audit.code, audit.stderr).toBe(0);
    const entries = JSON.parse(audit.stdout) as {
      actor: { name: string };
      change: { action: string; outcome: string };
    }[];
    expect(entries.every((e) => e.actor.name === "Ada Admin")).toBe(true);
    expect(entries.map((e) => `${e.change.action} ${e.change.outcome}`).sort()).toEqual([
      "publish applied",
      "publish applied",
    ]);
  });

  it("in CI, refuses a plan made from a dirty tree and writes nothing", async () => {
    await writeFile(
      join(dir, "smimesync.yaml"),
      `${await readFile(join(dir, "smimesync.yaml"), "utf8")}\n# edited\n`,
    );
    const planned = await cli(["plan", "--out", "plan.json"]);
    expect(planned.code).toBe(0);
    const before = await readFile(join(dir, "directory.ldif"), "utf8");
    const applied = await cli(["apply", "plan.json"], { CI: "true" });
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(
      /Refusing to apply the approved plan plan\.json in CI:\nThe plan was made from uncommitted changes/,
    );
    expect(await readFile(join(dir, "directory.ldif"), "utf8")).toBe(before);
  });

  it("apply without a plan file: --auto-approve plans and applies; without it and without a terminal it refuses", async () => {
    const refused = await cli(["apply", "--no-audit"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not asking for approval: standard input is not a terminal/);
    expect(refused.stderr).toMatch(/--auto-approve/);
    const applied = await cli(["apply", "--auto-approve", "--no-audit"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Plan: 11 to publish, 16 to remove, across 7 recipients\./);
    expect(applied.stdout).toMatch(/Apply complete: 27 applied, 0 stale, 0 failed\./);
    const again = await cli(["plan", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
  });
});
