// Opening an authenticated LDAP connection: ldaps://, or ldap:// upgraded with StartTLS, both
// verifying the server against the configured CA; a simple bind over plain ldap:// only when the
// config says allowInsecure (the password would cross the network in clear text).
import { type ConnectionOptions, checkServerIdentity } from "node:tls";
import { Client } from "ldapts";
import { SmimesyncError } from "../errors.js";
import type { SourceAnchorAttribute } from "./entry.js";
import { toLdapError } from "./ldap-errors.js";

export interface LdapOptions {
  readonly url: string;
  /** Naming context searched for objects by GUID (and the default scope root). */
  readonly baseDn: string;
  readonly bindDn: string;
  readonly password: string;
  /** PEM text of the CA(s) to trust; undefined: Node's default trust store. */
  readonly ca: string | undefined;
  readonly startTls: boolean;
  /** Name expected in the server certificate when it differs from the URL's host. */
  readonly serverName: string | undefined;
  readonly allowInsecure: boolean;
  readonly sourceAnchor: SourceAnchorAttribute;
  readonly timeoutMs: number;
}

export interface LdapEndpoint {
  readonly secure: "ldaps" | "starttls" | "none";
  /** `ldaps://host:636` for messages. */
  readonly server: string;
}

export function describeEndpoint(options: LdapOptions): LdapEndpoint {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (e) {
    throw new SmimesyncError("CONFIG_INVALID", `directory.url "${options.url}" is not a URL`, {
      hint: "Write it as ldaps://dc01.corp.example.com (port 636) or ldap://dc01.corp.example.com with tls.startTLS.",
      cause: e,
    });
  }
  const scheme = url.protocol.replace(/:$/, "");
  if (scheme !== "ldaps" && scheme !== "ldap") {
    throw new SmimesyncError(
      "CONFIG_INVALID",
      `directory.url "${options.url}" must start with ldaps:// or ldap://`,
    );
  }
  const port = url.port || (scheme === "ldaps" ? "636" : "389");
  const server = `${scheme}://${url.hostname}:${port}`;
  if (scheme === "ldaps") return { secure: "ldaps", server };
  if (options.startTls) return { secure: "starttls", server };
  return { secure: "none", server };
}

function tlsOptions(options: LdapOptions): ConnectionOptions {
  const serverName = options.serverName;
  return {
    minVersion: "TLSv1.2",
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(serverName === undefined
      ? {}
      : {
          servername: serverName,
          checkServerIdentity: (_host, cert) => checkServerIdentity(serverName, cert),
        }),
  };
}

/** A bound client; throws SmimesyncError (LDAP_INSECURE, LDAP_CONNECT, LDAP_TLS, LDAP_AUTH, ...). */
export async function connectLdap(options: LdapOptions): Promise<Client> {
  const endpoint = describeEndpoint(options);
  if (endpoint.secure === "none" && !options.allowInsecure) {
    throw new SmimesyncError(
      "LDAP_INSECURE",
      `refusing a simple bind over plain ${endpoint.server}: the password would travel in clear text`,
      {
        hint: "Use ldaps://, or set directory.tls.startTLS: true; only in a lab, directory.allowInsecure: true.",
      },
    );
  }
  if (options.password === "") {
    // AD treats a simple bind with an empty password as an anonymous bind that "succeeds".
    throw new SmimesyncError("LDAP_AUTH", `the bind password for ${options.bindDn} is empty`, {
      hint: "Set the variable or file that directory.bind.password refers to.",
    });
  }
  const tls = tlsOptions(options);
  const client = new Client({
    url: endpoint.server,
    timeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
    // DNs are passed through as the server gave them; ldapts's strict parser rejects some valid ones.
    strictDN: false,
    ...(endpoint.secure === "ldaps" ? { tlsOptions: tls } : {}),
  });
  try {
    if (endpoint.secure === "starttls") {
      try {
        await client.startTLS(tls);
      } catch (e) {
        throw toLdapError(e, { operation: "starting TLS", server: endpoint.server });
      }
    }
    try {
      await client.bind(options.bindDn, options.password);
    } catch (e) {
      throw toLdapError(e, { operation: `binding as ${options.bindDn}`, server: endpoint.server });
    }
    return client;
  } catch (e) {
    await client.unbind().catch(() => undefined);
    throw e;
  }
}
