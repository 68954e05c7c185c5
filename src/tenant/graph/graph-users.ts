// Entra ID users through @microsoft/microsoft-graph-client. The client builds URLs, attaches the
// token (AuthenticationHandler) and parses OData; our terminal middleware sends through the
// shared sender so Graph gets the same retry, throttling and concurrency rules as Exchange.
import {
  AuthenticationHandler,
  type AuthenticationProvider,
  Client,
  type Context,
  type Middleware,
  type MiddlewareOptions,
} from "@microsoft/microsoft-graph-client";
import { SmimesyncError } from "../../errors.js";
import { type OutgoingRequest, type SenderDeps, send } from "../http/sender.js";
import type { CloudUser, UserChange, UserDelta } from "../types.js";
import { isJsonObject, toCloudUser, USER_SELECT } from "./user-mapping.js";

/** Graph's maximum page size for /users. */
export const GRAPH_PAGE_SIZE = 999;
/** Graph's maximum number of requests in one $batch. */
export const GRAPH_BATCH_LIMIT = 20;

export interface GraphUsersOptions {
  /** Graph service root, e.g. https://graph.microsoft.com */
  readonly baseUrl: string;
  readonly getToken: () => Promise<string>;
  readonly sender: SenderDeps;
}

/**
 * Per-request slot: the graph client wraps whatever a middleware throws into a GraphError that
 * keeps only the message, so the middleware parks the real error here for the caller.
 */
class FailureSlot implements MiddlewareOptions {
  error: SmimesyncError | undefined;
  constructor(readonly what: string) {}
}

class SenderMiddleware implements Middleware {
  constructor(private readonly deps: SenderDeps) {}

  async execute(context: Context): Promise<void> {
    const slot = context.middlewareControl?.getMiddlewareOptions(FailureSlot) as FailureSlot | undefined;
    const url = typeof context.request === "string" ? context.request : context.request.url;
    const method = (context.options?.method ?? "GET").toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(context.options?.headers as ConstructorParameters<typeof Headers>[0]).forEach(
      (value, name) => {
        headers[name] = value;
      },
    );
    const body = context.options?.body;
    if (method !== "GET" && method !== "POST") throw new Error(`unsupported Graph method ${method}`);
    const req: OutgoingRequest = {
      service: "graph",
      method,
      url,
      headers,
      ...(typeof body === "string" ? { body } : {}),
      idempotent: method === "GET",
      what: slot?.what ?? `${method} ${new URL(url).pathname}`,
    };
    try {
      context.response = await send(this.deps, req);
    } catch (e) {
      if (slot && e instanceof SmimesyncError) slot.error = e;
      throw e;
    }
  }
}

export class GraphUsers {
  private readonly client: Client;
  private authFailure: SmimesyncError | undefined;

  constructor(private readonly options: GraphUsersOptions) {
    const authProvider: AuthenticationProvider = {
      getAccessToken: async () => {
        try {
          return await options.getToken();
        } catch (e) {
          if (e instanceof SmimesyncError) this.authFailure = e;
          throw e;
        }
      },
    };
    this.client = Client.initWithMiddleware({
      baseUrl: `${options.baseUrl}/`,
      defaultVersion: "v1.0",
      // The AuthenticationHandler only attaches tokens to known Graph hosts or these.
      customHosts: new Set([new URL(options.baseUrl).hostname]),
      middleware: [new AuthenticationHandler(authProvider), new SenderMiddleware(options.sender)],
    });
  }

  async *list(): AsyncIterable<CloudUser> {
    let page = await this.get(
      `/users?$select=${USER_SELECT.join(",")}&$top=${GRAPH_PAGE_SIZE}`,
      "listing users",
    );
    for (;;) {
      for (const raw of values(page)) yield toCloudUser(raw);
      const next = page["@odata.nextLink"];
      if (typeof next !== "string") return;
      page = await this.get(next, "listing users (next page)");
    }
  }

  async delta(deltaLink: string | undefined): Promise<UserDelta> {
    const changes: RawChange[] = [];
    let page = await this.get(
      deltaLink ?? `/users/delta?$select=${USER_SELECT.join(",")}&$top=${GRAPH_PAGE_SIZE}`,
      "reading user changes",
    );
    for (;;) {
      for (const raw of values(page)) changes.push(toChange(raw));
      const next = page["@odata.nextLink"];
      const link = page["@odata.deltaLink"];
      if (typeof next === "string") {
        page = await this.get(next, "reading user changes (next page)");
        continue;
      }
      if (typeof link !== "string") throw protocol("a /users/delta round ended without @odata.deltaLink");
      return {
        changes: await this.completeUpserts(changes),
        deltaLink: link,
        complete: deltaLink === undefined,
      };
    }
  }

