import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { SmimesyncError } from "../../src/errors.js";
import {
  appendStepSummary,
  commentPartBudget,
  MAX_COMMENT_CHARS,
  MAX_STEP_SUMMARY_BYTES,
  planCommentMarker,
  publishPlanComments,
} from "../../src/gitops/github.js";
import { GitHubApi, githubApiOptionsFromEnv } from "../../src/gitops/github-api.js";
import { MARKDOWN_PART_BUDGET, renderMarkdown, splitMarkdown } from "../../src/plan/render/index.js";
import { type FakeGitHub, startFakeGitHub } from "./fake-github.js";
import { change, makePlan, removeTempDirs, tempDir } from "./helpers.js";

afterAll(removeTempDirs);

const REPO = "corp/pki-config";
const TOKEN = "ghs_test_token";
const PR = 42;
const CONFIG = "smimesync.yaml";

let gh: FakeGitHub;
let api: GitHubApi;
beforeEach(async () => {
  gh = await startFakeGitHub(REPO, TOKEN);
  api = new GitHubApi({ apiUrl: gh.url, token: TOKEN, repository: REPO, sleep: async () => undefined });
  // Conversation before the plan: people, and the plan of another config in the same repository.
  gh.comments.set(PR, [
    { id: 1, body: "LGTM once the plan is green", user: "alice" },
    { id: 2, body: "> <!-- smimesync-plan:smimesync.yaml part 1 -->\nquoting is not a plan", user: "bob" },
    {
      id: 3,
      body: `${planCommentMarker("other/smimesync.yaml", 1)}\nother plan`,
      user: "github-actions[bot]",
    },
  ]);
});
afterEach(async () => {
  await gh.close();
});

/** What the splitter in src/plan does: whole recipient blocks, each part under the budget. */
function splitBlocks(blocks: readonly string[], budget: number): string[] {
  const parts: string[] = [];
  let current = "";
  for (const b of blocks) {
    if (current !== "" && current.length + b.length > budget) {
      parts.push(current);
      current = "";
    }
    current += b;
  }
  if (current !== "") parts.push(current);
  return parts;
}

function bigPlanMarkdown(recipients: number, tag: string): string[] {
  const blocks = Array.from(
    { length: recipients },
    (_, i) =>
      `<details><summary>ad:user/u${i}@corp.example.com (${tag})</summary>\n\n` +
      `${"+ userCertificate CN=u, sha1 0123456789ab, expires 2027-01-01\n".repeat(25)}\n</details>\n`,
  );
  return splitBlocks([`## smimesync plan (${tag})\n\n`, ...blocks], commentPartBudget(CONFIG));
}

const ours = () =>
  (gh.comments.get(PR) ?? []).filter((c) => c.body.startsWith(`<!-- smimesync-plan:${CONFIG} `));
const writes = () => gh.log.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);

