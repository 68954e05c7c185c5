// Sends one request with the retry and concurrency rules every tenant call shares:
// - 429 and 503 wait exactly as long as Retry-After says (no Retry-After: backoff);
// - 500, 502, 504 and network failures back off exponentially with jitter, but only for
//   idempotent requests: a New-MailContact that timed out may have been executed;
// - after the budget, a clear TENANT_THROTTLED / TENANT_UNAVAILABLE error;
// - any other non-2xx is returned as a TenantHttpError naming what the service said.
import { SmimesyncError } from "../../errors.js";
import type { Clock } from "./clock.js";
import type { Limiter } from "./limiter.js";
import { parseRetryAfter } from "./retry-after.js";
import { errorForStatus, parseServiceError, type TenantService } from "./service-error.js";
import type { FetchLike } from "./transport.js";

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the run stops with TENANT_THROTTLED. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
});

export interface OutgoingRequest {
  readonly service: TenantService;
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly idempotent: boolean;
  /** For messages: "reading users", "Set-Mailbox on ...". */
  readonly what: string;
}

export interface SenderDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  readonly limiter: Limiter;
  /** Called before each wait, for progress output and tests. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string; url: string }) => void;
}

const RETRY_AFTER_STATUSES = new Set([429, 503]);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);

export async function send(deps: SenderDeps, req: OutgoingRequest): Promise<Response> {
  const { clock, policy } = deps;
  let lastReason = "";
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await deps.limiter.run(() =>
        deps.fetch(req.url, {
          method: req.method,
          headers: req.headers,
          ...(req.body === undefined ? {} : { body: req.body }),
        }),
      );
    } catch (e) {
      lastReason = `network error: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`;
      if (!req.idempotent || attempt >= policy.maxAttempts) throw unavailable(req, attempt, lastReason, e);
      await wait(deps, attempt, backoff(policy, clock, attempt), lastReason, req.url);
      continue;
    }
    if (response.ok) return response;

    const status = response.status;
    const retryAfter = RETRY_AFTER_STATUSES.has(status)
      ? parseRetryAfter(response.headers.get("retry-after"), clock.now())
      : undefined;
    const retriable =
      status === 429 || (TRANSIENT_STATUSES.has(status) && (req.idempotent || retryAfter !== undefined));
    if (!retriable) {
      const parsed = parseServiceError(await response.text(), response.headers);
      throw errorForStatus(req.service, status, parsed, req.what);
    }
    const text = await response.text();
    lastReason = `HTTP ${status}${retryAfter === undefined ? "" : ` (Retry-After ${Math.ceil(retryAfter / 1000)} s)`}: ${parseServiceError(text, response.headers).message}`;
    if (attempt >= policy.maxAttempts) throw exhausted(req, status, attempt, lastReason);
    if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
      throw new SmimesyncError(
        "TENANT_THROTTLED",
        `${serviceName(req)} asked to wait ${Math.ceil(retryAfter / 1000)} s before ${req.what}, longer than smimesync waits`,
        { hint: "The tenant is heavily throttled; run again later." },
      );
    }
    await wait(deps, attempt, retryAfter ?? backoff(policy, clock, attempt), lastReason, req.url);
  }
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export function backoff(policy: RetryPolicy, clock: Clock, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (clock.random() * ceiling) / 2);
}

async function wait(
  deps: SenderDeps,
  attempt: number,
  delayMs: number,
  reason: string,
  url: string,
): Promise<void> {
  deps.onRetry?.({ attempt, delayMs, reason, url });
  await deps.clock.sleep(delayMs);
}

function serviceName(req: OutgoingRequest): string {
  return req.service === "graph"
    ? "Microsoft Graph"
    : req.service === "exchange"
      ? "Exchange Online"
      : "Entra ID";
}

function exhausted(req: OutgoingRequest, status: number, attempts: number, reason: string): SmimesyncError {
  if (status === 429) {
    return new SmimesyncError(
      "TENANT_THROTTLED",
      `${serviceName(req)} kept throttling ${req.what}: gave up after ${attempts} attempts (last: ${reason})`,
      {
        hint: "Lower tenant.concurrency or run again later.",
      },
    );
  }
  return unavailable(req, attempts, reason);
}

function unavailable(
  req: OutgoingRequest,
  attempts: number,
  reason: string,
  cause?: unknown,
): SmimesyncError {
  return new SmimesyncError(
    "TENANT_UNAVAILABLE",
    `${serviceName(req)} is unavailable for ${req.what}: gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} (last: ${reason})`,
    {
      hint: req.idempotent
        ? "Run again later."
        : "The request may or may not have been carried out; re-run plan before applying again.",
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
