// The emulator's own request/response shapes, independent of node:http.
import type { IncomingHttpHeaders } from "node:http";

export type EmuService = "graph" | "exchange" | "login";

export interface EmuRequest {
  readonly service: EmuService;
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly bodyText: string;
}

export interface EmuResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON-serialised unless a string (sent as is). */
  readonly body?: unknown;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmuResponse {
  return { status, body, headers };
}

export function header(req: EmuRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
