// apply with approved plan files, on the demo's offline organisation in a git repository: apply
// plans again and writes only changes that an approved plan showed. Several approved plans add
// up (three quick merges, one apply); a change no approval showed stops the run before any write;
// a forged plan file with a valid integrity hash writes nothing of its own; after a squash merge
// the pull request named with --approval-pr vouches for the plan's commit; the audit record says
// which approval each change came from, and `lastAppliedCommit` finds the commit applied.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { beforeEach, describe, expect, it } from "vitest";
import { lastAppliedCommit } from "../../src/gitops/audit-query.js";
import type { AuditRecord } from "../../src/gitops/audit-record.js";
import type { ChangeInput } from "../../src/plan/assemble.js";
import { parsePlan, serializePlan } from "../../src/plan/plan-file.js";
import type { Plan } from "../../src/plan/types.js";
import { demoRepo } from "../fixtures/demo-repo.js";
import { resealPlan } from "../fixtures/plan-builder.js";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2026-03-01T10:00:00Z");
let dir: string;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(args, { cwd: dir, env: { PATH: process.env.PATH, ...env }, seams: { now: NOW } });
}

async function backendFiles(): Promise<string> {
  return (
    (await readFile(join(dir, "directory.ldif"), "utf8")) + (await readFile(join(dir, "tenant.json"), "utf8"))
  );
}

async function fullPlan(): Promise<Plan> {
  const r = await cli(["plan", "--out", "plan.json"]);
  expect(r.code, r.stderr).toBe(0);
  return parsePlan(await readFile(join(dir, "plan.json"), "utf8"), "plan.json");
}

/** A plan holding only the changes `keep` selects, sealed like a real one. */
async function writePart(name: string, plan: Plan, keep: (c: ChangeInput) => boolean): Promise<Plan> {
  const part = resealPlan(plan, { changes: (cs) => cs.filter(keep) });
  await writeFile(join(dir, name), serializePlan(part));
  return part;
}

async function lastRecord(): Promise<AuditRecord> {
  const git = simpleGit(dir);
  const path = (await git.show(["--name-only", "--format=", "HEAD"])).trim();
  return JSON.parse(await git.show([`HEAD:${path}`])) as AuditRecord;
}

beforeEach(async () => {
  dir = await demoRepo("approved", NOW);
});

