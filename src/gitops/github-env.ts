// What the GitHub Actions environment tells about the current run: repository, run URL, actor,
// and the pull request. Read once, from variables GitHub sets for every job
// (docs: "Store information in variables", default environment variables).
import { readFileSync } from "node:fs";

export interface GitHubRun {
  /** `owner/name`. */
  readonly repository: string;
  readonly serverUrl: string;
  readonly runId: string;
  /** `${server}/${repository}/actions/runs/${runId}`, plus the attempt when it is not the first. */
  readonly runUrl: string;
  readonly actor: string | null;
  readonly eventName: string | null;
  readonly sha: string | null;
  /** The pull request, when the event names one or SMIMESYNC_PR_NUMBER says which was merged. */
  readonly pullRequest: number | null;
}

/** The run, or null outside GitHub Actions (or when the variables are incomplete). */
export function githubRun(env: NodeJS.ProcessEnv): GitHubRun | null {
  const repository = env.GITHUB_REPOSITORY;
  const runId = env.GITHUB_RUN_ID;
  if (!repository || !runId) return null;
  const serverUrl = (env.GITHUB_SERVER_URL || "https://github.com").replace(/\/+$/, "");
  const attempt =
    env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== "1" ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : "";
  return {
    repository,
    serverUrl,
    runId,
    runUrl: `${serverUrl}/${repository}/actions/runs/${runId}${attempt}`,
    actor: env.GITHUB_ACTOR || null,
    eventName: env.GITHUB_EVENT_NAME || null,
    sha: env.GITHUB_SHA || null,
    pullRequest: pullRequestNumber(env),
  };
}

/**
 * The pull request of this run. An explicit SMIMESYNC_PR_NUMBER wins: on `push` after a merge the
 * event carries no pull request, and the action looks the merged one up and sets it. Otherwise
 * the event payload (`pull_request`, `pull_request_target`, `issue_comment` on a pull request).
 */
export function pullRequestNumber(env: NodeJS.ProcessEnv): number | null {
  const explicit = positiveInt(env.SMIMESYNC_PR_NUMBER);
  if (explicit !== null) return explicit;
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return null;
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
  if (!isRecord(event)) return null;
  const pr = event.pull_request;
  if (isRecord(pr)) return positiveInt(pr.number);
  const issue = event.issue;
  if (isRecord(issue) && isRecord(issue.pull_request)) return positiveInt(issue.number);
  return null;
}

function positiveInt(v: unknown): number | null {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
