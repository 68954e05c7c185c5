// A loopback GitHub for the action's tests: the REST endpoints the action calls through Octokit
// (issue comments, issues by label, pull requests of a commit, workflow runs, run artifacts and
// their zip download) and the artifact service @actions/artifact uploads to (the Twirp
// ArtifactService at ACTIONS_RESULTS_URL and an Azure block-blob store behind the signed URLs it
// hands out). State is in memory; every request is logged. Production code sees only other URLs
// (GITHUB_API_URL, ACTIONS_RESULTS_URL, ACTIONS_CACHE_URL). The legacy cache service is in
// cache-service.ts.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CacheService, cacheService, grantedScopes } from "./cache-service.js";

export interface EmuComment {
  id: number;
  body: string;
  user: string;
}

export interface EmuIssue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  comments: EmuComment[];
  isPull: boolean;
}

export interface EmuPull {
  number: number;
  title: string;
  headSha: string;
  headRef: string;
  baseRef: string;
  mergedAt: string | null;
  mergeCommitSha: string | null;
}

export interface EmuRun {
  id: number;
  /** Workflow file name, e.g. smimesync-plan.yml. */
  workflow: string;
  headSha: string;
  event: string;
  status: "in_progress" | "completed";
  conclusion: "success" | "failure" | null;
  /** The run's id in the results service, as the runtime token's scope names it. */
  backendId: string;
  /** GITHUB_REF of the run: the cache scope it writes (refs/pull/N/merge, refs/heads/main). */
  ref: string;
  /** A pull request's base branch (refs/heads/...): a cache scope it may read. */
  baseRef?: string;
}

