// The audit commit whatever the size of the apply, and a repository that cannot take it refused
// before anything is written: a 5,000-change record commits (the message goes through a file and
// is bounded; the record file holds every change), and a leftover index.lock is a clear error.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SmimesyncError } from "../../src/errors.js";
import { assertAuditCommittable, recordApply } from "../../src/gitops/audit.js";
import { MESSAGE_CHANGE_LINES } from "../../src/gitops/audit-record.js";
import { change, makePlan, makeRepo, removeTempDirs } from "./helpers.js";

afterAll(removeTempDirs);

describe("audit commits of any size", () => {
  it("commits the record of a 5,000-change apply, with a bounded message", async () => {
    const repo = await makeRepo();
    repo.write("smimesync.yaml", "version: 1\n");
    const commit = await repo.commit("config");
    const changes = Array.from({ length: 5000 }, (_, i) =>
      change(`c${i}`, `user${String(i).padStart(5, "0")}@corp.example.com`, "publish", i % 250),
    );
    const plan = makePlan({ git: { commit, dirty: false }, changes });
    const res = await recordApply({
      repoDir: repo.dir,
      plan,
      planHash: "a".repeat(64),
      approval: { kind: "auto-approve" },
      outcomes: changes.map((c) => ({ changeId: c.id, outcome: "applied" as const })),
      env: {},
    });
    expect(res.commit).toMatch(/^[0-9a-f]{40}$/);
    const message = (await repo.git.raw(["log", "-1", "--format=%B"])).trim();
    expect(message.split("\n")[0]).toBe("smimesync: published 5000, removed 0 (plan plan-0123456)");
    expect(message).toContain(
      `… and ${5000 - MESSAGE_CHANGE_LINES} more: every change is in the record file.`,
    );
    expect(message.length).toBeLessThan(60_000);
    const record = JSON.parse(await repo.git.raw(["show", `HEAD:${res.path}`])) as { changes: unknown[] };
    expect(record.changes).toHaveLength(5000);
  });

  it("refuses with the fix when .git/index.lock is left over", async () => {
    const repo = await makeRepo();
    repo.write("smimesync.yaml", "version: 1\n");
    await repo.commit("config");
    await expect(assertAuditCommittable(repo.dir)).resolves.toBeUndefined();
    writeFileSync(join(repo.dir, ".git", "index.lock"), "");
    const e = await assertAuditCommittable(repo.dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SmimesyncError);
    expect((e as SmimesyncError).code).toBe("GIT_REFUSED");
    expect((e as SmimesyncError).message).toMatch(/index\.lock exists: .*Nothing was written\./);
    expect((e as SmimesyncError).hint).toMatch(/remove it \(rm ".*index\.lock"\)/);
  });
});
