// The legacy (v1) Actions cache service, as @actions/cache speaks it when ACTIONS_CACHE_URL is set
// and ACTIONS_CACHE_SERVICE_V2 is not (GHES, and github.com's runners before v2):
//   GET   _apis/artifactcache/cache?keys=k1,k2&version=V   200 {cacheKey, scope, archiveLocation, ...} | 204
//   GET   _apis/artifactcache/caches?key=K                 200 {totalCount, artifactCaches} (diagnostics)
//   POST  _apis/artifactcache/caches {key, version, cacheSize}  201 {cacheId} | 409 exists | 400 too big
//   PATCH _apis/artifactcache/caches/ID  Content-Range: bytes S-E/*   204
//   POST  _apis/artifactcache/caches/ID {size}            204 (committed; visible from now on)
//   GET   the archiveLocation (a signed URL, no bearer)    200 with Content-Length
// Entries are scoped the way GitHub scopes them: the runtime token's `ac` claim lists the refs a job
// may read (Permission 1) and write (2); a job saves into its first writable scope and restores
// from its readable scopes in order (its own ref first, then the base / default branch), by exact
// key, then key prefix, then each restore key as a prefix, newest first, and only at the same
// version (a hash of the paths and the compression method).
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface EmuCacheEntry {
  readonly id: number;
  readonly scope: string;
  readonly key: string;
  readonly version: string;
  /** Size announced at reservation. */
  readonly reservedSize: number | null;
  /** Order of creation: newer entries win prefix matches. */
  readonly created: number;
  readonly sig: string;
  chunks: { start: number; data: Buffer }[];
  /** The archive once committed; null while reserved. */
  archive: Buffer | null;
}

export interface CacheScope {
  readonly scope: string;
  /** 1 read, 2 write, 3 both (as in the runtime token). */
  readonly permission: number;
}

export interface CacheFailure {
  status?: number;
  body?: string;
  /** Never answer (the socket stays open until the emulator closes). */
  hang?: boolean;
  /** Only requests whose path (with the query) matches; default: any cache request. */
  match?: RegExp;
  /** Keep failing instead of once. */
  sticky?: boolean;
}

export const CACHE_API = "/_apis/artifactcache/";
const ARCHIVES = "/_cache-archives/";
/** GitHub's per-repository cap, which the service enforces at reservation. */
const MAX_CACHE_SIZE = 10 * 1024 ** 3;