describe("publishPlanComments", () => {
  it("splits a long plan over several comments, then updates them in place", async () => {
    const parts = bigPlanMarkdown(120, "v1");
    expect(parts.length).toBe(3);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(commentPartBudget(CONFIG));

    const first = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts });
    expect(first.map((c) => [c.part, c.action])).toEqual([
      [1, "created"],
      [2, "created"],
      [3, "created"],
    ]);
    expect(ours().map((c) => c.body)).toEqual(
      parts.map((p, i) => `${planCommentMarker(CONFIG, i + 1)}\n${p}`),
    );
    for (const c of ours()) expect(c.body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    // The listing was paginated (2 per page here) and authenticated.
    expect(gh.log.filter((r) => r.method === "GET").map((r) => r.path)).toEqual([
      `/repos/${REPO}/issues/${PR}/comments?per_page=100`,
      `/repos/${REPO}/issues/${PR}/comments?per_page=100&page=2`,
    ]);
    expect(gh.log.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);

    // Same plan again (a re-run): nothing is written.
    gh.log.length = 0;
    const again = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts });
    expect(again.map((c) => c.action)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(writes()).toEqual([]);

    // A new push changes the plan: the same three comments are edited, no new one appears.
    gh.log.length = 0;
    const v2 = bigPlanMarkdown(120, "v2");
    const second = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: v2 });
    expect(second.map((c) => [c.part, c.id, c.action])).toEqual(first.map((c) => [c.part, c.id, "updated"]));
    expect(writes()).toEqual(first.map((c) => `PATCH /repos/${REPO}/issues/comments/${c.id}`));
    expect(ours().map((c) => c.body)).toEqual(v2.map((p, i) => `${planCommentMarker(CONFIG, i + 1)}\n${p}`));
    expect(gh.comments.get(PR)?.length).toBe(6);
  });

  it("turns surplus comments into a superseded note, and reuses them when the plan grows again", async () => {
    const long = bigPlanMarkdown(120, "long");
    const created = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: long });

    const shorter = await publishPlanComments(api, {
      issueNumber: PR,
      configPath: CONFIG,
      parts: ["## smimesync plan\n\nPlan: 1 to publish, 0 to remove, across 1 recipient.\n"],
    });
    expect(shorter.map((c) => [c.part, c.action])).toEqual([
      [1, "updated"],
      [2, "superseded"],
      [3, "superseded"],
    ]);
    const [, p2, p3] = ours();
    expect(p2?.body).toBe(
      `${planCommentMarker(CONFIG, 2)}\n_smimesync: this part of an earlier plan for \`smimesync.yaml\` is superseded; the current plan has 1 part._\n`,
    );
    expect(p3?.body).toContain(planCommentMarker(CONFIG, 3));

    gh.log.length = 0;
    const grown = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: long });
    expect(grown.map((c) => [c.id, c.action])).toEqual(created.map((c) => [c.id, "updated"]));
    expect(writes().every((w) => w.startsWith("PATCH "))).toBe(true);
  });

  it("leaves people's comments and other configs' plans alone", async () => {
    await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: ["short plan"] });
    const all = gh.comments.get(PR) ?? [];
    expect(all.slice(0, 3).map((c) => c.body)).toEqual([
      "LGTM once the plan is green",
      "> <!-- smimesync-plan:smimesync.yaml part 1 -->\nquoting is not a plan",
      `${planCommentMarker("other/smimesync.yaml", 1)}\nother plan`,
    ]);
    expect(all[3]?.body).toBe(`${planCommentMarker(CONFIG, 1)}\nshort plan`);
  });

  it("refuses a part that does not fit in a comment, before writing anything", async () => {
    // With its marker this is one character over the limit.
    const tooLong = "x".repeat(MAX_COMMENT_CHARS - planCommentMarker(CONFIG, 1).length);
    await expect(
      publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: [tooLong] }),
    ).rejects.toThrow(/accepts 65536/);
    expect(gh.log).toEqual([]);
    // At the budget it fits exactly.
    const exact = "x".repeat(commentPartBudget(CONFIG));
    await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: [exact] });
    expect(ours()[0]?.body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
  });

  it("keeps a config path with `--` or `>` from closing the marker early", () => {
    const m = planCommentMarker("a--b/c>d.yaml", 1);
    expect(m).toBe("<!-- smimesync-plan:a%2D-b/c%3Ed.yaml part 1 -->");
    expect(m.slice(4, -3)).not.toContain("--");
  });

  it("retries rate limiting, then reports a refusal with a hint", async () => {
    gh.failures.push({ status: 429, headers: { "retry-after": "1" } }, { status: 502 });
    const ok = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: ["p"] });
    expect(ok.map((c) => c.action)).toEqual(["created"]);

    gh.failures.push({
      status: 403,
      body: JSON.stringify({ message: "Resource not accessible by integration" }),
    });
    const err = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: ["q"] }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(SmimesyncError);
    expect(err.code).toBe("GITHUB_ERROR");
    expect(err.message).toBe(
      `GitHub API GET /repos/${REPO}/issues/${PR}/comments failed: 403 Resource not accessible by integration`,
    );
    expect(err.hint).toMatch(/pull-requests: write/);
  });

  it("does not follow a pagination link to another origin with the token", async () => {
    gh.foreignNext = "http://127.0.0.2:9";
    await expect(
      publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: ["p"] }),
    ).rejects.toThrow(/Refusing to send the GitHub token to http:\/\/127\.0\.0\.2:9/);
  });
});

describe("GitHub environment", () => {
  it("builds the API options from GITHUB_API_URL, GITHUB_TOKEN and GITHUB_REPOSITORY", () => {
    expect(githubApiOptionsFromEnv({ GITHUB_TOKEN: "t", GITHUB_REPOSITORY: REPO })).toEqual({
      apiUrl: "https://api.github.com",
      token: "t",
      repository: REPO,
    });
    expect(
      githubApiOptionsFromEnv({
        GITHUB_TOKEN: "t",
        GITHUB_REPOSITORY: REPO,
        GITHUB_API_URL: "https://ghe.corp/api/v3",
      }).apiUrl,
    ).toBe("https://ghe.corp/api/v3");
    expect(() => githubApiOptionsFromEnv({ GITHUB_REPOSITORY: REPO })).toThrow(/GITHUB_TOKEN is not set/);
  });

  it("appends to the job summary, and cuts one that would pass 1 MiB", async () => {
    const file = join(tempDir(), "summary.md");
    expect(await appendStepSummary({}, "x")).toBe(false);
    writeFileSync(file, "# earlier step\n");
    expect(await appendStepSummary({ GITHUB_STEP_SUMMARY: file }, "## Plan")).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("# earlier step\n## Plan\n");
    await appendStepSummary({ GITHUB_STEP_SUMMARY: file }, "é".repeat(MAX_STEP_SUMMARY_BYTES));
    const text = readFileSync(file, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_STEP_SUMMARY_BYTES);
    expect(text).toMatch(/cut here: the job summary is limited to 1 MiB/);
    expect(text).not.toContain("\uFFFD");
  });
});

describe("with the plan renderer's splitter", () => {
  it("posts a large rendered plan as several comments, each within the limit", async () => {
    const changes = Array.from({ length: 700 }, (_, i) =>
      change(
        `c${i}`,
        `user${String(i).padStart(4, "0")}@corp.example.com`,
        i % 3 === 0 ? "remove" : "publish",
        i + 1,
      ),
    );
    const markdown = renderMarkdown(makePlan({ git: { commit: "c".repeat(40), dirty: false }, changes }));
    const parts = splitMarkdown(markdown, Math.min(MARKDOWN_PART_BUDGET, commentPartBudget(CONFIG)));
    expect(parts.length).toBeGreaterThan(1);
    const posted = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts });
    expect(posted.every((c) => c.action === "created")).toBe(true);
    expect(ours().length).toBe(parts.length);
    for (const c of ours()) expect(c.body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    // Recipients from the start, the middle and the end all reach the pull request.
    const all = ours()
      .map((c) => c.body)
      .join("\n");
    for (const i of [0, 350, 699])
      expect(all).toContain(`user${String(i).padStart(4, "0")}@corp.example.com`);
  });
});
