// Sends one request with the rules every tenant call shares, and reads its answer whole:
// - the body is read inside the attempt, so a connection reset or a cut body is a network fault
//   of that attempt, never an exception escaping later;
// - network faults (reset, timeout, a body that is cut or not JSON) are retried like 5xx, but
//   only for idempotent requests: a New-MailContact that timed out may have been executed;
// - 429 and 503 wait as long as Retry-After says (else backoff), as does Exchange's "maximum
//   number of concurrent requests" answer whatever its status (GreyCorbel ExoHelper);
// - a 401 gets one fresh token and one more try (a token expired or revoked mid-run);
// - every wait comes out of the run's retry budget; a wait longer than what is left fails at
//   once, saying so; after the budget or the attempts, a clear TENANT_THROTTLED / UNAVAILABLE;
// - any other non-2xx is a TenantHttpError naming what the service said.
import { SmimesyncError } from "../../errors.js";
import type { TokenSource } from "../auth/token-source.js";
import type { Clock } from "./clock.js";
import type { Limiter } from "./limiter.js";
import { parseRetryAfter } from "./retry-after.js";
import { errorForStatus, parseServiceError, type TenantService } from "./service-error.js";
import type { FetchLike } from "./transport.js";

export interface RetryPolicy {
  /** Total attempts of one request, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** One attempt (answer and body) taking longer than this is abandoned as a timeout. */
  readonly requestTimeoutMs: number;
  /**
   * Time one run may spend waiting before retries, all requests together. A Retry-After longer
   * than what is left stops the run at once instead of stalling it.
   */
  readonly retryBudgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  requestTimeoutMs: 120_000,
  retryBudgetMs: 300_000,
});

/** The waiting a run has done, shared by its Graph and Exchange senders. */
export class RetryBudget {
  private spent = 0;
  constructor(readonly limitMs: number) {}
  get remainingMs(): number {
    return Math.max(0, this.limitMs - this.spent);
  }
  spend(ms: number): void {
    this.spent += ms;
  }
}

export interface OutgoingRequest {
  readonly service: TenantService;
  readonly method: "GET" | "POST";
  readonly url: string;
  /** Without Authorization: the sender adds the token. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly idempotent: boolean;
  /** For messages: "reading users", "Set-Mailbox on ...". */
  readonly what: string;
}

/** A 2xx answer, its body parsed (an empty body is `{}`). */
export interface TenantAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface WaitInfo {
  readonly attempt: number;
  readonly delayMs: number;
  /** Why: "HTTP 429 (Retry-After 30 s): ...", "connection reset (ECONNRESET)". */
  readonly reason: string;
  readonly url: string;
  /** The service's name and what was asked: "Exchange Online", "Get-Mailbox". */
  readonly service: string;
  readonly what: string;
}

export interface SenderDeps {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  readonly budget: RetryBudget;
  readonly limiter: Limiter;
  readonly auth: TokenSource;
  /** Called before each wait, for progress output and tests. */
  readonly onRetry?: (info: WaitInfo) => void;
}

const RETRY_AFTER_STATUSES = new Set([429, 503]);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
// Exchange answers tenant-wide concurrency limits with this text, under various statuses.
const CONCURRENCY_LIMIT = /maximum number of concurrent requests/i;

type Attempt =
  | { readonly kind: "answer"; readonly status: number; readonly headers: Headers; readonly text: string }
  | { readonly kind: "fault"; readonly reason: string; readonly cause: unknown };

export async function send(deps: SenderDeps, req: OutgoingRequest): Promise<TenantAnswer> {
  const { clock, policy } = deps;
  let refreshed = false;
  let token = await deps.auth.token();
  for (let attempt = 1; ; attempt++) {
    const result = await deps.limiter.run(() => attemptOnce(deps, req, token));
    let reason: string;
    let delay: number | undefined;
    let throttled = false;
    if (result.kind === "fault") {
      reason = result.reason;
      if (!req.idempotent) throw unavailable(req, attempt, reason, result.cause);
    } else {
      const { status, headers, text } = result;
      if (status >= 200 && status < 300) {
        const body = parseBody(text);
        if (body !== undefined) return { status, headers, body };
        reason = "the answer's body is cut short or not JSON";
        if (!req.idempotent) throw unavailable(req, attempt, reason);
      } else {
        const parsed = parseServiceError(text, headers);
        if (status === 401 && !refreshed) {
          // Expired or revoked mid-run: one fresh token, then the service's answer stands.
          refreshed = true;
          token = await deps.auth.refresh(token);
          attempt--;
          continue;
        }
        const concurrency = CONCURRENCY_LIMIT.test(parsed.message) || CONCURRENCY_LIMIT.test(text);
        const retryAfter =
          RETRY_AFTER_STATUSES.has(status) || concurrency
            ? parseRetryAfter(headers.get("retry-after"), clock.now())
            : undefined;
        const retriable =
          status === 429 ||
          concurrency ||
          (TRANSIENT_STATUSES.has(status) && (req.idempotent || retryAfter !== undefined));
        if (!retriable) {
          const error = errorForStatus(req.service, status, parsed, req.what);
          if (status === 401) throw afterRefresh(error);
          throw error;
        }
        throttled = status === 429 || concurrency;
        delay = retryAfter ?? rateLimitReset(headers, clock.now());
        reason = `HTTP ${status}${retryAfter === undefined ? "" : ` (Retry-After ${Math.ceil(retryAfter / 1000)} s)`}: ${parsed.message}`;
      }
    }
    if (attempt >= policy.maxAttempts) {
      throw throttled ? throttledError(req, attempt, reason) : unavailable(req, attempt, reason);
    }
    const wait = delay ?? backoff(policy, clock, attempt);
    if (wait > deps.budget.remainingMs) throw overBudget(req, wait, deps.budget, reason, throttled);
    deps.budget.spend(wait);
    deps.onRetry?.({
      attempt,
      delayMs: wait,
      reason,
      url: req.url,
      service: serviceName(req.service),
      what: req.what,
    });
    await clock.sleep(wait);
  }
}

