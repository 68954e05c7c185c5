// Public surface of the tenant adapter: the interface, the factory, and the snapshot format.
export type { CloudName, ResolvedEndpoints } from "./endpoints.js";
export { resolveEndpoints } from "./endpoints.js";
export { decodeExchangeBytes, encodeExchangeBytes } from "./exchange/byte-encoding.js";
export type { Clock } from "./http/clock.js";
export type { RetryPolicy } from "./http/sender.js";
export type { FetchLike, TenantTransport } from "./http/transport.js";
export { type OpenTenantOptions, openTenant } from "./open-tenant.js";
export type { SnapshotDocument, SnapshotRecipient, SnapshotUser } from "./snapshot/snapshot-format.js";
export { parseSnapshot, serializeSnapshot } from "./snapshot/snapshot-format.js";
export type * from "./types.js";
