import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { afterAll, describe, expect, it } from "vitest";
import { recordApply } from "../../src/gitops/audit.js";
import { queryAudit } from "../../src/gitops/audit-query.js";
import { auditRecordProblems, type ChangeOutcome } from "../../src/gitops/audit-record.js";
import { cert, change, configure, makePlan, makeRepo, removeTempDirs, repoAt, tempDir } from "./helpers.js";

afterAll(removeTempDirs);

const HASH = "a".repeat(64);

async function configRepo() {
  const repo = await makeRepo();
  repo.write("smimesync.yaml", "version: 1\n");
  const commit = await repo.commit("config");
  return { repo, commit };
}

function githubEnv(pr: number): NodeJS.ProcessEnv {
  const event = join(tempDir(), "event.json");
  writeFileSync(event, JSON.stringify({ pull_request: { number: pr } }));
  return {
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: "corp/pki-config",
    GITHUB_RUN_ID: "987654",
    GITHUB_SERVER_URL: "https://github.example.com",
    GITHUB_EVENT_PATH: event,
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_ACTOR: "octo-admin",
    GITHUB_ACTOR_ID: "4242",
    GITHUB_SHA: "b".repeat(40),
  };
}

describe("recordApply", () => {
  it("commits one record under audit/YYYY/MM with a summarising message, and nothing else", async () => {
    const { repo, commit } = await configRepo();
    const plan = makePlan({
      id: "abc123def4567890",
      git: { commit, dirty: false },
      changes: [
        change("c1", "alice@corp.example.com", "publish", 1),
        change("c2", "bob@corp.example.com", "publish", 2),
        change("c3", "carol@corp.example.com", "publish", 3),
        change("c4", "alice@corp.example.com", "remove", 4),
        change("c5", "dave@corp.example.com", "publish", 5),
      ],
    });
    const outcomes: ChangeOutcome[] = [
      { changeId: "c1", outcome: "applied" },
      { changeId: "c2", outcome: "applied" },
      { changeId: "c3", outcome: "applied" },
      { changeId: "c4", outcome: "applied" },
      {
        changeId: "c5",
        outcome: "stale",
        message: "the object changed since the plan (uSNChanged 1234 -> 1240)",
      },
    ];
    // Someone's unrelated staged work must stay out of the audit commit.
    repo.write("staged-elsewhere.txt", "wip\n");
    await repo.git.raw(["add", "staged-elsewhere.txt"]);

    const res = await recordApply({
      repoDir: repo.dir,
      plan,
      planHash: HASH,
      approval: { kind: "confirmed" },
      outcomes,
      env: githubEnv(42),
      appliedAt: new Date("2025-06-03T12:34:56.789Z"),
    });

    expect(res.path).toBe("audit/2025/06/20250603T123456Z-abc123def4567890.json");
    expect(res.message.split("\n")[0]).toBe(
      "smimesync: published 3, removed 1, 1 stale (plan abc123def456, PR #42)",
    );
    expect(res.pushed).toBe(false);

    const git = simpleGit(repo.dir);
    expect((await git.revparse(["HEAD"])).trim()).toBe(res.commit);
    const files = (await git.raw(["show", "--name-only", "--format=", res.commit])).trim().split("\n");
    expect(files).toEqual([res.path]);
    expect((await git.raw(["diff", "--cached", "--name-only"])).trim()).toBe("staged-elsewhere.txt");

    const fullMessage = (await git.raw(["log", "-1", "--format=%B"])).trim();
    expect(fullMessage).toContain(
      "+ alice@corp.example.com userCertificate CN=alice, O=Corp, thumbprint 01AB01AB (declared-in-repo) applied",
    );
    expect(fullMessage).toContain(
      "+ dave@corp.example.com userCertificate CN=dave, O=Corp, thumbprint 05AB05AB (declared-in-repo) stale: the object changed",
    );
    expect(fullMessage).toContain("Smimesync-Plan: abc123def4567890");
    expect(fullMessage).toContain(`Smimesync-Plan-Hash: sha256:${HASH}`);
    expect(fullMessage).toContain(`Smimesync-Config-Commit: ${commit}`);
    expect(fullMessage).toContain(
      "Smimesync-Run: https://github.example.com/corp/pki-config/actions/runs/987654",
    );

    const committed = JSON.parse(await git.raw(["show", `${res.commit}:${res.path}`]));
    expect(auditRecordProblems(committed)).toEqual([]);
    expect(committed).toMatchObject({
      formatVersion: 1,
      appliedAt: "2025-06-03T12:34:56.789Z",
      plan: { id: "abc123def4567890", hash: HASH, commit, dirty: false, configPath: "smimesync.yaml" },
      headCommit: commit,
      actor: { name: "octo-admin", email: "4242+octo-admin@users.noreply.github.com", source: "github" },
      github: {
        repository: "corp/pki-config",
        runId: "987654",
        runUrl: "https://github.example.com/corp/pki-config/actions/runs/987654",
        pullRequest: 42,
      },
      summary: { published: 3, removed: 1, stale: 1, failed: 0, skipped: 0 },
    });
    expect(committed.changes[3]).toEqual({
      changeId: "c4",
      outcome: "applied",
      message: null,
      address: "ad:user/alice@corp.example.com",
      authority: "ad",
      mail: "alice@corp.example.com",
      attribute: "userCertificate",
      action: "remove",
      reason: "expired",
      valueSha256: cert(4, "alice@corp.example.com").sha256,
      certificate: {
        sha1: cert(4, "alice@corp.example.com").sha1,
        sha256: cert(4, "alice@corp.example.com").sha256,
        subject: "CN=alice, O=Corp",
        issuer: "CN=Corp Issuing CA",
        serial: "00000004",
        notAfter: "2027-01-01T00:00:00.000Z",
        emails: ["alice@corp.example.com"],
      },
    });
  });

  it("records a change without an outcome as skipped, and the local git user as actor", async () => {
    const { repo, commit } = await configRepo();
    const plan = makePlan({
      git: { commit, dirty: false },
      changes: [
        change("c1", "alice@corp.example.com", "publish", 1),
        change("c2", "bob@corp.example.com", "remove", 2),
      ],
    });
    const res = await recordApply({
      repoDir: repo.dir,
      plan,
      planHash: HASH,
      approval: { kind: "confirmed" },
      outcomes: [{ changeId: "c1", outcome: "failed", message: "LDAP: insufficient access rights" }],
      env: {},
      appliedAt: new Date("2025-07-01T00:00:00Z"),
    });
    expect(res.record.actor).toEqual({
      name: "Test Admin",
      email: "admin@corp.example.com",
      source: "git-config",
    });
    expect(res.record.github).toBeNull();
    expect(res.record.summary).toEqual({ published: 0, removed: 0, stale: 0, failed: 1, skipped: 1 });
    expect(res.record.changes[1]).toMatchObject({
      outcome: "skipped",
      message: expect.stringMatching(/not attempted/),
    });
    expect(res.message.split("\n")[0]).toBe(
      "smimesync: published 0, removed 0, 1 failed, 1 skipped (plan plan-0123456)",
    );
    const author = (await simpleGit(repo.dir).raw(["log", "-1", "--format=%an <%ae>"])).trim();
    expect(author).toBe("Test Admin <admin@corp.example.com>");
  });

  it("rejects an outcome for a change the plan does not hold", async () => {
    const { repo, commit } = await configRepo();
    await expect(
      recordApply({
        repoDir: repo.dir,
        plan: makePlan({ git: { commit, dirty: false } }),
        planHash: HASH,
        approval: { kind: "confirmed" },
        outcomes: [{ changeId: "nope", outcome: "applied" }],
        env: {},
      }),
    ).rejects.toThrow(/not in plan/);
  });

  it("commits as github-actions[bot] on a runner without git identity, and pushes over a concurrent push", async () => {
    const remote = await makeRepo({ bare: true });
    const seed = await makeRepo();
    seed.write("smimesync.yaml", "version: 1\n");
    const commit = await seed.commit("config");
    await seed.git.raw(["push", "--quiet", remote.dir, "main"]);

    // The runner's clone: no user.name / user.email, like a hosted runner.
    const runnerDir = tempDir();
    await simpleGit().raw(["clone", "--quiet", remote.dir, runnerDir]);
    const isolated = { HOME: tempDir(), GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" };
    // Meanwhile another change lands on main.
    const otherDir = tempDir();
    await simpleGit().raw(["clone", "--quiet", remote.dir, otherDir]);
    const other = repoAt(otherDir);
    await configure(other.git);
    other.write("README.md", "merged meanwhile\n");
    await other.commit("another merge");
    await other.git.raw(["push", "--quiet", "origin", "main"]);

    const saved = { ...process.env };
    Object.assign(process.env, isolated);
    try {
      const res = await recordApply({
        repoDir: runnerDir,
        plan: makePlan({
          git: { commit, dirty: false },
          changes: [change("c1", "alice@corp.example.com", "publish", 1)],
        }),
        planHash: HASH,
        approval: { kind: "confirmed" },
        outcomes: [{ changeId: "c1", outcome: "applied" }],
        env: { ...githubEnv(7), GITHUB_REF: "refs/heads/main" },
        push: true,
      });
      expect(res.pushed).toBe(true);
      const log = (await simpleGit(remote.dir).raw(["log", "--format=%an|%cn|%s", "main"]))
        .trim()
        .split("\n");
      expect(log[0]).toBe(
        "github-actions[bot]|github-actions[bot]|smimesync: published 1, removed 0 (plan plan-0123456, PR #7)",
      );
      expect(log[1]).toBe("Test Admin|Test Admin|another merge");
    } finally {
      for (const k of Object.keys(isolated)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe("queryAudit", () => {
  it("answers by mail, by thumbprint and since a date, from git history", async () => {
    const { repo, commit } = await configRepo();
    const alice = "alice@corp.example.com";
    const apply = async (
      when: string,
      changes: ReturnType<typeof change>[],
      outcomes: ChangeOutcome[],
      pr: number,
    ) =>
      recordApply({
        repoDir: repo.dir,
        plan: makePlan({ id: `plan-${when.slice(0, 10)}`, git: { commit, dirty: false }, changes }),
        planHash: HASH,
        approval: { kind: "confirmed" },
        outcomes,
        env: githubEnv(pr),
        appliedAt: new Date(when),
      });
    const first = await apply(
      "2025-03-01T09:00:00Z",
      [change("a1", alice, "publish", 1), change("b1", "bob@corp.example.com", "publish", 2)],
      [
        { changeId: "a1", outcome: "applied" },
        { changeId: "b1", outcome: "applied" },
      ],
      10,
    );
    await apply(
      "2025-04-15T09:00:00Z",
      [change("a2", alice, "remove", 1), change("a3", alice, "publish", 3)],
      [
        { changeId: "a2", outcome: "applied" },
        { changeId: "a3", outcome: "failed", message: "value over 32768 bytes" },
      ],
      11,
    );
    await apply(
      "2025-05-20T09:00:00Z",
      [change("c1", "carol@corp.example.com", "publish", 4)],
      [{ changeId: "c1", outcome: "applied" }],
      12,
    );
    // A record deleted later still answers from the commit that added it.
    await repo.git.raw(["rm", "--quiet", first.path]);
    await repo.commit("tidy up");

    const byMail = await queryAudit(repo.dir, { mail: "ALICE@corp.example.com" });
    expect(byMail.problems).toEqual([]);
    expect(
      byMail.entries.map((e) => [
        e.appliedAt,
        e.change.changeId,
        e.change.action,
        e.change.outcome,
        e.pullRequest,
      ]),
    ).toEqual([
      ["2025-04-15T09:00:00.000Z", "a2", "remove", "applied", 11],
      ["2025-04-15T09:00:00.000Z", "a3", "publish", "failed", 11],
      ["2025-03-01T09:00:00.000Z", "a1", "publish", "applied", 10],
    ]);
    expect(byMail.entries[0]).toMatchObject({
      actor: { name: "octo-admin", source: "github" },
      planId: "plan-2025-04-15",
      runUrl: "https://github.example.com/corp/pki-config/actions/runs/987654",
    });
    expect(byMail.entries[2]?.commit).toBe(first.commit);

    // Certificate 1 was published in March and removed in April: its whole life, by SHA-1 prefix.
    const sha1 = cert(1, alice).sha1;
    const byThumb = await queryAudit(repo.dir, { thumbprint: sha1.slice(0, 10).toLowerCase() });
    expect(byThumb.entries.map((e) => e.change.changeId)).toEqual(["a2", "a1"]);
    const sha256 = cert(4, "carol@corp.example.com")
      .sha256.toUpperCase()
      .replace(/(..)(?!$)/g, "$1:");
    expect(
      (await queryAudit(repo.dir, { thumbprint: sha256 })).entries.map((e) => e.change.changeId),
    ).toEqual(["c1"]);

    const since = await queryAudit(repo.dir, { since: new Date("2025-04-01T00:00:00Z") });
    expect(since.entries.map((e) => e.change.changeId)).toEqual(["c1", "a2", "a3"]);
    const both = await queryAudit(repo.dir, { mail: alice, since: new Date("2025-04-01T00:00:00Z") });
    expect(both.entries.map((e) => e.change.changeId)).toEqual(["a2", "a3"]);
    expect((await queryAudit(repo.dir, { mail: "nobody@corp.example.com" })).entries).toEqual([]);
    await expect(queryAudit(repo.dir, { thumbprint: "xyz" })).rejects.toThrow(/not a certificate thumbprint/);
  });

  it("reports a record that is not valid instead of hiding it", async () => {
    const { repo } = await configRepo();
    repo.write("audit/2025/01/20250101T000000Z-broken.json", "{ not json");
    repo.write("audit/2025/01/20250102T000000Z-other.json", JSON.stringify({ formatVersion: 2 }));
    await repo.commit("hand-made records");
    const res = await queryAudit(repo.dir, {});
    expect(res.entries).toEqual([]);
    expect(res.problems.map((p) => [p.path, p.problem.split(":")[0]])).toEqual([
      ["audit/2025/01/20250101T000000Z-broken.json", "not readable as JSON"],
      ["audit/2025/01/20250102T000000Z-other.json", "does not match schemas/audit.schema.json"],
    ]);
    expect(readFileSync(join(repo.dir, "smimesync.yaml"), "utf8")).toBe("version: 1\n");
  });
});
