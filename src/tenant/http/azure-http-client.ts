// Lets @azure/identity send its token requests through a TenantTransport. Used only when a
// transport is injected (the emulator's test CA): by default identity keeps its own HTTP client,
// which also honours HTTPS_PROXY. Types are taken from @azure/identity's own option types so no
// extra Azure package is needed.
import type { ClientSecretCredentialOptions } from "@azure/identity";
import type { FetchLike } from "./transport.js";

export type AzureHttpClient = NonNullable<ClientSecretCredentialOptions["httpClient"]>;
type PipelineRequest = Parameters<AzureHttpClient["sendRequest"]>[0];
type PipelineResponse = Awaited<ReturnType<AzureHttpClient["sendRequest"]>>;
type AzureHeaders = PipelineResponse["headers"];

export function azureHttpClient(fetchImpl: FetchLike): AzureHttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const body = request.body;
      if (body !== undefined && body !== null && typeof body !== "string") {
        throw new TypeError("token requests are expected to carry a string body");
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of request.headers) headers[name] = value;
      const init: RequestInit = { method: request.method, headers };
      if (typeof body === "string") init.body = body;
      // identity's AbortSignalLike is structurally narrower than the DOM AbortSignal fetch wants.
      if (request.abortSignal) init.signal = request.abortSignal as AbortSignal;
      const response = await fetchImpl(request.url, init);
      return {
        request,
        status: response.status,
        headers: toAzureHeaders(response.headers),
        bodyAsText: await response.text(),
      };
    },
  };
}

function toAzureHeaders(source: Headers): AzureHeaders {
  const map = new Map<string, { name: string; value: string }>();
  source.forEach((value, name) => {
    map.set(name.toLowerCase(), { name, value });
  });
  const headers: AzureHeaders = {
    get: (name) => map.get(name.toLowerCase())?.value,
    has: (name) => map.has(name.toLowerCase()),
    set: (name, value) => {
      map.set(name.toLowerCase(), { name, value: String(value) });
    },
    delete: (name) => {
      map.delete(name.toLowerCase());
    },
    toJSON: (options) => {
      const out: Record<string, string> = {};
      for (const [key, entry] of map) out[options?.preserveCase ? entry.name : key] = entry.value;
      return out;
    },
    *[Symbol.iterator]() {
      for (const [key, entry] of map) yield [key, entry.value] as [string, string];
    },
  };
  return headers;
}
