import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { SmimesyncError } from "../../src/errors.js";
import {
  assertBinding,
  type BindingVerdict,
  checkPlanBinding,
  describeBinding,
  gitContext,
} from "../../src/gitops/git-binding.js";
import { makePlan, makeRepo, removeTempDirs, type TempRepo, tempDir } from "./helpers.js";

afterAll(removeTempDirs);

const CONFIG = "version: 1\n";
const inputs = { configPath: "smimesync.yaml", certificatePaths: ["certs/alice.pem", "trust/root.pem"] };

async function seeded(): Promise<{ repo: TempRepo; commit: string }> {
  const repo = await makeRepo();
  repo.write("smimesync.yaml", CONFIG);
  repo.write("certs/alice.pem", "alice v1\n");
  repo.write("trust/root.pem", "root\n");
  repo.write("README.md", "hello\n");
  return { repo, commit: await repo.commit("initial config") };
}

function codes(v: BindingVerdict): string[] {
  return v.kind === "bound" ? [] : v.problems.map((p) => p.code);
}

describe("gitContext", () => {
  it("is null outside a repository and in one without commits", async () => {
    expect(await gitContext(tempDir())).toBeNull();
    const empty = await makeRepo();
    expect(await gitContext(empty.dir)).toBeNull();
  });

  it("records HEAD and the root, clean after a commit", async () => {
    const { repo, commit } = await seeded();
    const ctx = await gitContext(repo.dir, inputs);
    expect(ctx).toMatchObject({ commit, dirty: false, dirtyPaths: [], dirtyScope: "plan-inputs" });
    expect(ctx?.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it("counts only the config and certificate paths as dirty when they are given", async () => {
    const { repo } = await seeded();
    repo.write("README.md", "edited\n");
    expect((await gitContext(repo.dir, inputs))?.dirty).toBe(false);
    // Without inputs the whole work tree counts, and says so.
    expect(await gitContext(repo.dir)).toMatchObject({
      dirty: true,
      dirtyScope: "work-tree",
      dirtyPaths: ["README.md"],
    });

    repo.write("smimesync.yaml", `${CONFIG}# edited\n`);
    expect(await gitContext(repo.dir, inputs)).toMatchObject({ dirty: true, dirtyPaths: ["smimesync.yaml"] });
  });

  it("counts an untracked certificate file under a certificate directory", async () => {
    const { repo } = await seeded();
    repo.write("certs/bob.pem", "bob\n");
    const ctx = await gitContext(repo.dir, { configPath: "smimesync.yaml", certificatePaths: ["certs"] });
    expect(ctx).toMatchObject({ dirty: true, dirtyPaths: ["certs/bob.pem"] });
  });
});

describe("checkPlanBinding", () => {
  let repo: TempRepo;
  let planCommit: string;
  const opts = (ci: boolean) => ({ repoDir: repo.dir, ...inputs, ci });

  beforeEach(async () => {
    ({ repo, commit: planCommit } = await seeded());
  });

  it("binds a clean plan made from HEAD", async () => {
    const v = await checkPlanBinding(makePlan({ git: { commit: planCommit, dirty: false } }), opts(true));
    expect(v).toEqual({ kind: "bound", planCommit, head: planCommit, unrelatedChanges: [] });
    expect(() => assertBinding(v)).not.toThrow();
  });

  it("refuses in CI a plan made from a dirty tree, and only warns at a terminal", async () => {
    const plan = makePlan({ git: { commit: planCommit, dirty: true } });
    const ci = await checkPlanBinding(plan, opts(true));
    expect(ci.kind).toBe("refused");
    expect(codes(ci)).toEqual(["plan-dirty"]);
    expect(() => assertBinding(ci)).toThrow(SmimesyncError);
    try {
      assertBinding(ci);
    } catch (e) {
      expect((e as SmimesyncError).code).toBe("GIT_REFUSED");
      expect((e as SmimesyncError).message).toMatch(/uncommitted changes/);
      expect((e as SmimesyncError).hint).toMatch(/re-run `smimesync plan` on the merged commit/i);
    }
    const local = await checkPlanBinding(plan, opts(false));
    expect(local.kind).toBe("unverified");
    expect(codes(local)).toEqual(["plan-dirty"]);
    expect(() => assertBinding(local)).not.toThrow();
  });

  it("refuses a plan whose config changed between its commit and HEAD", async () => {
    repo.write("smimesync.yaml", `${CONFIG}# prune expired\n`);
    const head = await repo.commit("change the config after the plan");
    const v = await checkPlanBinding(makePlan({ git: { commit: planCommit, dirty: false } }), opts(true));
    expect(v).toMatchObject({ kind: "refused", head });
    expect(codes(v)).toEqual(["inputs-changed"]);
    const lines = describeBinding(v).join("\n");
    expect(lines).toContain(
      `plan's commit ${planCommit.slice(0, 12)} and HEAD ${head.slice(0, 12)}: smimesync.yaml`,
    );
    expect(lines).toMatch(/Re-run `smimesync plan` on the merged commit/);
  });

  it("refuses a plan whose referenced certificate file changed", async () => {
    repo.write("certs/alice.pem", "alice v2\n");
    await repo.commit("replace alice's certificate");
    const v = await checkPlanBinding(makePlan({ git: { commit: planCommit, dirty: false } }), opts(true));
    expect(codes(v)).toEqual(["inputs-changed"]);
    expect(v.kind === "refused" && v.problems[0]?.paths).toEqual(["certs/alice.pem"]);
  });

  it("accepts a plan when only files outside the config and certificate paths changed", async () => {
    repo.write("README.md", "docs\n");
    repo.write("certs-unrelated/notes.txt", "x\n");
    const head = await repo.commit("docs only");
    const v = await checkPlanBinding(makePlan({ git: { commit: planCommit, dirty: false } }), opts(true));
    expect(v).toEqual({
      kind: "bound",
      planCommit,
      head,
      unrelatedChanges: ["README.md", "certs-unrelated/notes.txt"],
    });
  });

  it("refuses a plan from a commit that is not an ancestor of HEAD", async () => {
    await repo.git.raw(["checkout", "--quiet", "-b", "feature"]);
    repo.write("README.md", "feature work\n");
    const featureCommit = await repo.commit("feature commit");
    await repo.git.raw(["checkout", "--quiet", "main"]);
    repo.write("OTHER.md", "main moved on\n");
    await repo.commit("main moves on");
    const v = await checkPlanBinding(makePlan({ git: { commit: featureCommit, dirty: false } }), opts(true));
    expect(codes(v)).toEqual(["not-ancestor"]);
    expect(describeBinding(v)[0]).toContain(
      `commit ${featureCommit.slice(0, 12)}, which is not in the history of HEAD`,
    );
  });

  it("refuses a commit the repository does not have (shallow clone, rewritten history)", async () => {
    const v = await checkPlanBinding(
      makePlan({ git: { commit: "1234567890".repeat(4), dirty: false } }),
      opts(true),
    );
    expect(codes(v)).toEqual(["commit-unknown"]);
    expect(v.kind !== "bound" && v.problems[0]?.hint).toMatch(/fetch-depth: 0/);
  });

  it("refuses a plan made outside git, a plan of another config, and uncommitted inputs at apply time", async () => {
    expect(codes(await checkPlanBinding(makePlan({ git: null }), opts(true)))).toEqual(["plan-not-bound"]);
    const other = makePlan({ git: { commit: planCommit, dirty: false }, configPath: "other.yaml" });
    expect(codes(await checkPlanBinding(other, opts(true)))).toEqual(["config-mismatch"]);
    repo.write("trust/root.pem", "edited in place\n");
    const dirtyNow = await checkPlanBinding(
      makePlan({ git: { commit: planCommit, dirty: false } }),
      opts(true),
    );
    expect(codes(dirtyNow)).toEqual(["work-tree-dirty"]);
  });

  it("refuses outside a repository", async () => {
    const v = await checkPlanBinding(makePlan({ git: { commit: planCommit, dirty: false } }), {
      repoDir: tempDir(),
      ...inputs,
      ci: true,
    });
    expect(v).toMatchObject({ kind: "refused", head: null });
    expect(codes(v)).toEqual(["no-repository"]);
  });

  it("resolves paths from a sub-directory of the repository", async () => {
    const sub = await makeRepo();
    sub.write("infra/smimesync.yaml", CONFIG);
    sub.write("infra/certs/a.pem", "a\n");
    const c = await sub.commit("config in a sub-directory");
    const plan = makePlan({ git: { commit: c, dirty: false }, configPath: "infra/smimesync.yaml" });
    const o = {
      repoDir: `${sub.dir}/infra`,
      configPath: "smimesync.yaml",
      certificatePaths: ["certs"],
      ci: true,
    };
    expect((await checkPlanBinding(plan, o)).kind).toBe("bound");
    sub.write("infra/certs/a.pem", "a2\n");
    await sub.commit("change");
    const v = await checkPlanBinding(plan, o);
    expect(v.kind !== "bound" && v.problems[0]?.paths).toEqual(["infra/certs/a.pem"]);
  });
});