export interface EmuArtifact {
  id: number;
  runId: number;
  name: string;
  blobKey: string;
  size: number;
  digest: string | null;
  finalized: boolean;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface InjectedFailure {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Only requests whose path matches (default: any API request). */
  match?: RegExp;
}

export interface GitHubEmulator {
  readonly url: string;
  readonly repository: string;
  readonly token: string;
  /** `issues` holds pull requests too (GitHub numbers them together). */
  readonly issues: Map<number, EmuIssue>;
  readonly pulls: Map<number, EmuPull>;
  /** Commit SHA -> numbers of the pull requests it is associated with. */
  readonly commitPulls: Map<string, number[]>;
  readonly runs: Map<number, EmuRun>;
  readonly artifacts: Map<number, EmuArtifact>;
  readonly blobs: Map<string, Buffer>;
  readonly log: LoggedRequest[];
  readonly failures: InjectedFailure[];
  /** The legacy Actions cache service (ACTIONS_CACHE_URL = url + "/"): entries and injected failures. */
  readonly cache: CacheService;
  /** Page size of list endpoints whatever per_page asks. */
  pageSize: number;
  /** When set, list responses carry a `next` link to this origin instead (token-leak test). */
  foreignNext: string | null;
  openPull(p: {
    title: string;
    headSha: string;
    headRef: string;
    baseRef?: string;
    commits?: string[];
  }): EmuPull;
  mergePull(number: number, mergeCommitSha: string, associated?: string[]): void;
  startRun(r: { workflow: string; headSha: string; event: string; ref?: string; baseRef?: string }): EmuRun;
  finishRun(id: number, conclusion: "success" | "failure"): void;
  /** The token @actions/artifact reads the run's ids from (ACTIONS_RUNTIME_TOKEN). */
  runtimeToken(run: EmuRun): string;
  /** The bytes of an artifact's zip. */
  artifactZip(id: number): Buffer;
  close(): Promise<void>;
}

const TWIRP = "/twirp/github.actions.results.api.v1.ArtifactService/";

export async function startGitHubEmulator(
  repository = "corp/pki-config",
  token = "ghs_emulated",
): Promise<GitHubEmulator> {
  const issues = new Map<number, EmuIssue>();
  const pulls = new Map<number, EmuPull>();
  const commitPulls = new Map<string, number[]>();
  const runs = new Map<number, EmuRun>();
  const artifacts = new Map<number, EmuArtifact>();
  const blobs = new Map<string, Buffer>();
  const blocks = new Map<string, Buffer>();
  const log: LoggedRequest[] = [];
  const failures: InjectedFailure[] = [];
  const cache = cacheService();
  const state = { pageSize: 30, foreignNext: null as string | null };
  let nextNumber = 1;
  let nextCommentId = 1000;
  let nextRunId = 5000;
  let nextArtifactId = 9000;
  let base = "";
  const clock = { t: Date.parse("2026-03-01T10:00:00Z") };
  const tick = () => {
    clock.t += 1000;
    return new Date(clock.t).toISOString();
  };

  const repoPath = `/repos/${repository}`;
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  const commentView = (issue: number, c: EmuComment) => ({
    id: c.id,
    body: c.body,
    user: { login: c.user },
    html_url: `https://github.com/${repository}/pull/${issue}#issuecomment-${c.id}`,
  });
  const issueView = (i: EmuIssue) => ({
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((name) => ({ name })),
    html_url: `https://github.com/${repository}/issues/${i.number}`,
    ...(i.isPull ? { pull_request: { url: `${base}${repoPath}/pulls/${i.number}` } } : {}),
  });
  const pullView = (p: EmuPull) => ({
    number: p.number,
    title: p.title,
    state: p.mergedAt ? "closed" : "open",
    merged_at: p.mergedAt,
    merge_commit_sha: p.mergeCommitSha,
    head: { sha: p.headSha, ref: p.headRef },
    base: { ref: p.baseRef },
    html_url: `https://github.com/${repository}/pull/${p.number}`,
  });
  const runView = (r: EmuRun) => ({
    id: r.id,
    head_sha: r.headSha,
    event: r.event,
    status: r.status,
    conclusion: r.conclusion,
    path: `.github/workflows/${r.workflow}`,
    html_url: `https://github.com/${repository}/actions/runs/${r.id}`,
  });
  const artifactView = (a: EmuArtifact) => ({
    id: a.id,
    name: a.name,
    size_in_bytes: a.size,
    digest: a.digest,
    created_at: "2026-03-01T10:00:00Z",
    expired: false,
    workflow_run: { id: a.runId },
  });

  /** A page of `all`, with GitHub's Link header. */
  function page<T>(req: IncomingMessage, url: URL, all: readonly T[]): { items: T[]; link: string } {
    const n = Number(url.searchParams.get("page") ?? "1");
    const items = all.slice((n - 1) * state.pageSize, n * state.pageSize);
    const last = Math.max(1, Math.ceil(all.length / state.pageSize));
    const origin = state.foreignNext ?? `http://${req.headers.host}`;
    const link = (p: number) => {
      const u = new URL(url.pathname + url.search, origin);
      u.searchParams.set("page", String(p));
      return `<${u.toString()}>`;
    };
    return {
      items,
      link: n < last ? `${link(n + 1)}; rel="next", ${link(last)}; rel="last"` : `${link(1)}; rel="first"`,
    };
  }

  async function body(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  function runOfBackend(id: string): EmuRun | undefined {
    return [...runs.values()].find((r) => r.backendId === id);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    log.push({ method, path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    if (await cache.handle(req, res, url, base)) return;

    // ---- blob storage (signed URLs: the signature is the authorisation) ----
    const blob = /^\/blob\/([\w.-]+)$/.exec(url.pathname);
    if (blob) {
      const key = blob[1] as string;
      if (url.searchParams.get("sig") !== "emulated") return send(res, 403, { message: "bad signature" });
      const comp = url.searchParams.get("comp");
      const blobHeaders = { "x-ms-request-id": "emu", "x-ms-version": "2024-11-04", etag: '"0x1"' };
      if (method === "PUT" && comp === "block") {
        blocks.set(`${key}/${url.searchParams.get("blockid")}`, await body(req));
        res.writeHead(201, blobHeaders);
        return void res.end();
      }
      if (method === "PUT" && comp === "blocklist") {
        const xml = (await body(req)).toString("utf8");
        const ids = [...xml.matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]);
        blobs.set(key, Buffer.concat(ids.map((id) => blocks.get(`${key}/${id}`) ?? Buffer.alloc(0))));
        res.writeHead(201, { ...blobHeaders, "last-modified": new Date(clock.t).toUTCString() });
        return void res.end();
      }
      if (method === "PUT") {
        blobs.set(key, await body(req));
        res.writeHead(201, blobHeaders);
        return void res.end();
      }
      if (method === "GET") {
        const data = blobs.get(key);
        if (!data) return send(res, 404, { message: "BlobNotFound" });
        res.writeHead(200, { "content-type": "application/zip", "content-length": String(data.length) });
        return void res.end(data);
      }
      return send(res, 405, { message: "method not allowed" });
    }

    // ---- the results service (Twirp, JSON), authorised by the runtime token ----
    if (url.pathname.startsWith(TWIRP)) {
      const ids = backendIds(req.headers.authorization);
      if (!ids) return send(res, 401, { code: "unauthenticated", msg: "bad runtime token" });
      const rpc = url.pathname.slice(TWIRP.length);
      const input = JSON.parse((await body(req)).toString("utf8") || "{}") as Record<string, unknown>;
      // protobuf-ts sends the proto field names (workflow_run_backend_id); accept the JSON names too.
      const field = (snake: string, camel: string) => input[snake] ?? input[camel];
      const run = runOfBackend(String(field("workflow_run_backend_id", "workflowRunBackendId") ?? ""));
      if (!run || run.backendId !== ids.run) return send(res, 404, { code: "not_found", msg: "no such run" });
      if (rpc === "CreateArtifact") {
        const id = nextArtifactId++;
        const blobKey = `a${id}`;
        artifacts.set(id, {
          id,
          runId: run.id,
          name: String(input.name),
          blobKey,
          size: 0,
          digest: null,
          finalized: false,
        });
        return send(res, 200, { ok: true, signedUploadUrl: `${base}/blob/${blobKey}?sig=emulated` });
      }
      if (rpc === "FinalizeArtifact") {
        const a = [...artifacts.values()].find(
          (x) => x.runId === run.id && x.name === input.name && !x.finalized,
        );
        if (!a) return send(res, 404, { code: "not_found", msg: "no such artifact" });
        const data = blobs.get(a.blobKey) ?? Buffer.alloc(0);
        a.size = data.length;
        a.digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
        const claimed = (input.hash as { value?: string } | string | undefined) ?? null;
        const claimedValue = typeof claimed === "string" ? claimed : claimed?.value;
        if (claimedValue && claimedValue !== a.digest)
          return send(res, 400, { code: "invalid_argument", msg: "hash" });
        a.finalized = true;
        return send(res, 200, { ok: true, artifactId: String(a.id) });
      }
      return send(res, 404, { code: "bad_route", msg: rpc });
    }

    if (url.pathname === "/_oidc/token") {
      return send(res, 200, { value: "emulated.oidc.token" });
    }

    // ---- REST ----
    const failure = failures.findIndex((f) => !f.match || f.match.test(url.pathname));
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      res.writeHead(f?.status ?? 500, { "content-type": "application/json", ...f?.headers });
      return void res.end(f?.body ?? JSON.stringify({ message: `status ${f?.status}` }));
    }
    if (req.headers.authorization !== `token ${token}` && req.headers.authorization !== `Bearer ${token}`)
      return send(res, 401, { message: "Bad credentials" });
    if (!url.pathname.startsWith(`${repoPath}/`)) return send(res, 404, { message: "Not Found" });
    const path = url.pathname.slice(repoPath.length);
    const input = () =>
      body(req).then((b) => (b.length ? (JSON.parse(b.toString("utf8")) as Record<string, unknown>) : {}));
    let m: RegExpExecArray | null;

    m = /^\/issues\/(\d+)\/comments$/.exec(path);
    if (m) {
      const issue = issues.get(Number(m[1]));
      if (!issue) return send(res, 404, { message: "Not Found" });
      if (method === "GET") {
        const p = page(
          req,
          url,
          issue.comments.map((c) => commentView(issue.number, c)),
        );
        return send(res, 200, p.items, { link: p.link });
      }
      if (method === "POST") {
        const b = await input();
        if (typeof b.body !== "string") return send(res, 422, { message: "body is missing" });
        if (b.body.length > 65_536)
          return send(res, 422, { message: "Body is too long (maximum is 65536 characters)" });
        const c = { id: nextCommentId++, body: b.body, user: "github-actions[bot]" };
        issue.comments.push(c);
        return send(res, 201, commentView(issue.number, c));
      }
    }
    m = /^\/issues\/comments\/(\d+)$/.exec(path);
    if (m && method === "PATCH") {
      const b = await input();
      for (const issue of issues.values()) {
        const c = issue.comments.find((x) => x.id === Number(m?.[1]));
        if (!c) continue;
        if (typeof b.body !== "string" || b.body.length > 65_536)
          return send(res, 422, { message: "bad body" });
        c.body = b.body;
        return send(res, 200, commentView(issue.number, c));
      }
      return send(res, 404, { message: "Not Found" });
    }
    if (path === "/issues" && method === "GET") {
      const labels = (url.searchParams.get("labels") ?? "").split(",").filter(Boolean);
      const st = url.searchParams.get("state") ?? "open";
      const all = [...issues.values()]
        .filter((i) => st === "all" || i.state === st)
        .filter((i) => labels.every((l) => i.labels.includes(l)))
        .sort((a, b) => b.number - a.number)
        .map(issueView);
      const p = page(req, url, all);
      return send(res, 200, p.items, { link: p.link });
    }
    if (path === "/issues" && method === "POST") {
      const b = await input();
      if (typeof b.title !== "string" || !b.title) return send(res, 422, { message: "title is missing" });
      const body_ = typeof b.body === "string" ? b.body : "";
      if (body_.length > 65_536) return send(res, 422, { message: "Body is too long" });
      const i: EmuIssue = {
        number: nextNumber++,
        title: b.title,
        body: body_,
        state: "open",
        labels: Array.isArray(b.labels) ? b.labels.map(String) : [],
        comments: [],
        isPull: false,
      };
      issues.set(i.number, i);
      return send(res, 201, issueView(i));
    }
    m = /^\/issues\/(\d+)$/.exec(path);
    if (m) {
      const i = issues.get(Number(m[1]));
      if (!i) return send(res, 404, { message: "Not Found" });
      if (method === "GET") return send(res, 200, issueView(i));
      if (method === "PATCH") {
        const b = await input();
        if (typeof b.title === "string") i.title = b.title;
        if (typeof b.body === "string") {
          if (b.body.length > 65_536) return send(res, 422, { message: "Body is too long" });
          i.body = b.body;
        }
        if (b.state === "open" || b.state === "closed") i.state = b.state;
        return send(res, 200, issueView(i));
      }
    }
    m = /^\/commits\/([0-9a-f]{40})\/pulls$/.exec(path);
    if (m && method === "GET") {
      const numbers = commitPulls.get(m[1] as string) ?? [];
      const p = page(
        req,
        url,
        numbers.map((n) => pullView(pulls.get(n) as EmuPull)),
      );
      return send(res, 200, p.items, { link: p.link });
    }
    m = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(path);
    if (m && method === "GET") {
      const file = decodeURIComponent(m[1] as string);
      const head = url.searchParams.get("head_sha");
      const status = url.searchParams.get("status");
      const all = [...runs.values()]
        .filter((r) => r.workflow === file && (!head || r.headSha === head))
        .filter((r) => !status || r.conclusion === status || r.status === status)
        .sort((a, b) => b.id - a.id)
        .map(runView);
      const p = page(req, url, all);
      return send(res, 200, { total_count: all.length, workflow_runs: p.items }, { link: p.link });
    }
    m = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(path);
    if (m && method === "GET") {
      const name = url.searchParams.get("name");
      const all = [...artifacts.values()]
        .filter((a) => a.runId === Number(m?.[1]) && a.finalized && (!name || a.name === name))
        .map(artifactView);
      return send(res, 200, { total_count: all.length, artifacts: all });
    }
    m = /^\/actions\/artifacts\/(\d+)\/zip$/.exec(path);
    if (m && method === "GET") {
      const a = artifacts.get(Number(m[1]));
      if (!a?.finalized) return send(res, 404, { message: "Not Found" });
      res.writeHead(302, { location: `${base}/blob/${a.blobKey}?sig=emulated` });
      return void res.end();
    }
    return send(res, 404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String(e) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const emulator: GitHubEmulator = {
    url: base,
    repository,
    token,
    issues,
    pulls,
    commitPulls,
    runs,
    artifacts,
    blobs,
    log,
    failures,
    cache,
    get pageSize() {
      return state.pageSize;
    },
    set pageSize(n: number) {
      state.pageSize = n;
    },
    get foreignNext() {
      return state.foreignNext;
    },
    set foreignNext(v: string | null) {
      state.foreignNext = v;
    },
    openPull(p) {
      const number = nextNumber++;
      const pull: EmuPull = {
        number,
        title: p.title,
        headSha: p.headSha,
        headRef: p.headRef,
        baseRef: p.baseRef ?? "main",
        mergedAt: null,
        mergeCommitSha: null,
      };
      pulls.set(number, pull);
      issues.set(number, {
        number,
        title: p.title,
        body: "",
        state: "open",
        labels: [],
        comments: [],
        isPull: true,
      });
      for (const sha of [p.headSha, ...(p.commits ?? [])]) associate(sha, number);
      return pull;
    },
    mergePull(number, mergeCommitSha, associated = []) {
      const p = pulls.get(number);
      if (!p) throw new Error(`no pull request #${number}`);
      p.mergedAt = tick();
      p.mergeCommitSha = mergeCommitSha;
      const issue = issues.get(number);
      if (issue) issue.state = "closed";
      for (const sha of [mergeCommitSha, ...associated]) associate(sha, number);
    },
    startRun(r) {
      const id = nextRunId++;
      const run: EmuRun = {
        id,
        ...r,
        ref: r.ref ?? "refs/heads/main",
        status: "in_progress",
        conclusion: null,
        backendId: `run-backend-${id}`,
      };
      runs.set(id, run);
      return run;
    },
    finishRun(id, conclusion) {
      const r = runs.get(id);
      if (!r) throw new Error(`no run ${id}`);
      r.status = "completed";
      r.conclusion = conclusion;
    },
    runtimeToken(run) {
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      return [
        b64({ typ: "JWT", alg: "none" }),
        b64({
          scp: `Actions.GenericRead:0 Actions.Results:${run.backendId}:job-${run.id}`,
          // The cache scopes, as the runner's token carries them (a JSON string in the claim).
          ac: JSON.stringify(grantedScopes(run).map((s) => ({ Scope: s.scope, Permission: s.permission }))),
        }),
        "emulated",
      ].join(".");
    },
    artifactZip(id) {
      const a = artifacts.get(id);
      const data = a ? blobs.get(a.blobKey) : undefined;
      if (!data) throw new Error(`no artifact ${id}`);
      return data;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Requests left hanging on purpose (an injected cache timeout) must not hold the close.
        server.closeAllConnections();
      }),
  };

  function associate(sha: string, number: number): void {
    const list = commitPulls.get(sha) ?? [];
    if (!list.includes(number)) commitPulls.set(sha, [...list, number]);
  }
  function backendIds(auth: string | undefined): { run: string } | null {
    const jwt = /^Bearer (.+)$/.exec(auth ?? "")?.[1];
    const payload = jwt?.split(".")[1];
    if (!payload) return null;
    try {
      const scp = String(
        (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { scp?: unknown }).scp ?? "",
      );
      const scope = scp.split(" ").find((s) => s.startsWith("Actions.Results:"));
      const [, run] = scope?.split(":") ?? [];
      return run ? { run } : null;
    } catch {
      return null;
    }
  }
  return emulator;
}
