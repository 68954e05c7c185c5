// Entra ID users from Microsoft Graph v1.0: /users (paged), /users/delta (paged rounds ending in a
// deltaLink) and $batch reads by id. Sent through the shared sender, so Graph gets the same
// token refresh, retry budget, throttling and same-origin paging rules as Exchange. (Why not
// @microsoft/microsoft-graph-client: see the README's "Libraries and why".)
import { SmimesyncError } from "../../errors.js";
import { followableLink, nextLinkOf } from "../http/paging.js";
import { type SenderDeps, send } from "../http/sender.js";
import { TenantHttpError } from "../http/service-error.js";
import type { CloudUser, UserChange, UserDelta } from "../types.js";
import { isJsonObject, toCloudUser, USER_SELECT } from "./user-mapping.js";

/** Graph's maximum page size for /users. */
export const GRAPH_PAGE_SIZE = 999;
/** Graph's maximum number of requests in one $batch. */
export const GRAPH_BATCH_LIMIT = 20;

export interface GraphUsersOptions {
  /** Graph service root, e.g. https://graph.microsoft.com */
  readonly baseUrl: string;
  readonly sender: SenderDeps;
}

export class GraphUsers {
  constructor(private readonly options: GraphUsersOptions) {}

  private url(path: string): string {
    return `${this.options.baseUrl}/v1.0${path}`;
  }

  async *list(): AsyncIterable<CloudUser> {
    const start = this.url(`/users?$select=${USER_SELECT.join(",")}&$top=${GRAPH_PAGE_SIZE}`);
    let page = await this.get(start, "listing users");
    for (;;) {
      for (const raw of values(page)) yield toCloudUser(raw);
      const next = nextLinkOf(page);
      if (next === undefined || next === null) return;
      page = await this.get(
        followableLink("graph", next, start, "listing users"),
        "listing users (next page)",
      );
    }
  }

  /**
   * One delta round. A kept deltaLink that Graph will no longer serve (expired: 410 Gone or
   * syncStateNotFound / resyncRequired; unusable: "Badly formed delta token") starts a first round
   * from this client's own start URL, never from a link in the refusal, and comes back complete.
   */
  async delta(deltaLink: string | undefined): Promise<UserDelta> {
    if (deltaLink === undefined) return this.round(undefined);
    try {
      return await this.round(deltaLink);
    } catch (e) {
      const refused = refusedDeltaToken(e);
      if (refused === undefined) throw e;
      return { ...(await this.round(undefined)), restartedBecause: refused };
    }
  }

  private async round(deltaLink: string | undefined): Promise<UserDelta> {
    const start = this.url(`/users/delta?$select=${USER_SELECT.join(",")}&$top=${GRAPH_PAGE_SIZE}`);
    const what = "reading user changes";
    // A deltaLink kept between runs is followed by the same rule as any paging link.
    const first = deltaLink === undefined ? start : followableLink("graph", deltaLink, start, what);
    const changes: RawChange[] = [];
    let page = await this.get(first, what);
    for (;;) {
      for (const raw of values(page)) changes.push(toChange(raw));
      const next = nextLinkOf(page);
      if (next !== undefined && next !== null) {
        page = await this.get(followableLink("graph", next, start, what), `${what} (next page)`);
        continue;
      }
      const link = page["@odata.deltaLink"];
      if (typeof link !== "string") throw protocol("a /users/delta round ended without @odata.deltaLink");
      return {
        changes: await this.completeUpserts(changes),
        deltaLink: followableLink("graph", link, start, what),
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
  private async readByIds(ids: readonly string[]): Promise<Map<string, CloudUser | null>> {
    const out = new Map<string, CloudUser | null>();
    const { sender } = this.options;
    for (let i = 0; i < ids.length; i += GRAPH_BATCH_LIMIT) {
      let pending = ids.slice(i, i + GRAPH_BATCH_LIMIT);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const requests = pending.map((id, n) => ({
          id: String(n),
          method: "GET",
          url: `/users/${encodeURIComponent(id)}?$select=${USER_SELECT.join(",")}`,
        }));
        const answer = await send(sender, {
          service: "graph",
          method: "POST",
          url: this.url("/$batch"),
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ requests }),
          idempotent: true,
          what: "reading changed users ($batch)",
        });
        const body = answer.body;
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
        // Every id must be answered: a batch that leaves some out is not a complete read.
        const missing = pending.filter((id) => !out.has(id) && !retry.includes(id));
        if (missing.length > 0) throw protocol(`$batch left ${missing.length} of its requests unanswered`);
        if (retry.length === 0) break;
        if (attempt >= sender.policy.maxAttempts || waitMs > sender.budget.remainingMs) {
          throw new SmimesyncError(
            "TENANT_THROTTLED",
            `Microsoft Graph kept throttling $batch reads: gave up after ${attempt} attempts`,
            { hint: "Lower tenant.concurrency or run again later." },
          );
        }
        sender.budget.spend(waitMs);
        await sender.clock.sleep(waitMs);
        pending = retry;
      }
    }
    return out;
  }

  private async get(url: string, what: string): Promise<Record<string, unknown>> {
    const answer = await send(this.options.sender, {
      service: "graph",
      method: "GET",
      url,
      headers: { Accept: "application/json" },
      idempotent: true,
      what,
    });
    if (!isJsonObject(answer.body)) throw protocol(`${what}: the answer is not a JSON object`);
    return answer.body;
  }
}

/**
 * Why Graph refused to continue from a delta token, or undefined for any other failure. Graph
 * answers an expired token with 410 Gone (resyncRequired) or, for directory objects past their
 * 7-day lifetime, 400 syncStateNotFound ("The sync state generation is not found"); a token it
 * cannot read with 400 "Badly formed delta token".
 */
function refusedDeltaToken(e: unknown): string | undefined {
  if (!(e instanceof TenantHttpError) || e.service !== "graph") return undefined;
  const code = (e.serviceCode ?? "").toLowerCase();
  const expired =
    e.status === 410 ||
    code === "syncstatenotfound" ||
    code === "resyncrequired" ||
    /badly formed delta token|delta token is expired/i.test(e.serviceMessage);
  if (!expired) return undefined;
  return `Microsoft Graph no longer serves the kept delta token (${e.status}${e.serviceCode ? ` ${e.serviceCode}` : ""}: ${e.serviceMessage})`;
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
