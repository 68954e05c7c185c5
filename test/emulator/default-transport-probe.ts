// Child-process probe for default-transport.test.ts: production code with NO injected transport
// (Node's fetch, @azure/identity's own HTTP client), trusting the emulator only through
// NODE_EXTRA_CA_CERTS, exactly as an operator would run smimesync against it.

import type { TenantConfig } from "../../src/config/types.generated.js";
import { openTenant } from "../../src/tenant/open-tenant.js";

const config = JSON.parse(process.env.PROBE_TENANT_CONFIG ?? "{}") as TenantConfig;
const tenant = await openTenant(config, { baseDir: process.cwd(), env: process.env });
let users = 0;
for await (const _ of tenant.readUsers()) users++;
let recipients = 0;
for await (const _ of tenant.readRecipients()) recipients++;
process.stdout.write(JSON.stringify({ users, recipients }));
