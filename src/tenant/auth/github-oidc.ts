// GitHub Actions OIDC: a job with `permissions: id-token: write` gets ACTIONS_ID_TOKEN_REQUEST_URL
// and ACTIONS_ID_TOKEN_REQUEST_TOKEN; GET on the URL with `audience=` returns {"value": "<JWT>"},
// which Entra accepts as a client assertion through the app's federated credential.
import { SmimesyncError } from "../../errors.js";
import type { FetchLike } from "../http/transport.js";

export const DEFAULT_OIDC_AUDIENCE = "api://AzureADTokenExchange";

export async function fetchGitHubOidcToken(
  env: NodeJS.ProcessEnv,
  audience: string,
  fetchImpl: FetchLike,
): Promise<string> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new SmimesyncError(
      "TENANT_AUTH",
      "workload identity: ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set",
      {
        hint: "Run inside GitHub Actions with `permissions: id-token: write` on the job, or use auth.method client-secret / certificate elsewhere.",
      },
    );
  }
  const url = new URL(requestUrl);
  url.searchParams.set("audience", audience);
  let response: Response;
  try {
    response = await fetchImpl(url.href, {
      method: "GET",
      headers: { Authorization: `bearer ${requestToken}`, Accept: "application/json" },
    });
  } catch (e) {
    throw new SmimesyncError(
      "TENANT_AUTH",
      `workload identity: cannot reach GitHub's OIDC token endpoint (${url.host})`,
      { cause: e },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new SmimesyncError(
      "TENANT_AUTH",
      `workload identity: GitHub refused the OIDC token request (HTTP ${response.status}: ${text.slice(0, 200)})`,
      {
        hint: "Check `permissions: id-token: write` on the job.",
      },
    );
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== "string" || value.split(".").length !== 3) {
    throw new SmimesyncError(
      "TENANT_AUTH",
      "workload identity: GitHub's OIDC endpoint answered without a JWT in `value`",
    );
  }
  return value;
}
