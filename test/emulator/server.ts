// startEmulator: three loopback HTTPS servers (Graph, Exchange, Entra ID login + GitHub OIDC)
// over one shared state, with fault injection and a request log. Port 0 by default.
import { once } from "node:events";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TenantConfig } from "../../src/config/types.generated.js";
import type { FetchLike } from "../../src/tenant/http/transport.js";
import type { SnapshotDocument } from "../../src/tenant/snapshot/snapshot-format.js";
import { ExchangeEmulator } from "./exchange-routes.js";
import { FaultInjector, type FaultSpec, type LoggedRequest } from "./faults.js";
import { GraphEmulator } from "./graph-routes.js";
import type { EmuRequest, EmuResponse, EmuService } from "./http-types.js";
import { type EmuApp, TokenAuthority } from "./identity.js";
import { exchangeError, graphError } from "./service-errors.js";
import { EmulatorState } from "./state.js";
import { generateTestPki } from "./tls.js";
import { trustingFetch } from "./trusting-fetch.js";

export interface EmulatorOptions {
  readonly tenantId?: string;
  readonly domain?: string;
  /** Initial state; tenantId/domain in it win over the options above. */
  readonly seed?: SnapshotDocument;
  /** Server page size caps, to get many pages out of few objects. */
  readonly graphMaxPageSize?: number;
  readonly exchangeMaxPageSize?: number;
  /** Age (emulator clock, state.advanceClock) after which Graph refuses a delta token; 7 days by default. */
  readonly deltaTokenLifetimeMs?: number;
  /**
   * How Exchange answers: the next-page key (`@odata.nextLink` by default; some answers carry
   * `odata.nextLink`), and whether a Get-* with -Identity returns the bare object, without `value`.
   */
  readonly exchangeNextLinkKey?: "@odata.nextLink" | "odata.nextLink";
  readonly exchangeBareSingleObjects?: boolean;
  /** Overrides for the default app registration (all permissions granted by default). */
  readonly app?: Partial<EmuApp>;
  /** Fixed ports for manual runs; 0 (any free port) by default. */
  readonly ports?: { readonly graph?: number; readonly exchange?: number; readonly login?: number };
}

export interface Emulator {
  readonly urls: {
    readonly graph: string;
    readonly exchange: string;
    readonly login: string;
    readonly githubOidc: string;
  };
  /** PEM of the test CA that signed the servers' certificate. */
  readonly caPem: string;
  /** The servers' certificate and key (127.0.0.1), for test servers beside the emulator. */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly tenantId: string;
  readonly domain: string;
  readonly state: EmulatorState;
  readonly authority: TokenAuthority;
  /** The default app registration (client id + secret, all roles). */
  readonly app: EmuApp & { readonly clientSecret: string };
  /** Every request served, in order, with arrival/answer times (Date.now() ms). */
  readonly requests: LoggedRequest[];
  readonly inject: {
    fault(spec: FaultSpec): void;
    throttle(
      service: EmuService,
      options?: { count?: number; retryAfterSeconds?: number; match?: FaultSpec["match"] },
    ): void;
    fail(
      service: EmuService,
      status: 500 | 502 | 503 | 504,
      options?: { count?: number; retryAfterSeconds?: number },
    ): void;
    clear(): void;
    /** Invalidates every access token issued so far (rotated secret, deleted app). */
    revokeTokens(): void;
    /** Every access token issued so far is past its lifetime. */
    expireTokens(): void;
    /**
     * Runs `edit` on the state once, when the next `cmdlet` call arrives and before it is served:
     * another admin's change landing between smimesync's re-read and its write.
     */
    beforeCommand(
      cmdlet: string,
      edit: (state: EmulatorState, parameters: Readonly<Record<string, unknown>>) => void,
    ): void;
  };
  /** Environment a GitHub Actions job would have, pointing at the emulated OIDC endpoint. */
  readonly githubEnv: Readonly<Record<string, string>>;
  /** A fetch that trusts the test CA, for production code under test. */
  readonly fetch: FetchLike;
  /** tenant config pointing at this emulator with the default app's client secret. */
  tenantConfig(overrides?: Partial<TenantConfig>): TenantConfig;
  dump(): SnapshotDocument;
  close(): Promise<void>;
}

