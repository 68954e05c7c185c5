// Microsoft Graph v1.0, the parts smimesync uses: GET /users ($select, $top <= 999, $filter
// with `eq`, @odata.nextLink paging), GET /users/{id}, GET /users/delta (nextLink / deltaLink,
// later rounds carry only changed properties, @removed for deletions), POST /$batch (<= 20).
import { randomBytes } from "node:crypto";
import { type EmuRequest, type EmuResponse, json } from "./http-types.js";
import type { TokenAuthority } from "./identity.js";
import { graphError, graphUnauthorized } from "./service-errors.js";
import { type EmulatorState, type MutableUser, USER_PROPS } from "./state.js";

export interface GraphOptions {
  /** Server-side page size cap (real Graph: 999); lower it to get many pages from few users. */
  readonly maxPageSize: number;
  /** Age (emulator clock) after which a delta token is refused; Graph: 7 days for users. */
  readonly deltaTokenLifetimeMs: number;
}

interface Pager {
  readonly items: readonly Record<string, unknown>[];
  readonly offset: number;
  readonly pageSize: number;
  /** For delta rounds: the sequence number the final deltaLink carries. */
  readonly deltaSeq: number | undefined;
  readonly query: string;
}

const DEFAULT_PAGE = 100;

export class GraphEmulator {
  private readonly pagers = new Map<string, Pager>();

  constructor(
    private readonly state: EmulatorState,
    private readonly authority: TokenAuthority,
    private readonly options: GraphOptions,
    private readonly base: () => string,
  ) {}

  handle(req: EmuRequest): EmuResponse {
    const check = this.authority.check(req.headers.authorization, "graph");
    if (!check.ok) return graphUnauthorized(check.reason);
    if (!check.token.roles.some((r) => r === "User.Read.All" || r === "Directory.Read.All")) {
      return graphError(
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
      );
    }
    return this.route(req.method, req.url.pathname, req.url.searchParams, req.bodyText);
  }

  private route(method: string, path: string, query: URLSearchParams, bodyText: string): EmuResponse {
    const segments = path.split("/").filter(Boolean);
    if (segments[0] !== "v1.0") return graphError(400, "BadRequest", `Invalid version: ${segments[0] ?? ""}`);
    const [, resource, sub] = segments;
    if (method === "POST" && resource === "$batch" && sub === undefined) return this.batch(bodyText);
    if (method !== "GET")
      return graphError(
        405,
        "Request_BadRequest",
        `Method ${method} is not supported by the emulator for ${path}.`,
      );
    if (resource !== "users")
      return graphError(400, "BadRequest", `Resource not found for the segment '${resource ?? ""}'.`);
    if (sub === "delta") return this.delta(query);
    if (sub !== undefined) return this.user(decodeURIComponent(sub), query);
    return this.users(query);
  }

  private users(query: URLSearchParams): EmuResponse {
    const skip = query.get("$skiptoken");
    if (skip !== null) return this.nextPage(skip, "users");
    const top = pageSize(query);
    if (typeof top !== "number") return top;
    const select = selection(query);
    const filter = parseFilter(query.get("$filter"));
    if (filter && "error" in filter) return filter.error;
    const users = [...this.state.users.values()].filter((u) => !filter || u[filter.prop] === filter.value);
    return this.startPaging(
      users.map((u) => project(u, select)),
      top,
      undefined,
      query,
      "users",
    );
  }

  private user(id: string, query: URLSearchParams): EmuResponse {
    const user =
      this.state.users.get(id) ??
      [...this.state.users.values()].find((u) => u.userPrincipalName.toLowerCase() === id.toLowerCase());
    if (!user)
      return graphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    return json(200, {
      "@odata.context": `${this.base()}/v1.0/$metadata#users/$entity`,
      ...project(user, selection(query)),
    });
  }

  private delta(query: URLSearchParams): EmuResponse {
    const skip = query.get("$skiptoken");
    if (skip !== null) return this.nextPage(skip, "users/delta");
    const deltaToken = query.get("$deltatoken");
    const top = pageSize(query);
    if (typeof top !== "number") return top;
    if (deltaToken === null) {
      const select = selection(query);
      const items = [...this.state.users.values()].map((u) => project(u, select));
      return this.startPaging(
        items,
        top,
        this.state.seq,
        new URLSearchParams({ $select: select.join(",") }),
        "users/delta",
      );
    }
    let since: { seq: number; select: string[]; gen?: number; at?: number };
    try {
      since = JSON.parse(Buffer.from(deltaToken, "base64url").toString("utf8")) as typeof since;
      if (typeof since.seq !== "number" || !Array.isArray(since.select)) throw new Error("shape");
    } catch {
      return graphError(400, "Request_BadRequest", "Badly formed delta token.");
    }
    const expired = this.expired(since);
    if (expired) return expired;
    const items: Record<string, unknown>[] = [];
    for (const [id, change] of this.state.changesSince(since.seq)) {
      const user = this.state.users.get(id);
      if (change.kind === "removed" || !user) {
        items.push({
          "@odata.type": "#microsoft.graph.user",
          id,
          "@removed": { reason: change.kind === "removed" ? change.reason : "changed" },
        });
        continue;
      }
      const props = since.select.filter((p) => p === "id" || change.props.has(p));
      items.push(project(user, props));
    }
    return this.startPaging(
      items,
      top,
      this.state.seq,
      new URLSearchParams({ $select: since.select.join(",") }),
      "users/delta",
    );
  }