/** One try: the answer and its whole body, or the network fault that stopped it. */
async function attemptOnce(deps: SenderDeps, req: OutgoingRequest, token: string): Promise<Attempt> {
  const signal = AbortSignal.timeout(deps.policy.requestTimeoutMs);
  try {
    const response = await deps.fetch(req.url, {
      method: req.method,
      headers: { ...req.headers, Authorization: `Bearer ${token}` },
      signal,
      ...(req.body === undefined ? {} : { body: req.body }),
    });
    const text = await response.text();
    return { kind: "answer", status: response.status, headers: response.headers, text };
  } catch (e) {
    if (signal.aborted) {
      return {
        kind: "fault",
        reason: `no answer within ${Math.round(deps.policy.requestTimeoutMs / 1000)} s`,
        cause: e,
      };
    }
    return { kind: "fault", reason: networkReason(e), cause: e };
  }
}

function parseBody(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** "connection reset (ECONNRESET)", "connection cut while reading the answer", ... */
function networkReason(e: unknown): string {
  const chain: unknown[] = [];
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++)
    chain.push(cur);
  const code = chain
    .map((c) => (c as { code?: unknown }).code)
    .find((c): c is string => typeof c === "string");
  const messages = chain.map((c) => (c as Error).message);
  if (
    code === "ECONNRESET" ||
    messages.some((m) => /terminated|aborted|socket hang up|other side closed/i.test(m))
  ) {
    return `connection cut before the answer was complete${code ? ` (${code})` : ""}`;
  }
  const last = messages[messages.length - 1] ?? String(e);
  return `connection failed: ${last}${code && !last.includes(code) ? ` (${code})` : ""}`;
}

/**
 * Exchange's Rate-Limit-Reset (seconds, or a date) tells when a throttled tenant may ask again;
 * used when a throttling answer has no Retry-After (GreyCorbel ExoHelper reads both headers).
 */
function rateLimitReset(headers: Headers, now: number): number | undefined {
  if (headers.get("rate-limit-remaining")?.trim() !== "0") return undefined;
  return parseRetryAfter(headers.get("rate-limit-reset"), now);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out. */
export function backoff(policy: RetryPolicy, clock: Clock, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (clock.random() * ceiling) / 2);
}

export function serviceName(service: TenantService): string {
  return service === "graph" ? "Microsoft Graph" : service === "exchange" ? "Exchange Online" : "Entra ID";
}

const seconds = (ms: number): number => Math.ceil(ms / 1000);

function overBudget(
  req: OutgoingRequest,
  waitMs: number,
  budget: RetryBudget,
  reason: string,
  throttled: boolean,
): SmimesyncError {
  const left = budget.remainingMs;
  return new SmimesyncError(
    throttled ? "TENANT_THROTTLED" : "TENANT_UNAVAILABLE",
    `${serviceName(req.service)} asked to wait ${seconds(waitMs)} s before ${req.what}, more than the ${seconds(left)} s left of this run's retry budget (${seconds(budget.limitMs)} s) (last: ${reason})`,
    { hint: "The tenant is heavily throttled or unavailable; run again later." },
  );
}

function throttledError(req: OutgoingRequest, attempts: number, reason: string): SmimesyncError {
  return new SmimesyncError(
    "TENANT_THROTTLED",
    `${serviceName(req.service)} kept throttling ${req.what}: gave up after ${attempts} attempts (last: ${reason})`,
    { hint: "Lower tenant.concurrency or run again later." },
  );
}

function unavailable(
  req: OutgoingRequest,
  attempts: number,
  reason: string,
  cause?: unknown,
): SmimesyncError {
  return new SmimesyncError(
    "TENANT_UNAVAILABLE",
    `${serviceName(req.service)} is unavailable for ${req.what}: gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} (last: ${reason})`,
    {
      hint: req.idempotent
        ? "Run again later."
        : "The request may or may not have been carried out; re-run plan before applying again.",
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function afterRefresh(error: SmimesyncError): SmimesyncError {
  return new SmimesyncError(error.code, `${error.message}, also with a freshly issued token`, {
    hint: `${error.hint ?? ""} The token was refused again after a refresh: the app's consent, role or credential may have been revoked.`.trim(),
    cause: error,
  });
}
