// Chooses and opens the directory backend a config describes: an LDIF export (`ldif`) or Active
// Directory over LDAP (`url`). Secrets are resolved here, only when LDAP is actually used.
import { resolve } from "node:path";
import { resolveSecret } from "../config/secrets.js";
import type { DirectoryConfig } from "../config/types.generated.js";
import { SmimesyncError } from "../errors.js";
import { testBatchOptions } from "../files/batched-file.js";
import { readBoundedFile } from "../files/bounded-read.js";
import type { SourceAnchorAttribute } from "./entry.js";
import type { LdapOptions } from "./ldap-connection.js";
import { LdapDirectory, type LdapHooks } from "./ldap-directory.js";
import { LdifDirectory } from "./ldif-directory.js";
import type { Directory } from "./types.js";

export interface OpenDirectoryContext {
  /** Directory holding smimesync.yaml: relative paths (ldif, tls.caFile, ${file:...}) start there. */
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Test seam of the LDAP backend (see LdapHooks). */
  readonly ldapHooks?: LdapHooks;
}

const DEFAULT_TIMEOUT_SECONDS = 30;

export async function openDirectory(
  config: DirectoryConfig,
  context: OpenDirectoryContext,
): Promise<Directory> {
  const sourceAnchor: SourceAnchorAttribute = config.sourceAnchor ?? "objectGUID";
  if (config.ldif !== undefined)
    return LdifDirectory.open(
      resolve(context.baseDir, config.ldif),
      sourceAnchor,
      testBatchOptions(context.env),
    );
  return LdapDirectory.open(await ldapOptions(config, context), context.ldapHooks ?? {});
}

export async function ldapOptions(
  config: DirectoryConfig,
  context: OpenDirectoryContext,
): Promise<LdapOptions> {
  if (config.url === undefined || config.baseDN === undefined || config.bind === undefined) {
    throw new SmimesyncError(
      "CONFIG_INVALID",
      "directory needs url, baseDN and bind (or ldif for an export)",
    );
  }
  const caFile = config.tls?.caFile;
  let ca: string | undefined;
  if (caFile !== undefined) {
    const path = resolve(context.baseDir, caFile);
    try {
      ca = (await readBoundedFile(path, "certificate", `directory.tls.caFile ${path}`)).toString("utf8");
    } catch (e) {
      if (e instanceof SmimesyncError) throw e;
      throw new SmimesyncError("FILE_UNREADABLE", `directory.tls.caFile: cannot read ${path}`, { cause: e });
    }
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) {
      throw new SmimesyncError("LDAP_TLS", `directory.tls.caFile ${path} holds no PEM certificate`, {
        hint: "Export the CA certificate as Base-64 encoded X.509 (.cer/.pem).",
      });
    }
  }
  return {
    url: config.url,
    baseDn: config.baseDN,
    bindDn: config.bind.dn,
    password: resolveSecret(config.bind.password, context.env, context.baseDir, "directory.bind.password"),
    ca,
    startTls: config.tls?.startTLS === true,
    serverName: config.tls?.serverName,
    allowInsecure: config.allowInsecure === true,
    sourceAnchor: config.sourceAnchor ?? "objectGUID",
    timeoutMs: Math.round((config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000),
  };
}
