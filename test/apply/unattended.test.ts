// `apply --unattended` (a scheduled run): only changes of the reasons `reconcile.autoApply` lists
// are written, under the same guards and audit commit; everything else waits for a pull request.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { selectUnattended } from "../../src/apply/unattended.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import { planConsistencyProblems } from "../../src/plan/consistency.js";
import type { Plan } from "../../src/plan/types.js";
import { runAt } from "../demo/run.js";
import { adUserAddress, fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";

describe("selectUnattended", () => {
  const alice = adUserAddress("alice@corp.example.com");
  const bob = adUserAddress("bob@corp.example.com");
  const plan = new PlanBuilder()
    .adUser("alice@corp.example.com")
    .adUser("bob@corp.example.com")
    .remove(alice, "userCertificate", fakeCertificate({ cn: "Alice old" }), "expired")
    .publish(alice, "userSMIMECertificate", fakeCertificate({ cn: "Alice p7" }), "derived-pkcs7")
    // Bob's PKCS#7 can only be written once the superseded value goes: that removal is not listed.
    .remove(bob, "userSMIMECertificate", fakeCertificate({ cn: "Bob older" }), "superseded")
    .publish(bob, "userSMIMECertificate", fakeCertificate({ cn: "Bob p7" }), "derived-pkcs7")
    .build();

  it("keeps the listed reasons and holds back publications whose removals are not listed", () => {
    const pick = selectUnattended(plan, ["expired", "derived-pkcs7"]);
    const line = (p: Plan) => p.changes.map((c) => `${c.address} ${c.action} ${c.reason}`);
    expect(line(pick.plan)).toEqual([`${alice} remove expired`, `${alice} publish derived-pkcs7`]);
    expect(pick.notListed.map((c) => `${c.address} ${c.reason}`)).toEqual([`${bob} superseded`]);
    expect(pick.heldBack.map((c) => `${c.address} ${c.reason}`)).toEqual([`${bob} derived-pkcs7`]);
    // The pick is a plan like any other: same change ids, consistent counts and id.
    expect(planConsistencyProblems(pick.plan)).toEqual([]);
    expect(pick.plan.summary).toMatchObject({ publish: 1, remove: 1, recipients: 1 });
    const ids = new Set(plan.changes.map((c) => c.id));
    expect(pick.plan.changes.every((c) => ids.has(c.id))).toBe(true);
  });

  it("writes nothing when no planned reason is listed", () => {
    const pick = selectUnattended(plan, ["revoked"]);
    expect(pick.plan.changes).toEqual([]);
    expect(pick.notListed).toHaveLength(4);
  });
});

const NOW = new Date("2031-03-15T10:00:00Z");
const scratch: string[] = [];
afterAll(async () => {
  for (const d of scratch) await rm(d, { recursive: true, force: true });
});

const git = (dir: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
  });

async function demoRepo(autoApply?: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-unattended-"));
  scratch.push(dir);
  await writeDemo(dir, NOW);
  if (autoApply) {
    const doc = parseDocument(await readFile(join(dir, "smimesync.yaml"), "utf8"));
    doc.setIn(["reconcile", "autoApply"], autoApply);
    await writeFile(join(dir, "smimesync.yaml"), doc.toString());
  }
  git(dir, "init", "--quiet", "--initial-branch=main");
  git(dir, "config", "user.name", "Test Admin");
  git(dir, "config", "user.email", "admin@corp.example.com");
  git(dir, "config", "commit.gpgsign", "false");
  git(dir, "add", "--all");
  git(dir, "commit", "--quiet", "-m", "demo");
  return dir;
}

async function planned(dir: string): Promise<Plan> {
  const out = join(dir, "plan.json");
  const r = await runAt(NOW, ["plan", "--out", out], dir);
  expect(r.code, r.stderr).toBe(0);
  const plan = JSON.parse(await readFile(out, "utf8")) as Plan;
  await rm(out);
  return plan;
}

describe("smimesync apply --unattended", () => {
  it("writes only the listed reasons, reports the rest, and records the run as unattended", async () => {
    const dir = await demoRepo(["expired", "revoked"]);
    const before = await planned(dir);
    const listed = before.changes.filter((c) => c.reason === "expired" || c.reason === "revoked");
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThan(before.changes.length);

    const r = await runAt(NOW, ["apply", "--unattended"], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `Unattended (reconcile.autoApply: expired, revoked): ${listed.length} of ${before.changes.length} planned changes may be written now; ${before.changes.length - listed.length} wait for a pull request.`,
    );
    expect(r.stderr).toMatch(/waits for a pull request \(superseded is not in reconcile\.autoApply\)/);
    expect(r.stdout).toContain(`Apply complete: ${listed.length} applied, 0 stale, 0 failed.`);

    // Exactly the listed changes are gone from the next plan; every other one is still planned.
    const after = await planned(dir);
    const gone = new Set(listed.map((c) => c.id));
    expect(after.changes.map((c) => c.id).sort()).toEqual(
      before.changes
        .filter((c) => !gone.has(c.id))
        .map((c) => c.id)
        .sort(),
    );

    // The audit commit says what approved the writes.
    expect(git(dir, "log", "-1", "--format=%s")).toMatch(/^smimesync: /);
    const [file] = git(dir, "log", "-1", "--name-only", "--format=").trim().split("\n");
    expect(file).toMatch(/^audit\/\d{4}\/\d{2}\/.+\.json$/);
    const record = JSON.parse(await readFile(join(dir, file as string), "utf8"));
    expect(record.approval).toEqual({ kind: "unattended", reasons: ["expired", "revoked"] });
    expect(record.changes).toHaveLength(listed.length);
  });

  it("refuses without reconcile.autoApply, and with a plan file, writing nothing", async () => {
    const dir = await demoRepo();
    const ldif = await readFile(join(dir, "directory.ldif"), "utf8");
    const none = await runAt(NOW, ["apply", "--unattended"], dir);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("reconcile.autoApply lists no change reason");
    const withFile = await runAt(NOW, ["apply", "--unattended", "plan.json"], dir);
    expect(withFile.code).toBe(1);
    expect(withFile.stderr).toContain("--unattended takes no plan file");
    expect(await readFile(join(dir, "directory.ldif"), "utf8")).toBe(ldif);
  });

  it("says so when every planned change waits for a pull request", async () => {
    const dir = await demoRepo(["not-yet-valid"]);
    const r = await runAt(NOW, ["apply", "--unattended"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Nothing to apply unattended: every planned change waits for a pull request.");
  });
});