  /**
   * A token from before state.expireDeltaTokens, or older than the token lifetime (Graph: 7 days
   * for directory objects), is refused the way Graph refuses it: 410 Gone with resyncRequired, or
   * 400 syncStateNotFound (what Graph documents for identity resources past the lifetime).
   */
  private expired(since: { gen?: number; at?: number }): EmuResponse | undefined {
    const stale = (since.gen ?? 0) < this.state.deltaGeneration;
    const old = this.state.now() - (since.at ?? this.state.now()) > this.options.deltaTokenLifetimeMs;
    if (!stale && !old) return undefined;
    if (old || this.state.deltaExpiryStatus === 400) {
      return graphError(
        400,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
      );
    }
    return graphError(
      410,
      "resyncRequired",
      "The delta token is no longer valid: the application must resynchronize.",
      {
        Location: `${this.base()}/v1.0/users/delta`,
      },
    );
  }

  private startPaging(
    items: Record<string, unknown>[],
    top: number,
    deltaSeq: number | undefined,
    query: URLSearchParams,
    resource: string,
  ): EmuResponse {
    const size = Math.min(top, this.options.maxPageSize);
    const pager: Pager = { items, offset: 0, pageSize: size, deltaSeq, query: query.get("$select") ?? "" };
    return this.page(pager, resource, undefined);
  }

  private nextPage(token: string, resource: string): EmuResponse {
    const pager = this.pagers.get(token);
    if (!pager)
      return graphError(
        400,
        "Directory_ExpiredPageToken",
        "The specified page token value has expired and can no longer be included in your request.",
      );
    return this.page(pager, resource, token);
  }

  private page(pager: Pager, resource: string, _token: string | undefined): EmuResponse {
    const value = pager.items.slice(pager.offset, pager.offset + pager.pageSize);
    // Each page's token names an immutable position, so asking for a page again (a client
    // retrying after a cut connection) gets the same page, as with the services' skip tokens.
    const offset = pager.offset + value.length;
    const body: Record<string, unknown> = {
      "@odata.context": `${this.base()}/v1.0/$metadata#users(${pager.query})`,
      value,
    };
    if (offset < pager.items.length) {
      const next = randomBytes(12).toString("base64url");
      this.pagers.set(next, { ...pager, offset });
      // Real nextLinks repeat $select/$top for /users; delta nextLinks carry only the token.
      const params =
        resource === "users"
          ? `$select=${pager.query}&$top=${pager.pageSize}&$skiptoken=${next}`
          : `$skiptoken=${next}`;
      body["@odata.nextLink"] = `${this.base()}/v1.0/${resource}?${params}`;
    } else if (pager.deltaSeq !== undefined) {
      const token = Buffer.from(
        JSON.stringify({
          seq: pager.deltaSeq,
          select: pager.query.split(",").filter(Boolean),
          gen: this.state.deltaGeneration,
          at: this.state.now(),
        }),
      ).toString("base64url");
      body["@odata.deltaLink"] = `${this.base()}/v1.0/${resource}?$deltatoken=${token}`;
    }
    return json(200, body);
  }

  private batch(bodyText: string): EmuResponse {
    let body: { requests?: unknown };
    try {
      body = JSON.parse(bodyText) as { requests?: unknown };
    } catch {
      return graphError(400, "BadRequest", "Invalid batch payload format.");
    }
    if (!Array.isArray(body.requests)) return graphError(400, "BadRequest", "Invalid batch payload format.");
    if (body.requests.length > 20) {
      return graphError(
        400,
        "BadRequest",
        "Number of batch requests exceeds the maximum allowed limit of 20.",
      );
    }
    const responses = body.requests.map((r: unknown) => {
      const inner = r as { id?: unknown; method?: unknown; url?: unknown };
      if (typeof inner.id !== "string" || typeof inner.url !== "string" || typeof inner.method !== "string") {
        return {
          id: String(inner.id ?? ""),
          status: 400,
          body: { error: { code: "BadRequest", message: "Invalid request" } },
        };
      }
      const url = new URL(`${this.base()}/v1.0${inner.url.startsWith("/") ? "" : "/"}${inner.url}`);
      const res = this.route(inner.method, url.pathname, url.searchParams, "");
      return {
        id: inner.id,
        status: res.status,
        headers: { "Content-Type": "application/json", ...(res.headers ?? {}) },
        body: res.body,
      };
    });
    return json(200, { responses });
  }
}

function pageSize(query: URLSearchParams): number | EmuResponse {
  const raw = query.get("$top");
  if (raw === null) return DEFAULT_PAGE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 999) {
    return graphError(
      400,
      "Request_UnsupportedQuery",
      `Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`,
    );
  }
  return n;
}

function selection(query: URLSearchParams): string[] {
  const raw = query.get("$select");
  // Without $select, Graph returns a default set; the emulator returns every property it has.
  return raw ? raw.split(",").map((s) => s.trim()) : [...USER_PROPS];
}

function project(user: MutableUser, select: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select) if (p in user) out[p] = user[p as keyof MutableUser];
  out.id = user.id;
  return out;
}

type Filter = { prop: keyof MutableUser; value: string | boolean | null };

function parseFilter(raw: string | null): Filter | { error: EmuResponse } | undefined {
  if (raw === null) return undefined;
  const m = /^(\w+) eq (?:'((?:[^']|'')*)'|(true|false|null))$/.exec(raw.trim());
  if (!m || !(USER_PROPS as readonly string[]).includes(m[1] ?? "")) {
    return {
      error: graphError(
        400,
        "Request_UnsupportedQuery",
        `Unsupported or invalid query filter clause specified for property '${raw}'.`,
      ),
    };
  }
  const literal = m[3];
  const value =
    literal === undefined ? (m[2] ?? "").replace(/''/g, "'") : literal === "null" ? null : literal === "true";
  return { prop: m[1] as keyof MutableUser, value };
}
