// Faults injected on demand: the next N matching requests of a service are answered with 429 +
// Retry-After, or a 5xx, instead of being served. Every request is logged with its arrival and
// answer times (wall clock, ms), so tests can prove a client waited as long as Retry-After said.
import type { EmuRequest, EmuService } from "./http-types.js";

export interface FaultSpec {
  readonly service: EmuService;
  /** How many matching requests fail (default 1). */
  readonly count?: number;
  readonly status: 429 | 500 | 502 | 503 | 504 | 403;
  /** Sent as Retry-After (seconds) when given. */
  readonly retryAfterSeconds?: number;
  /**
   * Exchange: answer with the tenant's concurrency-limit message ("You have reached the maximum
   * number of concurrent requests per tenant"), under `status`, instead of the status's own error.
   */
  readonly concurrencyLimit?: boolean;
  /** Sent as Rate-Limit-Remaining: 0 and Rate-Limit-Reset (seconds) when given. */
  readonly rateLimitResetSeconds?: number;
  /** Only requests for which this is true; default all of the service. */
  readonly match?: (req: EmuRequest) => boolean;
}

export interface Fault extends FaultSpec {
  remaining: number;
}

export interface LoggedRequest {
  readonly service: EmuService;
  readonly method: string;
  readonly path: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Exchange: the cmdlet named in CmdletInput. */
  readonly cmdlet: string | undefined;
  /** Answered inside a $batch (logged after the batch request that carried it). */
  readonly inBatch?: true;
  readonly receivedAt: number;
  status: number;
  injected: boolean;
  respondedAt: number;
}

export class FaultInjector {
  private readonly faults: Fault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ ...spec, remaining: spec.count ?? 1 });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The fault that applies to this request, consuming one of its occurrences. */
  take(req: EmuRequest): Fault | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && f.service === req.service && (f.match?.(req) ?? true),
    );
    if (fault) fault.remaining--;
    return fault;
  }
}
