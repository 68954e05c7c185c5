// The one way tests reach the Samba DC's facts: `sambaFacts()` inside a test file of the `ad`
// project (test/integration/**, test/e2e/**).
import { inject } from "vitest";
import type { DirectoryConfig } from "../../src/config/types.generated.js";
import type { SambaFacts } from "./facts.js";

export type { SambaFacts } from "./facts.js";

export function sambaFacts(): SambaFacts {
  const facts = inject("samba");
  if (facts === undefined) {
    throw new Error("no Samba DC: run this file in the `ad` project (npx vitest run --project ad ...)");
  }
  return facts;
}

/** Environment variable through which `directoryConfig()` passes the admin password. */
export const SAMBA_PASSWORD_ENV = "SMIMESYNC_TEST_AD_PASSWORD";

/**
 * A `directory:` config for the DC, LDAPS with the run's CA, binding as Administrator; pass
 * `sambaEnv()` as the env to openDirectory. Override any field with `patch`.
 */
export function directoryConfig(patch: Partial<DirectoryConfig> = {}): DirectoryConfig {
  const f = sambaFacts();
  return {
    url: f.ldapsUrl,
    baseDN: f.baseDn,
    bind: { dn: f.adminUpn, password: `\${env:${SAMBA_PASSWORD_ENV}}` },
    tls: { caFile: f.caFile },
    sourceAnchor: "objectGUID",
    timeoutSeconds: 20,
    ...patch,
  };
}

/** The environment that resolves `directoryConfig()`'s password reference. */
export function sambaEnv(): NodeJS.ProcessEnv {
  return { [SAMBA_PASSWORD_ENV]: sambaFacts().password };
}
