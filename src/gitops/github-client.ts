// The one GitHub REST client: Octokit with the throttling plugin (GitHub's recommended pacing of
// writes, waits on primary and secondary rate limits) and the retry plugin (server errors). The
// base URL is GITHUB_API_URL, so GHES and the test emulator are only another URL.
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { SmimesyncError } from "../errors.js";
import { version } from "../version.js";

const GitHubOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

export interface GitHubClientOptions {
  /** `GITHUB_API_URL`: https://api.github.com, or the GHES `/api/v3` URL. */
  readonly apiUrl: string;
  readonly token: string;
  /** Rate-limit waits up to this many retries, then the request fails. */
  readonly rateLimitRetries?: number;
  readonly log?: (message: string) => void;
}

export function githubClient(opts: GitHubClientOptions): GitHubClient {
  const retries = opts.rateLimitRetries ?? 2;
  const log = opts.log ?? (() => undefined);
  const base = new URL(opts.apiUrl);
  const client = new GitHubOctokit({
    auth: opts.token,
    baseUrl: opts.apiUrl.replace(/\/+$/, ""),
    userAgent: `smimesync/${version}`,
    // Octokit logs a warning for every deprecation header and 404: the action reports what matters.
    log: { debug: () => undefined, info: () => undefined, warn: log, error: log },
    throttle: {
      onRateLimit: (after, options, _octokit, count) => {
        log(`GitHub rate limit hit on ${options.method} ${options.url}; retrying in ${after} s.`);
        return count <= retries;
      },
      onSecondaryRateLimit: (after, options, _octokit, count) => {
        log(`GitHub secondary rate limit on ${options.method} ${options.url}; retrying in ${after} s.`);
        return count <= retries;
      },
    },
  });
  // Pagination follows the `next` link of the answer, which is hostile input like any other:
  // the token never goes to another origin than the API's.
  client.hook.before("request", (options) => {
    const url = new URL(options.url, `${base.origin}/`);
    if (url.origin !== base.origin) {
      throw new SmimesyncError(
        "GITHUB_ERROR",
        `Refusing to send the GitHub token to ${url.origin} (the API is ${base.origin}).`,
      );
    }
  });
  return client;
}

/** `owner/name` -> its parts; GITHUB_ERROR when it is not that shape. */
export function repoRef(repository: string | undefined): RepoRef {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(repository ?? "");
  if (!m) {
    throw new SmimesyncError("GITHUB_ERROR", `GITHUB_REPOSITORY is not owner/name: '${repository ?? ""}'.`, {
      hint: "It is set in GitHub Actions; elsewhere export it.",
    });
  }
  return { owner: m[1] as string, repo: m[2] as string };
}

/**
 * A failed GitHub call as a user-facing error: the status, GitHub's message, and what the token
 * probably lacks. Octokit's RequestError carries `status` and `response.data.message`.
 */
export function githubError(what: string, e: unknown): SmimesyncError {
  const status =
    typeof (e as { status?: unknown }).status === "number" ? (e as { status: number }).status : 0;
  const data = (e as { response?: { data?: unknown } }).response?.data;
  const message =
    typeof data === "object" && data !== null && typeof (data as { message?: unknown }).message === "string"
      ? (data as { message: string }).message
      : e instanceof Error
        ? e.message
        : String(e);
  const hint =
    status === 401
      ? "The token was rejected: pass github-token: ${{ github.token }} (the default)."
      : status === 403
        ? "The token may not do this: check the job's `permissions:` (pull-requests / issues: write, actions: read). Pull requests from forks get a read-only token."
        : status === 404
          ? "Not found: check the repository, the number and the workflow file name; a token without access also gets 404."
          : undefined;
  return new SmimesyncError(
    "GITHUB_ERROR",
    `GitHub: ${what} failed${status ? ` (${status})` : ""}: ${message}`,
    hint ? { hint } : undefined,
  );
}
