// plan --target and apply --target (Terraform's -target) on the demo's offline organisation in a
// git repository: only the targeted recipients are planned, written and audited; the plan says it
// is partial and records its targets; a target naming nobody in scope is an error; a partial plan
// approves its recipients only and never moves the last applied commit.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { beforeEach, describe, expect, it } from "vitest";
import { lastAppliedCommit } from "../../src/gitops/audit-query.js";
import type { AuditRecord } from "../../src/gitops/audit-record.js";
import { parsePlan } from "../../src/plan/plan-file.js";
import type { Plan } from "../../src/plan/types.js";
import { demoRepo } from "../fixtures/demo-repo.js";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2026-03-01T10:00:00Z");
const ERIN = "ad:user/erin.evans@corp.example.com";
const FRANK = "exchange:mailbox/frank.fischer@corp.example.com";
let dir: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd: dir, env: { PATH: process.env.PATH, ...env }, seams: { now: NOW } });
}

async function readPlan(name: string): Promise<Plan> {
  return parsePlan(await readFile(join(dir, name), "utf8"), name);
}

async function planFile(name: string, args: string[] = []): Promise<Plan> {
  const r = await cli(["plan", "--out", name, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return readPlan(name);
}

async function auditRecords(): Promise<AuditRecord[]> {
  const git = simpleGit(dir);
  const out: AuditRecord[] = [];
  for (const line of (await git.raw(["log", "--diff-filter=A", "--name-only", "--format=", "--", "audit"]))
    .split("\n")
    .filter((l) => l.endsWith(".json"))) {
    out.push(JSON.parse(await git.show([`HEAD:${line}`])) as AuditRecord);
  }
  return out;
}

const addressesOf = (p: Pick<Plan, "changes">) => [...new Set(p.changes.map((c) => c.address))].sort();

beforeEach(async () => {
  dir = await demoRepo("target", NOW);
});

describe("plan --target", () => {
  it("plans only the recipients named by mail, smtp proxy address or DN, and says and records that the plan is partial", async () => {
    const full = await planFile("full.json");
    expect(addressesOf(full)).toEqual(expect.arrayContaining([ERIN, FRANK]));
    expect(addressesOf(full).length).toBeGreaterThan(3);

    // Erin by a secondary smtp proxy address in another case, Frank (cloud-only) by his mail.
    const r = await cli([
      "plan",
      "--no-color",
      "--out",
      "part.json",
      "--target",
      "Erin.Evans@CorpExample.mail.onmicrosoft.com",
      "--target",
      "frank.fischer@corp.example.com",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "Warning: targeting is in effect (--target erin.evans@corpexample.mail.onmicrosoft.com, frank.fischer@corp.example.com).",
    );
    expect(r.stdout).toContain("This plan is partial");
    expect(r.stdout).toMatch(/\(partial plan: --target\)\n?$/);
    expect(r.stderr).toContain("Warning: targeting was in effect");

    const part = await readPlan("part.json");
    expect(part.targets).toEqual([
      "erin.evans@corpexample.mail.onmicrosoft.com",
      "frank.fischer@corp.example.com",
    ]);
    expect(addressesOf(part)).toEqual([ERIN, FRANK]);
    expect(part.objects.map((o) => o.address)).toEqual([ERIN, FRANK]);
    for (const x of [...part.wouldRemove, ...part.drift]) expect([ERIN, FRANK]).toContain(x.address);
    expect(part.drift.some((d) => d.address === ERIN)).toBe(true);
    for (const w of part.warnings) if (w.address !== undefined) expect([ERIN, FRANK]).toContain(w.address);
    // The same changes as the full plan for those two, and the whole scope's count for the guards.
    expect(part.changes.map((c) => c.id)).toEqual(
      full.changes.filter((c) => c.address === ERIN || c.address === FRANK).map((c) => c.id),
    );
    expect(part.summary.inScope).toBe(full.summary.inScope);
    expect(part.id).not.toBe(full.id);

    // By DN, and the markdown rendering shows the partial-plan alert first.
    const erinDn = full.objects.find((o) => o.address === ERIN)?.ref;
    const dn = erinDn?.type === "ad" ? erinDn.dn : "";
    const md = await cli(["plan", "--format", "markdown", "--target", dn.toUpperCase()]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/^> \[!WARNING\]\n> \*\*Partial plan\*\* \(`--target` `cn=erin evans,/m);
    expect(md.stdout).toContain(ERIN);
    expect(md.stdout).not.toContain(FRANK);

    // show renders the saved partial plan with the same warning.
    const shown = await cli(["show", "part.json", "--no-color"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain("Warning: targeting is in effect");
  });

  it("refuses a target that names no recipient in scope, naming it, and saves nothing", async () => {
    const r = await cli([
      "plan",
      "--out",
      "p.json",
      "--target",
      "erin.evans@corp.example.com",
      "--target",
      "nobody@corp.example.com",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: --target nobody@corp\.example\.com: matches no recipient in scope/);
    expect(r.stderr).not.toContain("erin.evans@corp.example.com:");
    await expect(readFile(join(dir, "p.json"))).rejects.toThrow();
    const a = await cli(["apply", "--auto-approve", "--target", "nobody@corp.example.com"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("--target nobody@corp.example.com: matches no recipient in scope");
    expect(await auditRecords()).toEqual([]);
  });
});

describe("apply --target", () => {
  it("applies a partial plan file for its targets only: only they are written and audited, and the last applied commit does not move", async () => {
    const full = await planFile("full.json");
    const part = await planFile("part.json", ["--target", "erin.evans@corp.example.com"]);
    expect(addressesOf(part)).toEqual([ERIN]);

    const r = await cli(["apply", "part.json", "--no-color"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("The approved plan is partial (--target erin.evans@corp.example.com)");
    expect(r.stdout).toMatch(new RegExp(`^applied +${ERIN}: `, "m"));
    expect(r.stdout).toContain(`Apply complete: ${part.changes.length} applied, 0 stale, 0 failed.`);

    const [record, ...older] = await auditRecords();
    expect(older).toEqual([]);
    expect(record?.plan.targets).toEqual(["erin.evans@corp.example.com"]);
    expect([...new Set(record?.changes.map((c) => c.address))]).toEqual([ERIN]);
    expect(record?.changes.length).toBe(part.changes.length);
    const log = await simpleGit(dir).log({ maxCount: 1 });
    expect(log.latest?.message).toContain("partial: --target erin.evans@corp.example.com");
    // A partial apply is not "everything up to this commit applied".
    expect(await lastAppliedCommit(dir)).toBeNull();

    // Everybody else still has exactly the changes planned before.
    const after = await planFile("after.json");
    expect(after.changes.map((c) => c.id)).toEqual(
      full.changes.filter((c) => c.address !== ERIN).map((c) => c.id),
    );
  });

  it("refuses --target outside the approved partial plan's targets, writing nothing", async () => {
    await planFile("part.json", ["--target", "erin.evans@corp.example.com"]);
    const before = await readFile(join(dir, "directory.ldif"), "utf8");
    const r = await cli(["apply", "part.json", "--target", "frank.fischer@corp.example.com"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "--target frank.fischer@corp.example.com is not among the targets of the approved partial plans (erin.evans@corp.example.com)",
    );
    expect(await readFile(join(dir, "directory.ldif"), "utf8")).toBe(before);
    expect(await auditRecords()).toEqual([]);
  });

  it("applies part of a full approved plan with --target, and plans, asks and applies a target without a file", async () => {
    const full = await planFile("full.json");
    const r = await cli(["apply", "full.json", "--target", "frank.fischer@corp.example.com"]);
    expect(r.code, r.stderr).toBe(0);
    const [frankRecord] = await auditRecords();
    expect([...new Set(frankRecord?.changes.map((c) => c.address))]).toEqual([FRANK]);

    const a = await cli(["apply", "--auto-approve", "--target", ERIN, "--no-color"]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toContain(
      "Warning: targeting is in effect (--target ad:user/erin.evans@corp.example.com).",
    );
    const records = await auditRecords();
    expect(records).toHaveLength(2);
    expect([...new Set(records[0]?.changes.map((c) => c.address))]).toEqual([ERIN]);
    expect(records[0]?.approval).toEqual({ kind: "auto-approve" });
    const after = await planFile("after.json");
    expect(after.changes.map((c) => c.id)).toEqual(
      full.changes.filter((c) => c.address !== ERIN && c.address !== FRANK).map((c) => c.id),
    );
  });

  it("checks the safety guards on what the partial plan writes, against the whole scope", async () => {
    const full = await planFile("full.json");
    const removals = full.changes.filter((c) => c.action === "remove");
    const erinRemovals = removals.filter((c) => c.address === ERIN).length;
    expect(erinRemovals).toBeLessThan(removals.length);
    // A limit the full plan trips and Erin's removals alone do not.
    const config = await readFile(join(dir, "smimesync.yaml"), "utf8");
    await writeFile(
      join(dir, "smimesync.yaml"),
      `${config.replace(/^safety:\n(?: .*\n)*/m, "")}\nsafety:\n  maxRemovals: ${erinRemovals}\n  maxRemovalPercent: 100\n`,
    );
    const tripped = await cli(["plan"]);
    expect(tripped.code).toBe(1);
    expect(tripped.stderr).toContain("safety guard max-removals");
    const r = await cli(["plan", "--target", ERIN]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("safety guard");
  });
});
