// A fetch for tests that trusts the emulator's test CA, over node:https. Certificate and host
// name are still verified: only the trust anchor differs from production. Like Node's own fetch
// it resolves once the headers are in and streams the body, so a connection cut in the middle
// of a body fails when the body is read, as it does in production.
import { request } from "node:https";
import { Readable } from "node:stream";
import type { FetchLike } from "../../src/tenant/http/transport.js";

export function trustingFetch(caPem: string): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== "https:") {
        reject(new TypeError(`refusing ${target.protocol} in tests: the emulator speaks TLS`));
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init.headers as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => {
        headers[name] = value;
      });
      const req = request(target, { method: init.method ?? "GET", headers, ca: caPem }, (res) => {
        const status = res.statusCode ?? 0;
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
        }
        // A body cut short (the socket closed before Content-Length bytes) errors the stream.
        res.on("aborted", () => res.destroy(new TypeError("terminated")));
        const body =
          status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers: out }));
      });
      req.on("error", (e) => reject(new TypeError("fetch failed", { cause: e })));
      const signal = init.signal;
      if (signal) {
        const abort = () =>
          req.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
        if (signal.aborted) abort();
        else signal.addEventListener("abort", abort, { once: true });
      }
      const body = init.body;
      if (typeof body === "string") req.end(body);
      else if (body instanceof URLSearchParams) req.end(body.toString());
      else req.end();
    });
}
