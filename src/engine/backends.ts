// Opening the two backends a config names (LDAP or LDIF; cloud or snapshot), closed together.
import type { LoadedConfig } from "../config/load.js";
import type { LdapHooks } from "../directory/ldap-directory.js";
import { openDirectory } from "../directory/open.js";
import type { Directory } from "../directory/types.js";
import type { OpenTenantOptions } from "../tenant/open-tenant.js";
import { openTenant } from "../tenant/open-tenant.js";
import type { Tenant } from "../tenant/types.js";

export interface BackendOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Test seams (the emulator's CA, a fast clock); production passes none. */
  readonly tenant?: Omit<Partial<OpenTenantOptions>, "baseDir" | "env">;
  readonly ldapHooks?: LdapHooks;
}

export interface Backends {
  readonly directory: Directory | undefined;
  readonly tenant: Tenant;
  close(): Promise<void>;
}

export async function openBackends(loaded: LoadedConfig, opts: BackendOptions): Promise<Backends> {
  const { config, baseDir } = loaded;
  const directory = config.directory
    ? await openDirectory(config.directory, {
        baseDir,
        env: opts.env,
        ...(opts.ldapHooks ? { ldapHooks: opts.ldapHooks } : {}),
      })
    : undefined;
  let tenant: Tenant;
  try {
    tenant = await openTenant(config.tenant, { ...opts.tenant, baseDir, env: opts.env });
  } catch (e) {
    await directory?.close();
    throw e;
  }
  return {
    directory,
    tenant,
    async close() {
      // Both are closed whatever happens to the other; the first failure is reported: an offline
      // backend saves its last batch of writes here.
      const results = await Promise.allSettled([directory?.close(), tenant.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}
