// Shared set-up for tests of src/tenant against the emulator.

import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TenantConfig } from "../../src/config/types.generated.js";
import type { Clock } from "../../src/tenant/http/clock.js";
import type { RetryPolicy } from "../../src/tenant/http/sender.js";
import { openTenant } from "../../src/tenant/open-tenant.js";
import type { Tenant } from "../../src/tenant/types.js";
import type { Emulator } from "../emulator/server.js";
import { makeUser, testPki } from "../fixtures/pki.js";

export const SECRET_ENV = "SMIMESYNC_TEST_CLIENT_SECRET";

export interface OpenOptions {
  readonly config?: Partial<TenantConfig>;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  readonly retry?: Partial<RetryPolicy>;
  readonly retries?: { attempt: number; delayMs: number; reason: string }[];
}

export function openAgainst(emu: Emulator, o: OpenOptions = {}): Promise<Tenant> {
  return openTenant(emu.tenantConfig(o.config), {
    baseDir: process.cwd(),
    env: { [SECRET_ENV]: emu.app.clientSecret, ...o.env },
    transport: { fetch: emu.fetch },
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.retry ? { retry: o.retry } : {}),
    ...(o.retries ? { onRetry: (r) => o.retries?.push(r) } : {}),
  });
}

/** A clock whose sleeps return at once but are recorded. */
export function recordingClock(): Clock & { readonly sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 };
}

/** A DER S/MIME certificate from the shared test PKI (unique serial each call). */
export async function certFor(email: string): Promise<Uint8Array> {
  const pki = await testPki();
  return (await makeUser(pki.intermediate, { emails: [email] })).der;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Points the demo's smimesync.yaml (`tenant: snapshot: tenant.json`) at the emulator, with the
 * secret from SECRET_ENV; `urls` routes Graph and Exchange elsewhere (a fault proxy), `extra` adds
 * tenant keys (two-space indented YAML lines).
 */
export async function pointDemoAtEmulator(
  dir: string,
  emu: Emulator,
  o: { urls?: { graph: string; exchange: string }; extra?: string } = {},
): Promise<void> {
  const t = emu.tenantConfig();
  const urls = o.urls ?? emu.urls;
  const tenant = `tenant:
  tenantId: ${t.tenantId}
  domain: ${t.domain}
  endpoints:
    graph: ${urls.graph}
    exchange: ${urls.exchange}
    login: ${emu.urls.login}
  auth:
    method: client-secret
    clientId: ${emu.app.clientId}
    clientSecret: \${env:${SECRET_ENV}}
${o.extra ?? ""}`;
  const path = join(dir, "smimesync.yaml");
  const yaml = await readFile(path, "utf8");
  const snapshot = /^tenant:\n {2}snapshot: tenant\.json\n/m;
  if (!snapshot.test(yaml)) throw new Error(`${path} has no tenant snapshot block to replace`);
  await writeFile(path, yaml.replace(snapshot, tenant));
}

/**
 * One raw InvokeCommand call to the emulator, as a real app-only client sends it (bearer token,
 * the system-mailbox anchor): for tests of the wire itself, bypassing the production client.
 */
export function invokeCommand(
  emu: Emulator,
  cmdlet: string,
  parameters: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>> = {},
): Promise<Response> {
  return emu.fetch(`${emu.urls.exchange}/adminapi/beta/${emu.tenantId}/InvokeCommand`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${emu.authority.issue(emu.app.clientId, "exchange")}`,
      "Content-Type": "application/json",
      "X-AnchorMailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${emu.tenantId}`,
      ...headers,
    },
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
  });
}
