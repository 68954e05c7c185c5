// A fault-injecting HTTPS proxy on loopback, in front of the tenant emulator's Graph and
// Exchange servers: production code is pointed at the proxy (only its base URLs differ) and the
// proxy forwards each request unchanged, unless a rule says to break it. It also runs a
// "foreign" server on another port, which stands for any host a paging link must never reach:
// it records what it received (an Authorization header there is a leaked token).
import { once } from "node:events";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { Emulator } from "../emulator/server.js";

export type ProxiedService = "graph" | "exchange";

export type ProxyFault =
  /** Headers and half of the body, then the connection is destroyed. */
  | { readonly kind: "reset" }
  /** The request is held and never answered. */
  | { readonly kind: "hang" }
  /** A complete HTTP answer whose JSON body is cut in half (Content-Length matches the cut). */
  | { readonly kind: "truncate" }
  /** The upstream answer with its paging link pointing at the foreign server (same path). */
  | { readonly kind: "foreign-link" }
  /** The upstream answer with its paging link pointing at another path of the same origin. */
  | { readonly kind: "foreign-path" }
  /** An answer made by the proxy: 429 / 503 with Retry-After. */
  | { readonly kind: "status"; readonly status: 429 | 503; readonly retryAfterSeconds?: number }
  /** Before forwarding: every token issued so far expires (the request then gets 401). */
  | { readonly kind: "expire-tokens" }
  /** Before forwarding: every token is revoked and the app's secret rotated (no new token either). */
  | { readonly kind: "revoke" };

export interface ProxyRule {
  readonly service: ProxiedService;
  readonly fault: ProxyFault;
  /** How many matching requests it breaks (default 1). */
  readonly count?: number;
  /** Which requests; default every request of the service. */
  readonly match?: (req: SeenRequest) => boolean;
}

export interface SeenRequest {
  readonly service: ProxiedService;
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Exchange: the cmdlet named in the body. */
  readonly cmdlet: string | undefined;
  /** A request for a later page ($skiptoken in the URL). */
  readonly nextPage: boolean;
}

export interface FaultProxy {
  readonly urls: { readonly graph: string; readonly exchange: string };
  readonly foreignOrigin: string;
  /** What reached the foreign server. */
  readonly foreignRequests: SeenRequest[];
  /** Every request that reached the proxy. */
  readonly seen: SeenRequest[];
  add(rule: ProxyRule): void;
  /** Faults injected so far, per kind (status faults as "status 429" / "status 503"). */
  readonly injected: Map<string, number>;
  close(): Promise<void>;
}

interface LiveRule extends ProxyRule {
  remaining: number;
}

export async function startFaultProxy(emu: Emulator): Promise<FaultProxy> {
  const rules: LiveRule[] = [];
  const seen: SeenRequest[] = [];
  const foreignRequests: SeenRequest[] = [];
  const injected = new Map<string, number>();
  const servers: Server[] = [];
  const hanging = new Set<() => void>();
  const count = (name: string) => injected.set(name, (injected.get(name) ?? 0) + 1);

  const listen = async (
    handler: (req: SeenRequest, res: import("node:http").ServerResponse) => Promise<void>,
    service: ProxiedService,
  ): Promise<string> => {
    const server = createServer({ cert: emu.tls.certPem, key: emu.tls.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        const seenReq: SeenRequest = {
          service,
          method: req.method ?? "GET",
          url,
          headers,
          body,
          cmdlet: cmdletOf(body),
          nextPage: url.searchParams.has("$skiptoken"),
        };
        handler(seenReq, res).catch((e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        });
      });
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };

  const foreignOrigin = await listen(async (req, res) => {
    foreignRequests.push(req);
    // A page that ends the read: a client that follows the link silently loses the rest.
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ value: [] }));
  }, "exchange");

  const proxyFor =
    (service: ProxiedService) => async (req: SeenRequest, res: import("node:http").ServerResponse) => {
      seen.push(req);
      const rule = rules.find((r) => r.remaining > 0 && r.service === service && (r.match?.(req) ?? true));
      if (rule) rule.remaining--;
      const fault = rule?.fault;
      if (fault) count(fault.kind === "status" ? `status ${fault.status}` : fault.kind);

      if (fault?.kind === "hang") {
        await new Promise<void>((resolve) => {
          hanging.add(resolve);
          res.on("close", () => {
            hanging.delete(resolve);
            resolve();
          });
        });
        return;
      }
      if (fault?.kind === "status") {
        res.writeHead(fault.status, {
          "Content-Type": "application/json",
          ...(fault.retryAfterSeconds === undefined
            ? {}
            : { "Retry-After": String(fault.retryAfterSeconds) }),
        });
        res.end(JSON.stringify({ error: { code: "TooManyRequests", message: "Too many requests." } }));
        return;
      }
      if (fault?.kind === "expire-tokens") emu.inject.expireTokens();
      if (fault?.kind === "revoke") {
        emu.inject.revokeTokens();
        emu.authority.register({ ...emu.app, clientSecret: "rotated-by-the-admin" });
      }

      const upstream = service === "graph" ? emu.urls.graph : emu.urls.exchange;
      const forwardHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (k === "host" || k === "content-length" || k === "connection") continue;
        forwardHeaders[k] = v;
      }
      const answer = await emu.fetch(`${upstream}${req.url.pathname}${req.url.search}`, {
        method: req.method,
        headers: forwardHeaders,
        ...(req.method === "GET" ? {} : { body: req.body }),
      });
      let text = await answer.text();
      const own = service === "graph" ? proxyUrls.graph : proxyUrls.exchange;
      // Links in answers name the upstream; rewrite them to the proxy, as a real proxy would.
      text = text.split(upstream).join(own);
      if (fault?.kind === "foreign-link" || fault?.kind === "foreign-path") {
        const body = JSON.parse(text) as Record<string, unknown>;
        for (const key of ["@odata.nextLink", "odata.nextLink"]) {
          const link = body[key];
          if (typeof link !== "string") continue;
          const u = new URL(link);
          body[key] =
            fault.kind === "foreign-link"
              ? `${foreignOrigin}${u.pathname}${u.search}`
              : `${own}/elsewhere${u.pathname}${u.search}`;
        }
        text = JSON.stringify(body);
      }
      const headers: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection") headers[k] = v;
      });
      const bytes = Buffer.from(text, "utf8");
      if (fault?.kind === "reset") {
        res.writeHead(answer.status, { ...headers, "Content-Length": String(bytes.length) });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        // Let the first half reach the client, then cut the connection.
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      const body = fault?.kind === "truncate" ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes;
      res.writeHead(answer.status, { ...headers, "Content-Length": String(body.length) });
      res.end(body);
    };

  const proxyUrls = { graph: "", exchange: "" };
  proxyUrls.graph = await listen(proxyFor("graph"), "graph");
  proxyUrls.exchange = await listen(proxyFor("exchange"), "exchange");

  return {
    urls: proxyUrls,
    foreignOrigin,
    foreignRequests,
    seen,
    injected,
    add: (rule) => rules.push({ ...rule, remaining: rule.count ?? 1 }),
    close: async () => {
      for (const release of hanging) release();
      await Promise.all(
        servers.map(async (s) => {
          s.closeAllConnections();
          s.close();
          await once(s, "close");
        }),
      );
    },
  };
}

function cmdletOf(body: string): string | undefined {
  try {
    const name = (JSON.parse(body) as { CmdletInput?: { CmdletName?: unknown } }).CmdletInput?.CmdletName;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}
