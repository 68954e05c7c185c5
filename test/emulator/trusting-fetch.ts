// A fetch for tests that trusts the emulator's test CA, over node:https. Certificate and host
// name are still verified: only the trust anchor differs from production.
import { request } from "node:https";
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
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
          }
          const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
          resolve(new Response(body, { status, statusText: res.statusMessage ?? "", headers: out }));
        });
      });
      req.on("error", (e) => reject(new TypeError("fetch failed", { cause: e })));
      init.signal?.addEventListener("abort", () => req.destroy(new Error("aborted")));
      const body = init.body;
      if (typeof body === "string") req.end(body);
      else if (body instanceof URLSearchParams) req.end(body.toString());
      else req.end();
    });
}
