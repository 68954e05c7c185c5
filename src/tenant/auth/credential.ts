// One @azure/identity credential per run, chosen by tenant.auth.method. Secrets are resolved
// here, when the cloud backend is opened, never at config load.
import { resolve } from "node:path";
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  type TokenCredential,
} from "@azure/identity";
import { resolveSecret } from "../../config/secrets.js";
import type { TenantAuth } from "../../config/types.generated.js";
import { SmimesyncError } from "../../errors.js";
import type { AzureHttpClient } from "../http/azure-http-client.js";
import type { FetchLike } from "../http/transport.js";
import { DEFAULT_OIDC_AUDIENCE, fetchGitHubOidcToken } from "./github-oidc.js";

export interface CredentialContext {
  readonly tenantId: string;
  readonly authorityHost: string;
  /**
   * MSAL validates unknown authority hosts against login.microsoftonline.com; a login endpoint
   * that is not a national cloud default (a proxy, the emulator) must skip that discovery.
   */
  readonly disableInstanceDiscovery: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly baseDir: string;
  readonly fetch: FetchLike;
  readonly httpClient: AzureHttpClient | undefined;
}

export function createCredential(auth: TenantAuth, ctx: CredentialContext): TokenCredential {
  const options = {
    authorityHost: ctx.authorityHost,
    disableInstanceDiscovery: ctx.disableInstanceDiscovery,
    ...(ctx.httpClient === undefined ? {} : { httpClient: ctx.httpClient }),
  };
  switch (auth.method) {
    case "client-secret": {
      if (!auth.clientSecret) throw missing("clientSecret", "client-secret");
      const secret = resolveSecret(auth.clientSecret, ctx.env, ctx.baseDir, "tenant.auth.clientSecret");
      return new ClientSecretCredential(ctx.tenantId, auth.clientId, secret, options);
    }
    case "certificate": {
      if (!auth.certificatePath) throw missing("certificatePath", "certificate");
      // `${env:X}` yields a path; `${file:X}` yields the file's contents, i.e. the PEM itself.
      const value = resolveSecret(auth.certificatePath, ctx.env, ctx.baseDir, "tenant.auth.certificatePath");
      return value.includes("-----BEGIN")
        ? new ClientCertificateCredential(ctx.tenantId, auth.clientId, { certificate: value }, options)
        : new ClientCertificateCredential(
            ctx.tenantId,
            auth.clientId,
            { certificatePath: resolve(ctx.baseDir, value) },
            options,
          );
    }
    case "workload-identity": {
      const audience = auth.audience ?? DEFAULT_OIDC_AUDIENCE;
      // Fetched on every token acquisition: GitHub's JWT lives minutes, MSAL caches the result.
      return new ClientAssertionCredential(
        ctx.tenantId,
        auth.clientId,
        () => fetchGitHubOidcToken(ctx.env, audience, ctx.fetch),
        options,
      );
    }
  }
}

function missing(field: string, method: string): SmimesyncError {
  return new SmimesyncError("CONFIG_INVALID", `tenant.auth.${field} is required for auth.method ${method}`);
}

/** A token for one resource, with identity's failures turned into TENANT_AUTH. */
export async function accessToken(
  credential: TokenCredential,
  scope: string,
  authorityHost: string,
): Promise<string> {
  try {
    const token = await credential.getToken(scope);
    if (!token) throw new Error("no token returned");
    return token.token;
  } catch (e) {
    const own = findSmimesyncError(e);
    if (own) throw own;
    const message = e instanceof Error ? e.message : String(e);
    // MSAL reports a failed metadata fetch (DNS, proxy, TLS trust) only as this code.
    if (message.includes("endpoints_resolution_error")) {
      throw new SmimesyncError(
        "TENANT_UNAVAILABLE",
        `cannot reach the Entra ID authority ${authorityHost} to get a token for ${scope}`,
        {
          hint: "Check network access to the login endpoint, HTTPS_PROXY, and TLS trust (a TLS-inspecting proxy's CA goes into NODE_EXTRA_CA_CERTS).",
          cause: e,
        },
      );
    }
    throw new SmimesyncError("TENANT_AUTH", `cannot get a token for ${scope}: ${firstLine(message)}`, {
      hint: "Check tenantId, clientId and the credential (for workload identity: the federated credential's issuer, subject and audience).",
      cause: e,
    });
  }
}

/** identity wraps errors thrown by our assertion callback; surface ours when one is inside. */
function findSmimesyncError(e: unknown): SmimesyncError | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    if (cur instanceof SmimesyncError) return cur;
  }
  return undefined;
}

function firstLine(s: string): string {
  const line = s.split("\n").find((l) => l.trim() !== "") ?? s;
  return line.length > 400 ? `${line.slice(0, 400)}...` : line;
}
