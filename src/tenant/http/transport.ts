// The one way smimesync sends HTTP to the tenant. Production uses Node's global fetch, which
// verifies TLS against the system store (plus NODE_EXTRA_CA_CERTS). Tests inject a fetch that
// trusts the emulator's test CA: verification stays on, only the trust anchor differs.
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TenantTransport {
  readonly fetch: FetchLike;
}

export const defaultTransport: TenantTransport = {
  fetch: (url, init) => fetch(url, init),
};