describe("apply with approved plans", () => {
  it("adds up several approved plans (three merges, one apply) and records which approval each change came from", async () => {
    const plan = await fullPlan();
    const addresses = [...new Set(plan.changes.map((c) => c.address))];
    const thirds = [0, 1, 2].map((i) => new Set(addresses.filter((_, j) => j % 3 === i)));
    const parts: Plan[] = [];
    for (const [i, set] of thirds.entries())
      parts.push(await writePart(`pr${i}.json`, plan, (c) => set.has(c.address)));

    const r = await cli(
      [
        "apply",
        "pr0.json",
        "pr1.json",
        "pr2.json",
        "--approval-pr",
        "11",
        "--approval-pr",
        "12",
        "--approval-pr",
        "13",
      ],
      { CI: "true" },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Approved plan pr1\.json \(pull request #12\): [0-9a-f]{12}, \d+ changes made on [0-9a-f]{12}, in HEAD's history\./,
    );
    expect(r.stdout).toMatch(/Apply complete: 27 applied, 0 stale, 0 failed\./);

    const record = await lastRecord();
    expect(record.approval).toEqual({
      kind: "plan-files",
      plans: parts.map((p, i) => ({
        id: p.id,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        commit: plan.source.git?.commit,
        pullRequest: 11 + i,
      })),
    });
    for (const c of record.changes) {
      const from = parts.findIndex((p) => p.changes.some((x) => x.id === c.changeId));
      expect(c.approvedBy).toEqual([parts[from]?.id]);
    }
    const log = await simpleGit(dir).log({ maxCount: 1 });
    expect(log.latest?.message).toMatch(/\(plan [0-9a-f]{12}, PRs #11, #12, #13\)$/);
    // The commit whose config was applied is what the next run starts from.
    expect(record.configCommit).toBe(plan.source.git?.commit);
    expect(await lastAppliedCommit(dir)).toBe(plan.source.git?.commit);
  });

  it("refuses, writing nothing, when the plan made now holds a change no approved plan showed", async () => {
    const plan = await fullPlan();
    const [first] = plan.changes;
    await writePart("partial.json", plan, (c) => c.address !== first?.address);
    const before = await backendFiles();
    const r = await cli(["apply", "partial.json"]);
    expect(r.code).toBe(1);
    const missing = plan.changes.filter((c) => c.address === first?.address);
    expect(r.stderr).toContain(
      `Error: refusing to apply: ${missing.length} change${missing.length === 1 ? "" : "s"} planned now`,
    );
    expect(r.stderr).toContain("not shown in any approved plan. Nothing was written.");
    for (const c of missing) {
      expect(r.stderr).toContain(
        `${c.action === "publish" ? "+" : "-"} ${c.address} ${c.attribute} ${c.action}: `,
      );
    }
    expect(r.stderr).toMatch(/thumbprint [0-9A-F]{8}/);
    expect(await backendFiles()).toBe(before);
    expect((await simpleGit(dir).log()).total).toBe(1);
  });

  it("plays the attacker: a forged plan with a valid integrity hash adding a certificate for the CEO changes nothing", async () => {
    const plan = await fullPlan();
    const ceo = plan.objects.find((o) => o.authority === "ad" && o.kind === "user");
    const stolen = plan.changes.find((c) => c.action === "publish" && c.address !== ceo?.address);
    if (!ceo || !stolen) throw new Error("the demo plan lacks an AD user and another's publication");
    const forged = resealPlan(plan, {
      changes: (cs) => [...cs, { ...stolen, address: ceo.address, authority: ceo.authority }],
    });
    expect(forged.changes).toHaveLength(plan.changes.length + 1);
    await writeFile(join(dir, "forged.json"), serializePlan(forged));

    // Alone, the forgery approves nothing that is planned: the run stops, nothing is written.
    const alone = resealPlan(plan, {
      changes: () => [{ ...stolen, address: ceo.address, authority: ceo.authority }],
    });
    await writeFile(join(dir, "forged-alone.json"), serializePlan(alone));
    const before = await backendFiles();
    const refused = await cli(["apply", "forged-alone.json"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /refusing to apply: 27 changes planned now were not shown in any approved plan/,
    );
    expect(await backendFiles()).toBe(before);

    // Beside the genuine changes it is reported and not written: the CEO keeps their values.
    const r = await cli(["apply", "forged.json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `no longer planned (not applied): + ${ceo.address} ${stolen.attribute} publish: `,
    );
    expect(r.stdout).toMatch(/Apply complete: 27 applied/);
    const again = await cli(["plan", "--detailed-exitcode"]);
    expect(again.code, again.stdout).toBe(0);
    const ldif = await readFile(join(dir, "directory.ldif"), "utf8");
    const b64 = stolen.value as string;
    // The stolen value is now only where the genuine plan put it, not on the CEO's entry.
    const entries = ldif.split(/\n\n+/).filter((e) => e.replace(/\n /g, "").includes(b64));
    expect(entries.every((e) => !e.toLowerCase().includes(`mail: ${ceo.mail}`.toLowerCase()))).toBe(true);
  });

  it("after a squash merge, the plan's commit is outside HEAD's history: refused in CI unless --approval-pr names the pull request", async () => {
    const git = simpleGit(dir);
    await git.checkoutLocalBranch("feature");
    await writeFile(
      join(dir, "smimesync.yaml"),
      `${await readFile(join(dir, "smimesync.yaml"), "utf8")}\n# reviewed\n`,
    );
    await git.add(".");
    await git.commit("feature: a reviewed edit");
    await fullPlan(); // the pull request's plan, made on its head
    await git.checkout("main");
    await git.raw(["merge", "--squash", "feature"]);
    await git.commit("feature (#7)");

    const refused = await cli(["apply", "plan.json"], { CI: "true" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/which is not in the history of HEAD/);
    expect(refused.stderr).toMatch(/--approval-pr N/);

    const r = await cli(["apply", "plan.json", "--approval-pr", "7"], { CI: "true" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\(pull request #7\).*merged by squash or rebase\./);
    expect(r.stdout).toMatch(/Apply complete: 27 applied/);
    expect(await lastAppliedCommit(dir)).toBe((await git.revparse(["HEAD~1"])).trim());
  });

  it("approved changes already applied are no longer planned: recorded as a run with nothing to write", async () => {
    await fullPlan();
    expect((await cli(["apply", "plan.json"])).code).toBe(0);
    const head = (await simpleGit(dir).revparse(["HEAD"])).trim();
    const r = await cli(["apply", "plan.json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("No changes. Nothing to apply.");
    expect(r.stderr.match(/^no longer planned \(not applied\): /gm)).toHaveLength(27);
    const record = await lastRecord();
    expect(record.changes).toEqual([]);
    expect(record.approval?.kind).toBe("plan-files");
    // The commit this run planned from (the first audit commit) is now the last one applied.
    expect(await lastAppliedCommit(dir)).toBe(head);
  });

  it("a leftover .git/index.lock stops apply before the first write, saying how to fix it", async () => {
    await fullPlan();
    await writeFile(join(dir, ".git", "index.lock"), "");
    const before = await backendFiles();
    const r = await cli(["apply", "plan.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/index\.lock exists: git is busy or was interrupted.*Nothing was written\./);
    expect(r.stderr).toMatch(/remove it \(rm /);
    expect(await backendFiles()).toBe(before);
  });

  it("checks --approval-pr against the plan files", async () => {
    await fullPlan();
    const r = await cli(["apply", "plan.json", "--approval-pr", "1", "--approval-pr", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/2 --approval-pr given for 1 plan file/);
    const bad = await cli(["apply", "plan.json", "--approval-pr", "x1"]);
    expect(bad.stderr).toMatch(/--approval-pr x1: not a pull request number/);
  });
});
