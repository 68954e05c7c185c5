import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { SmimesyncError } from "../../src/errors.js";
import { fitSummary, MAX_STEP_SUMMARY_BYTES } from "../../src/gitops/action/summary.js";
import {
  CAP_NOTE_RESERVE,
  type CommentSetInput,
  capParts,
  commentPartBudget,
  MAX_COMMENT_CHARS,
  planCommentMarker,
  publishComments,
} from "../../src/gitops/comments.js";
import { type GitHubClient, githubClient, repoRef } from "../../src/gitops/github-client.js";
import { MARKDOWN_PART_BUDGET, renderMarkdown, splitMarkdown } from "../../src/plan/render/index.js";
import { type GitHubEmulator, startGitHubEmulator } from "../github-emulator/server.js";
import { change, makePlan, removeTempDirs } from "./helpers.js";

afterAll(removeTempDirs);

const REPO = "corp/pki-config";
const TOKEN = "ghs_test_token";
const PR = 1;
const CONFIG = "smimesync.yaml";

let gh: GitHubEmulator;
let api: GitHubClient;
const publishPlanComments = (client: GitHubClient, input: Omit<CommentSetInput, "kind">) =>
  publishComments(client, repoRef(REPO), { ...input, kind: "plan" });
beforeEach(async () => {
  gh = await startGitHubEmulator(REPO, TOKEN);
  gh.pageSize = 2;
  api = githubClient({ apiUrl: gh.url, token: TOKEN });
  const pull = gh.openPull({ title: "t", headSha: "a".repeat(40), headRef: "x" });
  expect(pull.number).toBe(1);
  // Conversation before the plan: people, and the plan of another config in the same repository.
  (gh.issues.get(PR) as { comments: unknown[] }).comments.push(
    { id: 1, body: "LGTM once the plan is green", user: "alice" },
    { id: 2, body: "> <!-- smimesync-plan:smimesync.yaml part 1 -->\nquoting is not a plan", user: "bob" },
    {
      id: 3,
      body: `${planCommentMarker("other/smimesync.yaml", 1)}\nother plan`,
      user: "github-actions[bot]",
    },
  );
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
  (gh.issues.get(PR)?.comments ?? []).filter((c) => c.body.startsWith(`<!-- smimesync-plan:${CONFIG} `));
const writes = () => gh.log.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);

describe("publishPlanComments", () => {
  it("splits a long plan over several comments, then updates them in place", async () => {
    const parts = bigPlanMarkdown(110, "v1");
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
    expect(gh.log.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);

    // Same plan again (a re-run): nothing is written.
    gh.log.length = 0;
    const again = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts });
    expect(again.map((c) => c.action)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(writes()).toEqual([]);

    // A new push changes the plan: the same three comments are edited, no new one appears.
    gh.log.length = 0;
    const v2 = bigPlanMarkdown(110, "v2");
    const second = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: v2 });
    expect(second.map((c) => [c.part, c.id, c.action])).toEqual(first.map((c) => [c.part, c.id, "updated"]));
    expect(writes()).toEqual(first.map((c) => `PATCH /repos/${REPO}/issues/comments/${c.id}`));
    expect(ours().map((c) => c.body)).toEqual(v2.map((p, i) => `${planCommentMarker(CONFIG, i + 1)}\n${p}`));
    expect(gh.issues.get(PR)?.comments?.length).toBe(6);
  });

  it("turns surplus comments into a superseded note, and reuses them when the plan grows again", async () => {
    const long = bigPlanMarkdown(110, "long");
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
      `${planCommentMarker(CONFIG, 2)}\n_smimesync: this part of an earlier plan comment for \`smimesync.yaml\` is superseded; the current one has 1 part._\n`,
    );
    expect(p3?.body).toContain(planCommentMarker(CONFIG, 3));

    gh.log.length = 0;
    const grown = await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: long });
    expect(grown.map((c) => [c.id, c.action])).toEqual(created.map((c) => [c.id, "updated"]));
    expect(writes().every((w) => w.startsWith("PATCH "))).toBe(true);
  });

  it("leaves people's comments and other configs' plans alone", async () => {
    await publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: ["short plan"] });
    const all = gh.issues.get(PR)?.comments ?? [];
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
      `GitHub: listing the comments of #${PR} failed (403): Resource not accessible by integration`,
    );
    expect(err.hint).toMatch(/pull-requests/);
  });

  it("does not follow a pagination link to another origin with the token", async () => {
    gh.foreignNext = "http://127.0.0.2:9";
    await expect(
      publishPlanComments(api, { issueNumber: PR, configPath: CONFIG, parts: ["p"] }),
    ).rejects.toThrow(/Refusing to send the GitHub token to http:\/\/127\.0\.0\.2:9/);
  });
});

describe("capping and the job summary", () => {
  it("shows at most max-comments parts, the last one linking the summary and the artifact", () => {
    const parts = ["one", "two", "three", "four", "five"];
    const links = {
      summaryUrl: "https://github.com/o/r/actions/runs/7",
      artifactUrl: "https://github.com/o/r/actions/runs/7/artifacts/9",
    };
    expect(capParts(parts, 5, links)).toEqual(parts);
    const capped = capParts(parts, 3, links);
    expect(capped.slice(0, 2)).toEqual(["one", "two"]);
    expect(capped[2]).toMatch(/^three\n\n---\n_Showing 3 of 5 parts/);
    expect(capped[2]).toContain(`[job summary](${links.summaryUrl})`);
    expect(capped[2]).toContain(`[plan artifact](${links.artifactUrl})`);
    expect((capped[2] as string).length - "three".length).toBeLessThanOrEqual(CAP_NOTE_RESERVE);
  });

  it("cuts a job summary that would pass 1 MiB, on a character boundary", () => {
    expect(fitSummary("## Plan", 10)).toBe("## Plan\n");
    const text = fitSummary("é".repeat(MAX_STEP_SUMMARY_BYTES), 100);
    expect(Buffer.byteLength(text) + 100).toBeLessThanOrEqual(MAX_STEP_SUMMARY_BYTES);
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