  /**
   * Later delta rounds carry only the properties that changed; such users are read again in
   * full through $batch (at most 20 requests a batch, Graph's limit).
   */
  private async completeUpserts(changes: readonly RawChange[]): Promise<UserChange[]> {
    const partial = changes
      .filter((c) => c.kind === "upsert" && !USER_SELECT.every((p) => p in c.raw))
      .map((c) => c.id);
    const full = partial.length === 0 ? new Map<string, CloudUser | null>() : await this.readByIds(partial);
    return changes.map((c): UserChange => {
      if (c.kind === "removed") return c;
      const fetched = full.get(c.id);
      if (fetched === null) return { kind: "removed", id: c.id, reason: "deleted" };
      return { kind: "upsert", user: fetched ?? toCloudUser(c.raw) };
    });
  }

  /** Users by id through $batch; null for an id Graph no longer knows (404). */
  async readByIds(ids: readonly string[]): Promise<Map<string, CloudUser | null>> {
    const out = new Map<string, CloudUser | null>();
    for (let i = 0; i < ids.length; i += GRAPH_BATCH_LIMIT) {
      let pending = ids.slice(i, i + GRAPH_BATCH_LIMIT);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const requests = pending.map((id, n) => ({
          id: String(n),
          method: "GET",
          url: `/users/${encodeURIComponent(id)}?$select=${USER_SELECT.join(",")}`,
        }));
        const slot = new FailureSlot("reading changed users ($batch)");
        let body: unknown;
        try {
          body = await this.client.api("/$batch").middlewareOptions([slot]).post({ requests });
        } catch (e) {
          throw (
            slot.error ??
            this.authFailure ??
            new SmimesyncError("TENANT_ERROR", `Microsoft Graph $batch failed: ${String(e)}`)
          );
        }
        const responses = isJsonObject(body) && Array.isArray(body.responses) ? body.responses : [];
        const retry: string[] = [];
        let waitMs = 0;
        for (const r of responses) {
          if (!isJsonObject(r)) continue;
          const id = pending[Number(r.id)];
          if (id === undefined) continue;
          if (r.status === 200) out.set(id, toCloudUser(r.body));
          else if (r.status === 404) out.set(id, null);
          else if (r.status === 429 || r.status === 503) {
            retry.push(id);
            const headers = isJsonObject(r.headers) ? r.headers : {};
            const after = Number(headers["Retry-After"] ?? headers["retry-after"] ?? 0) * 1000;
            waitMs = Math.max(waitMs, Number.isFinite(after) && after > 0 ? after : 1000);
          } else {
            const error = isJsonObject(r.body) && isJsonObject(r.body.error) ? r.body.error : {};
            throw new SmimesyncError(
              "TENANT_ERROR",
              `Microsoft Graph failed reading user ${id} (${String(r.status)}: ${String(error.message ?? "")})`,
            );
          }
        }
        if (retry.length > 0 && attempt >= this.options.sender.policy.maxAttempts) {
          throw new SmimesyncError(
            "TENANT_THROTTLED",
            `Microsoft Graph kept throttling $batch reads: gave up after ${attempt} attempts`,
          );
        }
        if (retry.length > 0) await this.options.sender.clock.sleep(waitMs);
        pending = retry;
      }
    }
    return out;
  }

  private async get(pathOrUrl: string, what: string): Promise<Record<string, unknown>> {
    const slot = new FailureSlot(`${what}`);
    this.authFailure = undefined;
    let body: unknown;
    try {
      body = await this.client.api(pathOrUrl).middlewareOptions([slot]).get();
    } catch (e) {
      const own = slot.error ?? this.authFailure;
      if (own) throw own;
      throw new SmimesyncError(
        "TENANT_ERROR",
        `Microsoft Graph failed ${what}: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
        },
      );
    }
    if (!isJsonObject(body)) throw protocol(`${what}: the answer is not a JSON object`);
    return body;
  }
}

function values(page: Record<string, unknown>): unknown[] {
  const v = page.value;
  if (!Array.isArray(v)) throw protocol("an OData page has no `value` array");
  return v;
}

type RawChange =
  | { readonly kind: "removed"; readonly id: string; readonly reason: "changed" | "deleted" }
  | { readonly kind: "upsert"; readonly id: string; readonly raw: Record<string, unknown> };

function toChange(raw: unknown): RawChange {
  if (!isJsonObject(raw) || typeof raw.id !== "string") throw protocol("a delta entry has no id");
  if (isJsonObject(raw["@removed"])) {
    const reason = raw["@removed"].reason === "deleted" ? "deleted" : "changed";
    return { kind: "removed", id: raw.id, reason };
  }
  return { kind: "upsert", id: raw.id, raw };
}

function protocol(message: string): SmimesyncError {
  return new SmimesyncError("TENANT_ERROR", `Microsoft Graph answered unexpectedly: ${message}`);
}