export interface CacheService {
  readonly entries: Map<number, EmuCacheEntry>;
  readonly failures: CacheFailure[];
  /** Handles the request if it is one of the cache service's; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, base: string): Promise<boolean>;
}

export function cacheService(): CacheService {
  const entries = new Map<number, EmuCacheEntry>();
  const failures: CacheFailure[] = [];
  let nextId = 1;
  let created = 0;

  const json = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      res.writeHead(status);
      return void res.end();
    }
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify(body));
  };
  // The service's error shape (an Azure DevOps exception serialised), with the message clients read.
  const error = (res: ServerResponse, status: number, typeKey: string, message: string) =>
    json(res, status, { $id: "1", innerException: null, message, typeName: typeKey, typeKey, errorCode: 0 });

  async function read(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  const view = (e: EmuCacheEntry, base: string) => ({
    scope: e.scope,
    cacheKey: e.key,
    cacheVersion: e.version,
    creationTime: new Date(Date.UTC(2026, 2, 1, 10, 0, e.created)).toISOString(),
    archiveLocation: `${base}${ARCHIVES}${e.id}?sig=${e.sig}`,
  });

  function lookup(scopes: readonly CacheScope[], keys: readonly string[], version: string) {
    const visible = (scope: string) =>
      [...entries.values()]
        .filter((e) => e.scope === scope && e.version === version && e.archive !== null)
        .sort((a, b) => b.created - a.created);
    for (const { scope, permission } of scopes) {
      if ((permission & 1) === 0) continue;
      const here = visible(scope);
      const [primary, ...restore] = keys;
      const found =
        here.find((e) => e.key === primary) ??
        here.find((e) => primary !== undefined && e.key.startsWith(primary)) ??
        restore.map((k) => here.find((e) => e.key.startsWith(k))).find((e) => e !== undefined);
      if (found) return found;
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, base: string): Promise<boolean> {
    const isArchive = url.pathname.startsWith(ARCHIVES);
    if (!url.pathname.startsWith(CACHE_API) && !isArchive) return false;
    const method = req.method ?? "GET";
    const at = failures.findIndex((f) => !f.match || f.match.test(`${url.pathname}${url.search}`));
    if (at >= 0) {
      const f = failures[at] as CacheFailure;
      if (!f.sticky) failures.splice(at, 1);
      if (f.hang) return true; // no answer: the client's own timeouts (or ours) must give up
      res.writeHead(f.status ?? 500, { "content-type": "application/json" });
      res.end(f.body ?? JSON.stringify({ message: `status ${f.status ?? 500}` }));
      return true;
    }

    if (isArchive) {
      const e = entries.get(Number(url.pathname.slice(ARCHIVES.length)));
      if (method !== "GET" && method !== "HEAD") {
        json(res, 405);
        return true;
      }
      if (!e?.archive || url.searchParams.get("sig") !== e.sig) {
        json(res, 403, { message: "AuthenticationFailed: signature mismatch" });
        return true;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": e.archive.length });
      res.end(method === "HEAD" ? undefined : e.archive);
      return true;
    }

    const scopes = scopesOf(req.headers.authorization);
    if (scopes === null) {
      error(res, 401, "UnauthorizedRequestException", "Unauthorized: a runtime token is required.");
      return true;
    }
    const accept = req.headers.accept ?? "";
    if (!/api-version=6\.0-preview/.test(accept)) {
      error(res, 400, "VssInvalidPreviewVersionException", `Unsupported api-version in Accept: ${accept}`);
      return true;
    }
    const resource = url.pathname.slice(CACHE_API.length);
    const writable = scopes.find((s) => (s.permission & 2) !== 0);

    if (resource === "cache" && method === "GET") {
      const keys = (url.searchParams.get("keys") ?? "").split(",").filter((k) => k !== "");
      const version = url.searchParams.get("version") ?? "";
      if (keys.length === 0 || !version) {
        error(res, 400, "ArgumentException", "keys and version are required.");
        return true;
      }
      if (!scopes.some((s) => (s.permission & 1) !== 0)) {
        error(res, 403, "AccessDeniedException", "cache read denied: the token has no readable cache scope.");
        return true;
      }
      const found = lookup(scopes, keys, version);
      if (!found) json(res, 204);
      else json(res, 200, view(found, base));
      return true;
    }
    if (resource === "caches" && method === "GET") {
      const key = url.searchParams.get("key") ?? "";
      const all = [...entries.values()].filter(
        (e) => e.key === key && e.archive !== null && scopes.some((s) => s.scope === e.scope),
      );
      json(res, 200, { totalCount: all.length, artifactCaches: all.map((e) => view(e, base)) });
      return true;
    }
    if (resource === "caches" && method === "POST") {
      const b = JSON.parse((await read(req)).toString("utf8") || "{}") as {
        key?: unknown;
        version?: unknown;
        cacheSize?: unknown;
      };
      if (typeof b.key !== "string" || typeof b.version !== "string" || !b.key || b.key.length > 512) {
        error(res, 400, "ArgumentException", "key (at most 512 characters) and version are required.");
        return true;
      }
      if (!writable) {
        error(
          res,
          403,
          "AccessDeniedException",
          "cache write denied: the token has no writable cache scope.",
        );
        return true;
      }
      const size = typeof b.cacheSize === "number" ? b.cacheSize : null;
      if (size !== null && size > MAX_CACHE_SIZE) {
        error(res, 400, "ArgumentException", `Cache size of ${size} B is over the data cap limit.`);
        return true;
      }
      const clash = [...entries.values()].find(
        (e) => e.scope === writable.scope && e.key === b.key && e.version === b.version,
      );
      if (clash) {
        error(
          res,
          409,
          "ArtifactCacheAlreadyExistsException",
          `Cache already exists. Scope: ${writable.scope}, Key: ${b.key}, Version: ${b.version}`,
        );
        return true;
      }
      const e: EmuCacheEntry = {
        id: nextId++,
        scope: writable.scope,
        key: b.key,
        version: b.version,
        reservedSize: size,
        created: created++,
        sig: randomBytes(8).toString("hex"),
        chunks: [],
        archive: null,
      };
      entries.set(e.id, e);
      json(res, 201, { cacheId: e.id });
      return true;
    }
    const m = /^caches\/(\d+)$/.exec(resource);
    if (m) {
      const e = entries.get(Number(m[1]));
      // Another job's reservation is not this job's to upload into.
      if (!e || e.scope !== writable?.scope) {
        error(res, 404, "ArtifactCacheNotFoundException", `Cache ${m[1]} not found.`);
        return true;
      }
      if (e.archive !== null) {
        error(res, 400, "InvalidOperationException", `Cache ${e.id} is already committed.`);
        return true;
      }
      if (method === "PATCH") {
        const range = /^bytes (\d+)-(\d+)\/\*$/.exec(String(req.headers["content-range"] ?? ""));
        const data = await read(req);
        if (!range) {
          error(res, 400, "ArgumentException", "Content-Range 'bytes start-end/*' is required.");
          return true;
        }
        const start = Number(range[1]);
        const end = Number(range[2]);
        if (end < start || data.length !== end - start + 1) {
          error(
            res,
            400,
            "ArgumentException",
            `Content-Range ${start}-${end} does not match ${data.length} bytes.`,
          );
          return true;
        }
        e.chunks.push({ start, data });
        json(res, 204);
        return true;
      }
      if (method === "POST") {
        const b = JSON.parse((await read(req)).toString("utf8") || "{}") as { size?: unknown };
        const chunks = [...e.chunks].sort((x, y) => x.start - y.start);
        let offset = 0;
        for (const c of chunks) {
          if (c.start !== offset) {
            error(res, 400, "ArgumentException", `Chunk at ${c.start} leaves a gap or overlap at ${offset}.`);
            return true;
          }
          offset += c.data.length;
        }
        if (typeof b.size !== "number" || b.size !== offset) {
          error(
            res,
            400,
            "ArgumentException",
            `Size ${String(b.size)} does not match the ${offset} bytes uploaded.`,
          );
          return true;
        }
        e.archive = Buffer.concat(chunks.map((c) => c.data));
        e.chunks = [];
        json(res, 204);
        return true;
      }
    }
    error(res, 404, "NotFound", `No route ${method} ${resource}`);
    return true;
  }

  return { entries, failures, handle };
}

/** The `ac` claim of a runtime token: the cache scopes it grants, in order. */
export function scopesOf(authorization: string | undefined): CacheScope[] | null {
  const jwt = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
  const payload = jwt?.split(".")[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { ac?: unknown };
    if (typeof claims.ac !== "string") return null;
    const ac = JSON.parse(claims.ac) as { Scope?: unknown; Permission?: unknown }[];
    return ac
      .filter((s) => typeof s.Scope === "string" && typeof s.Permission === "number")
      .map((s) => ({ scope: s.Scope as string, permission: s.Permission as number }));
  } catch {
    return null;
  }
}

/**
 * The scopes GitHub grants a run: its own ref, read and write; and, when that is not the default
 * branch, the base branch of a pull request and the default branch, read only.
 */
export function grantedScopes(run: { ref: string; baseRef?: string }, defaultBranch = "main"): CacheScope[] {
  const scopes: CacheScope[] = [{ scope: run.ref, permission: 3 }];
  for (const ref of [run.baseRef, `refs/heads/${defaultBranch}`]) {
    if (ref && !scopes.some((s) => s.scope === ref)) scopes.push({ scope: ref, permission: 1 });
  }
  return scopes;
}
