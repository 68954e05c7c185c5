// A loopback stand-in for GitHub's issue-comment endpoints (list with Link pagination, create,
// update), holding comments in memory and logging each request, so the comment logic is tested
// over real HTTP with the production client.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeComment {
  id: number;
  body: string;
  user: string;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface FakeGitHub {
  readonly url: string;
  readonly comments: Map<number, FakeComment[]>;
  readonly log: LoggedRequest[];
  /** Answer the next requests with these statuses first (rate limiting, errors). */
  readonly failures: { status: number; headers?: Record<string, string>; body?: string }[];
  /** Page size the server uses whatever per_page asks (GitHub caps it at 100). */
  pageSize: number;
  /** When set, list responses carry a `next` link to this origin instead (token-leak test). */
  foreignNext: string | null;
  close(): Promise<void>;
}

export async function startFakeGitHub(repository: string, token: string): Promise<FakeGitHub> {
  const comments = new Map<number, FakeComment[]>();
  const log: LoggedRequest[] = [];
  let nextId = 1000;
  const state = {
    failures: [] as FakeGitHub["failures"],
    pageSize: 2,
    foreignNext: null as string | null,
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  const view = (c: FakeComment) => ({
    id: c.id,
    body: c.body,
    user: { login: c.user },
    html_url: `https://github.example/${repository}/pull/x#issuecomment-${c.id}`,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    log.push({
      method: req.method ?? "",
      path: `${url.pathname}${url.search}`,
      authorization: req.headers.authorization,
    });
    const failure = state.failures.shift();
    if (failure) {
      res.writeHead(failure.status, { "content-type": "application/json", ...failure.headers });
      res.end(failure.body ?? JSON.stringify({ message: `status ${failure.status}` }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(res, 401, { message: "Bad credentials" });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body =
      chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { body?: unknown }) : {};

    const list = new RegExp(`^/repos/${repository}/issues/(\\d+)/comments$`).exec(url.pathname);
    if (list) {
      const issue = Number(list[1]);
      const all = comments.get(issue) ?? [];
      if (req.method === "GET") {
        const page = Number(url.searchParams.get("page") ?? "1");
        const slice = all.slice((page - 1) * state.pageSize, page * state.pageSize);
        const last = Math.max(1, Math.ceil(all.length / state.pageSize));
        const base = state.foreignNext ?? `http://${req.headers.host}`;
        const link = (p: number) => `<${base}${url.pathname}?per_page=100&page=${p}>`;
        const links =
          page < last
            ? `${link(page + 1)}; rel="next", ${link(last)}; rel="last"`
            : `${link(1)}; rel="first"`;
        return send(res, 200, slice.map(view), { link: links });
      }
      if (req.method === "POST" && typeof body.body === "string") {
        const c = { id: nextId++, body: body.body, user: "github-actions[bot]" };
        comments.set(issue, [...all, c]);
        return send(res, 201, view(c));
      }
    }
    const one = new RegExp(`^/repos/${repository}/issues/comments/(\\d+)$`).exec(url.pathname);
    if (one && req.method === "PATCH" && typeof body.body === "string") {
      const id = Number(one[1]);
      for (const list of comments.values()) {
        const c = list.find((x) => x.id === id);
        if (c) {
          c.body = body.body;
          return send(res, 200, view(c));
        }
      }
      return send(res, 404, { message: "Not Found" });
    }
    return send(res, 404, { message: "Not Found" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    comments,
    log,
    get failures() {
      return state.failures;
    },
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