export const DEFAULT_TENANT_ID = "8d2f6a1e-3b4c-4d5e-9f60-7a8b9c0d1e2f";
export const DEFAULT_DOMAIN = "contoso.onmicrosoft.com";

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const fallback = {
    tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
    domain: options.domain ?? DEFAULT_DOMAIN,
  };
  const state = options.seed
    ? EmulatorState.fromSnapshot(options.seed, fallback)
    : new EmulatorState(fallback.tenantId, fallback.domain);
  const authority = new TokenAuthority(state.tenantId);
  const app = {
    clientId: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    clientSecret: "emulator-secret",
    graphRoles: ["User.Read.All"],
    exchangeRoles: ["Exchange.ManageAsApp"],
    exchangeAdminRole: true,
    federatedSubjects: [authority.githubSubject],
    ...options.app,
  };
  authority.register(app);

  const pki = await generateTestPki();
  const requests: LoggedRequest[] = [];
  const faults = new FaultInjector();
  const commandHooks: {
    cmdlet: string;
    edit: (state: EmulatorState, parameters: Readonly<Record<string, unknown>>) => void;
  }[] = [];
  const urls = { graph: "", exchange: "", login: "", githubOidc: "" };
  const graph = new GraphEmulator(
    state,
    authority,
    {
      maxPageSize: options.graphMaxPageSize ?? 999,
      deltaTokenLifetimeMs: options.deltaTokenLifetimeMs ?? 7 * 24 * 3600 * 1000,
    },
    () => urls.graph,
  );
  const exchange = new ExchangeEmulator(
    state,
    authority,
    {
      maxPageSize: options.exchangeMaxPageSize ?? 1000,
      nextLinkKey: options.exchangeNextLinkKey ?? "@odata.nextLink",
      bareSingleObjects: options.exchangeBareSingleObjects === true,
    },
    () => urls.exchange,
    (item, status) => {
      const now = Date.now();
      requests.push({ ...logEntry(item, now), inBatch: true, status, respondedAt: now });
    },
    (cmdlet, parameters) => {
      const hook = commandHooks.findIndex((h) => h.cmdlet === cmdlet);
      if (hook >= 0) commandHooks.splice(hook, 1)[0]?.edit(state, parameters);
    },
  );

  const handlers: Record<EmuService, (req: EmuRequest) => EmuResponse> = {
    graph: (req) => graph.handle(req),
    exchange: (req) => exchange.handle(req),
    login: (req) =>
      req.url.pathname === "/_github/oidc/token"
        ? authority.handleGithub(req)
        : authority.handleLogin(req, urls.login),
  };

  const servers: Server[] = [];
  const listen = async (service: EmuService, port: number): Promise<string> => {
    const server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
      const receivedAt = Date.now();
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const base = service === "graph" ? urls.graph : service === "exchange" ? urls.exchange : urls.login;
        const emuReq: EmuRequest = {
          service,
          method: req.method ?? "GET",
          url: new URL(req.url ?? "/", base),
          headers: req.headers,
          bodyText: Buffer.concat(chunks).toString("utf8"),
        };
        const entry = logEntry(emuReq, receivedAt);
        requests.push(entry);
        const fault = faults.take(emuReq);
        let response: EmuResponse;
        try {
          response = fault ? faultResponse(service, fault) : handlers[service](emuReq);
        } catch (e) {
          response = { status: 500, body: { error: { code: "InternalServerError", message: String(e) } } };
        }
        entry.status = response.status;
        entry.injected = fault !== undefined;
        entry.respondedAt = Date.now();
        const body =
          typeof response.body === "string"
            ? response.body
            : response.body === undefined
              ? ""
              : JSON.stringify(response.body);
        res.writeHead(response.status, {
          // The services' clock (state.now), which clients take as the time basis of cursors.
          Date: new Date(state.now()).toUTCString(),
          ...(typeof response.body === "string"
            ? {}
            : { "Content-Type": "application/json; odata.metadata=minimal; charset=utf-8" }),
          ...response.headers,
        });
        res.end(body);
      });
    });
    servers.push(server);
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  urls.graph = await listen("graph", options.ports?.graph ?? 0);
  urls.exchange = await listen("exchange", options.ports?.exchange ?? 0);
  urls.login = await listen("login", options.ports?.login ?? 0);
  urls.githubOidc = `${urls.login}/_github/oidc/token?api-version=2.0`;

  return {
    urls,
    caPem: pki.caPem,
    tls: { certPem: pki.certPem, keyPem: pki.keyPem },
    tenantId: state.tenantId,
    domain: state.domain,
    state,
    authority,
    app,
    requests,
    inject: {
      fault: (spec) => faults.add(spec),
      throttle: (service, o = {}) =>
        faults.add({
          service,
          status: 429,
          count: o.count ?? 1,
          retryAfterSeconds: o.retryAfterSeconds ?? 1,
          ...(o.match ? { match: o.match } : {}),
        }),
      fail: (service, status, o = {}) =>
        faults.add({
          service,
          status,
          count: o.count ?? 1,
          ...(o.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: o.retryAfterSeconds }),
        }),
      clear: () => faults.clear(),
      revokeTokens: () => authority.revokeAll(),
      expireTokens: () => authority.expireAll(),
      beforeCommand: (cmdlet, edit) => commandHooks.push({ cmdlet, edit }),
    },
    githubEnv: {
      ACTIONS_ID_TOKEN_REQUEST_URL: urls.githubOidc,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: authority.githubRequestToken,
    },
    fetch: trustingFetch(pki.caPem),
    tenantConfig: (overrides = {}) => ({
      tenantId: state.tenantId,
      domain: state.domain,
      endpoints: { graph: urls.graph, exchange: urls.exchange, login: urls.login },
      auth: {
        method: "client-secret",
        clientId: app.clientId,
        clientSecret: "${env:SMIMESYNC_TEST_CLIENT_SECRET}",
      },
      concurrency: 4,
      ...overrides,
    }),
    dump: () => state.toSnapshot(),
    close: async () => {
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

function logEntry(req: EmuRequest, receivedAt: number): LoggedRequest {
  let body: unknown = req.bodyText;
  try {
    body = req.bodyText ? JSON.parse(req.bodyText) : undefined;
  } catch {
    // form bodies (token endpoint) stay text
  }
  const cmdlet = (body as { CmdletInput?: { CmdletName?: unknown } } | undefined)?.CmdletInput?.CmdletName;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
  return {
    service: req.service,
    method: req.method,
    path: req.url.pathname,
    url: req.url.href,
    headers,
    body,
    cmdlet: typeof cmdlet === "string" ? cmdlet : undefined,
    receivedAt,
    status: 0,
    injected: false,
    respondedAt: 0,
  };
}

function faultResponse(service: EmuService, fault: FaultSpec): EmuResponse {
  const { status, retryAfterSeconds } = fault;
  const headers: Record<string, string> =
    retryAfterSeconds === undefined ? {} : { "Retry-After": String(retryAfterSeconds) };
  // Exchange's rate-limit headers: none left until the reset, in seconds.
  if (fault.rateLimitResetSeconds !== undefined) {
    headers["Rate-Limit-Remaining"] = "0";
    headers["Rate-Limit-Reset"] = String(fault.rateLimitResetSeconds);
  }
  if (fault.concurrencyLimit === true && service === "exchange") {
    const r = exchangeError(
      status,
      "Microsoft.Exchange.Management.Tasks.ThrottlingException",
      "You have reached the maximum number of concurrent requests per tenant. Please wait and try again.",
    );
    return { ...r, headers };
  }
  if (status === 429) {
    if (service === "graph") return graphError(429, "TooManyRequests", "Too many requests.", headers);
    const r = exchangeError(
      429,
      "Microsoft.Exchange.Management.Tasks.ThrottlingException",
      "The request was throttled. Retry after the interval in Retry-After.",
    );
    return { ...r, headers };
  }
  if (status === 403) {
    return service === "graph"
      ? graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
      : exchangeError(
          403,
          "Microsoft.Exchange.Configuration.Tasks.CmdletAccessDeniedException",
          "Access denied.",
        );
  }
  const code =
    status === 503 ? "serviceNotAvailable" : status === 504 ? "gatewayTimeout" : "generalException";
  if (service === "graph")
    return graphError(status, code, "The service is temporarily unavailable.", headers);
  return {
    ...exchangeError(status, "System.ServiceUnavailableException", "The service is temporarily unavailable."),
    headers,
  };
}
