// Chooses and builds the tenant backend from tenant config: the JSON snapshot when `snapshot`
// is set, otherwise the live tenant (Graph + Exchange Online) with the configured credential.
import { resolve } from "node:path";
import type { TenantConfig } from "../config/types.generated.js";
import { SmimesyncError } from "../errors.js";
import { testBatchOptions } from "../files/batched-file.js";
import { createCredential } from "./auth/credential.js";
import { tokenSource } from "./auth/token-source.js";
import { CloudTenant } from "./cloud-tenant.js";
import { type CloudName, resolveEndpoints } from "./endpoints.js";
import { ExchangeClient } from "./exchange/exchange-client.js";
import { GraphUsers } from "./graph/graph-users.js";
import { azureHttpClient } from "./http/azure-http-client.js";
import { type Clock, realClock } from "./http/clock.js";
import { Limiter } from "./http/limiter.js";
import { DEFAULT_RETRY_POLICY, RetryBudget, type RetryPolicy, type SenderDeps } from "./http/sender.js";
import { defaultTransport, type TenantTransport } from "./http/transport.js";
import { openSnapshotTenant } from "./snapshot/snapshot-tenant.js";
import type { Tenant } from "./types.js";

export interface OpenTenantOptions {
  /** Directory of smimesync.yaml: relative paths and `${file:...}` secrets resolve against it. */
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
  /**
   * Injected HTTP (tests: a fetch trusting the emulator's test CA). When given, token requests
   * go through it too; when absent, Node's fetch and @azure/identity's own client are used.
   */
  readonly transport?: TenantTransport;
  readonly clock?: Clock;
  readonly retry?: Partial<RetryPolicy>;
  readonly onRetry?: SenderDeps["onRetry"];
}

const DEFAULT_CONCURRENCY = 4;

export async function openTenant(config: TenantConfig, options: OpenTenantOptions): Promise<Tenant> {
  if (config.snapshot !== undefined)
    return openSnapshotTenant(resolve(options.baseDir, config.snapshot), testBatchOptions(options.env));

  const { tenantId, domain, auth } = config;
  if (!tenantId || !domain || !auth) {
    const missing = [!tenantId && "tenantId", !domain && "domain", !auth && "auth"]
      .filter(Boolean)
      .join(", ");
    throw new SmimesyncError(
      "CONFIG_INVALID",
      `tenant: ${missing} required to reach the live tenant (or set tenant.snapshot)`,
    );
  }
  const cloud: CloudName = config.cloud ?? "global";
  const endpoints = resolveEndpoints(cloud, config.endpoints);
  const defaults = resolveEndpoints(cloud, undefined);
  const transport = options.transport ?? defaultTransport;
  const newCredential = () =>
    createCredential(auth, {
      tenantId,
      authorityHost: endpoints.login,
      disableInstanceDiscovery: endpoints.login !== defaults.login,
      env: options.env,
      baseDir: options.baseDir,
      fetch: transport.fetch,
      httpClient: options.transport ? azureHttpClient(options.transport.fetch) : undefined,
    });
  const concurrency = config.concurrency ?? DEFAULT_CONCURRENCY;
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  // One budget for the run: Graph and Exchange waits add up.
  const budget = new RetryBudget(policy.retryBudgetMs);
  const senderFor = (scope: string): SenderDeps => ({
    fetch: transport.fetch,
    clock: options.clock ?? realClock,
    policy,
    budget,
    auth: tokenSource(newCredential, scope, endpoints.login),
    // One limiter per service: Graph and Exchange throttle independently.
    limiter: new Limiter(concurrency),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
  });
  const graph = new GraphUsers({
    baseUrl: endpoints.graph,
    sender: senderFor(endpoints.graphScope),
  });
  const exchange = new ExchangeClient({
    baseUrl: endpoints.exchange,
    tenantId,
    sender: senderFor(endpoints.exchangeScope),
  });
  return new CloudTenant(
    `tenant ${domain} (${new URL(endpoints.graph).host}, ${new URL(endpoints.exchange).host})`,
    graph,
    exchange,
  );
}
