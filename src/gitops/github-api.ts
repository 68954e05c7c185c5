// A minimal GitHub REST client over the global fetch (Node 20): JSON requests, Link-header
// pagination, a bounded retry on rate limiting and server errors. Only what the plan comments need;
// the token never leaves the API's origin (a `next` link elsewhere is refused).
import { SmimesyncError } from "../errors.js";
import { version } from "../version.js";

export interface GitHubApiOptions {
  /** `GITHUB_API_URL`: https://api.github.com, or the GHES `/api/v3` URL. */
  readonly apiUrl: string;
  readonly token: string;
  /** `owner/name`. */
  readonly repository: string;
  /** Waits between retries; tests pass a fast one. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** From GITHUB_API_URL, GITHUB_TOKEN and GITHUB_REPOSITORY; GITHUB_ERROR when one is missing. */
export function githubApiOptionsFromEnv(env: NodeJS.ProcessEnv): GitHubApiOptions {
  const token = env.GITHUB_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  if (!token) {
    throw new SmimesyncError("GITHUB_ERROR", "GITHUB_TOKEN is not set: cannot comment on the pull request.", {
      hint: "Pass it to the step: env: GITHUB_TOKEN: ${{ github.token }} (with permissions: pull-requests: write).",
    });
  }
  if (!repository || !/^[^/]+\/[^/]+$/.test(repository)) {
    throw new SmimesyncError("GITHUB_ERROR", "GITHUB_REPOSITORY is not set (owner/name).", {
      hint: "It is set in GitHub Actions; elsewhere export it.",
    });
  }
  return { apiUrl: env.GITHUB_API_URL || "https://api.github.com", token, repository };
}

export interface GitHubResponse<T> {
  readonly data: T;
  readonly next: string | null;
}

const MAX_ATTEMPTS = 3;
const MAX_WAIT_MS = 60_000;

export class GitHubApi {
  readonly repository: string;
  private readonly base: URL;
  private readonly token: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: GitHubApiOptions) {
    this.repository = opts.repository;
    this.base = new URL(opts.apiUrl.endsWith("/") ? opts.apiUrl : `${opts.apiUrl}/`);
    this.token = opts.token;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** `path` relative to the API root (`repos/o/r/...`), or an absolute URL from a Link header. */
  async request<T>(
    method: "GET" | "POST" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
  ): Promise<GitHubResponse<T>> {
    const url = this.url(path);
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(url, {
        method,
        headers: {
          Accept: "application/vnd.github+json",
          Authorization: `Bearer ${this.token}`,
          "X-GitHub-Api-Version": "2022-11-28",
          "User-Agent": `smimesync/${version}`,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const wait = retryDelay(res, attempt);
      if (wait !== null) {
        await res.body?.cancel();
        await this.sleep(wait);
        continue;
      }
      const text = await res.text();
      if (!res.ok) throw apiError(method, url, res.status, text);
      const data = (text === "" ? null : JSON.parse(text)) as T;
      return { data, next: nextLink(res.headers.get("link")) };
    }
  }

  /** Every page of a list endpoint, following `rel="next"`. */
  async paginate<T>(path: string): Promise<T[]> {
    const all: T[] = [];
    let next: string | null = path;
    while (next !== null) {
      const page: GitHubResponse<T[]> = await this.request<T[]>("GET", next);
      all.push(...page.data);
      next = page.next;
    }
    return all;
  }

  private url(path: string): URL {
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(path.replace(/^\//, ""), this.base);
    if (url.origin !== this.base.origin) {
      throw new SmimesyncError(
        "GITHUB_ERROR",
        `Refusing to send the GitHub token to ${url.origin} (API is ${this.base.origin}).`,
      );
    }
    return url;
  }
}

/** Milliseconds to wait before retrying, or null when the response is final. */
function retryDelay(res: Response, attempt: number): number | null {
  if (attempt >= MAX_ATTEMPTS) return null;
  const rateLimited =
    res.status === 429 ||
    (res.status === 403 &&
      (res.headers.has("retry-after") || res.headers.get("x-ratelimit-remaining") === "0"));
  if (!rateLimited && res.status < 500) return null;
  const after = Number(res.headers.get("retry-after"));
  if (Number.isFinite(after) && after > 0) return Math.min(after * 1000, MAX_WAIT_MS);
  const reset = Number(res.headers.get("x-ratelimit-reset"));
  if (rateLimited && Number.isFinite(reset) && reset > 0)
    return Math.min(Math.max(reset * 1000 - Date.now(), 0), MAX_WAIT_MS);
  return 1000 * 2 ** (attempt - 1);
}

function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m?.[2]?.split(/\s+/).includes("next")) return m[1] as string;
  }
  return null;
}

function apiError(method: string, url: URL, status: number, text: string): SmimesyncError {
  let detail = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === "string") detail = body.message;
  } catch {
    // not JSON: keep the text
  }
  const hint =
    status === 401
      ? "The token was rejected: pass GITHUB_TOKEN: ${{ github.token }}."
      : status === 403
        ? "The token may not do this: give the job `permissions: pull-requests: write` (and `issues: write` for issue comments). Pull requests from forks get a read-only token."
        : status === 404
          ? "Check GITHUB_REPOSITORY and the pull request number; a token without access also gets 404."
          : undefined;
  return new SmimesyncError(
    "GITHUB_ERROR",
    `GitHub API ${method} ${url.pathname} failed: ${status} ${detail}`,
    hint ? { hint } : undefined,
  );
}
