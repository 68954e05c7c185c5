// Plays Entra ID's token endpoint (client credentials: secret, certificate assertion, federated
// assertion) and GitHub Actions' OIDC token endpoint, and checks the bearer tokens Graph and
// Exchange receive. Access tokens are JWT-shaped but only meaningful to this emulator.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { type EmuRequest, type EmuResponse, header, json } from "./http-types.js";
import { aadError } from "./service-errors.js";

export type Resource = "graph" | "exchange";

export interface EmuApp {
  readonly clientId: string;
  readonly clientSecret?: string;
  /** Federated credentials: GitHub OIDC tokens with this subject and audience are accepted. */
  readonly federatedSubjects?: readonly string[];
  /** PEM certificates whose x5t / x5t#S256 a client assertion may carry (signature not checked). */
  readonly certificatesPem?: readonly string[];
  /** Application roles granted with admin consent, per resource. */
  readonly graphRoles?: readonly string[];
  readonly exchangeRoles?: readonly string[];
  /** Whether the service principal holds an Exchange admin role (Exchange Recipient Administrator). */
  readonly exchangeAdminRole?: boolean;
}

interface IssuedToken {
  readonly appId: string;
  readonly resource: Resource;
  readonly roles: readonly string[];
  readonly expiresAt: number;
}

export type TokenCheck = { ok: true; token: IssuedToken } | { ok: false; reason: string };

export const RESOURCE_AUDIENCE: Readonly<Record<Resource, string>> = {
  graph: "https://graph.microsoft.com",
  exchange: "https://outlook.office365.com",
};

export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

export class TokenAuthority {
  readonly apps = new Map<string, EmuApp>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly githubJwts = new Map<string, { sub: string; aud: string; exp: number }>();
  /** What the job gets as ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly githubRequestToken = randomBytes(16).toString("hex");
  /** The subject GitHub puts in the OIDC token it issues to the emulated job. */
  githubSubject = "repo:example/smimesync:environment:production";
  tokenLifetimeSeconds = 3599;

  constructor(
    readonly tenantId: string,
    readonly now: () => number = Date.now,
  ) {}

  register(app: EmuApp): void {
    this.apps.set(app.clientId, app);
  }

  /** Issues a token directly (tests that do not exercise the token endpoint). */
  issue(appId: string, resource: Resource): string {
    const app = this.apps.get(appId);
    const roles = resource === "graph" ? (app?.graphRoles ?? []) : (app?.exchangeRoles ?? []);
    const expiresAt = this.now() + this.tokenLifetimeSeconds * 1000;
    const token = [
      b64url(JSON.stringify({ typ: "JWT", alg: "RS256", kid: "emulator" })),
      b64url(
        JSON.stringify({
          aud: RESOURCE_AUDIENCE[resource],
          iss: `https://sts.windows.net/${this.tenantId}/`,
          tid: this.tenantId,
          appid: appId,
          roles,
          exp: Math.floor(expiresAt / 1000),
        }),
      ),
      randomBytes(32).toString("base64url"),
    ].join(".");
    this.tokens.set(token, { appId, resource, roles, expiresAt });
    return token;
  }

  check(authorization: string | undefined, resource: Resource): TokenCheck {
    const m = /^Bearer (.+)$/i.exec(authorization ?? "");
    if (!m?.[1]) return { ok: false, reason: "Access token is empty." };
    const token = this.tokens.get(m[1]);
    if (!token) return { ok: false, reason: "Invalid JWT token. Token signature validation failed." };
    if (token.resource !== resource)
      return { ok: false, reason: "Access token validation failure. Invalid audience." };
    if (token.expiresAt <= this.now())
      return { ok: false, reason: "Lifetime validation failed, the token is expired." };
    return { ok: true, token };
  }

  /** Every token issued so far stops working (credential rotated, app deleted). */
  revokeAll(): void {
    this.tokens.clear();
  }

  /**
   * Every token issued so far is past its lifetime (a run longer than the token's hour, or a
   * clock skew): the services answer 401 "token is expired" until a new one is fetched.
   */
  expireAll(): void {
    const past = this.now() - 1000;
    for (const [value, token] of this.tokens) this.tokens.set(value, { ...token, expiresAt: past });
  }

  /** GitHub's OIDC endpoint: GET ?audience=... with `Authorization: bearer <request token>`. */
  handleGithub(req: EmuRequest): EmuResponse {
    if (header(req, "authorization") !== `bearer ${this.githubRequestToken}`) {
      return json(401, { message: "Bad credentials" });
    }
    const aud = req.url.searchParams.get("audience") ?? "https://github.com/example";
    const exp = Math.floor(this.now() / 1000) + 300;
    const jwt = [
      b64url(JSON.stringify({ typ: "JWT", alg: "RS256", kid: "github" })),
      b64url(JSON.stringify({ iss: GITHUB_ISSUER, sub: this.githubSubject, aud, exp })),
      randomBytes(32).toString("base64url"),
    ].join(".");
    this.githubJwts.set(jwt, { sub: this.githubSubject, aud, exp });
    return json(200, { count: 1, value: jwt });
  }

  handleLogin(req: EmuRequest, loginBase: string): EmuResponse {
    const [, tenant, ...rest] = req.url.pathname.split("/");
    const path = rest.join("/");
    if (tenant !== this.tenantId) {
      return aadError(
        400,
        "invalid_tenant",
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID.`,
      );
    }
    if (req.method === "GET" && path === "v2.0/.well-known/openid-configuration") {
      const base = `${loginBase}/${tenant}`;
      return json(200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          "client_secret_post",
          "private_key_jwt",
          "client_secret_basic",
        ],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        issuer: `${base}/v2.0`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        tenant_region_scope: "EU",
        cloud_instance_name: "microsoftonline.com",
      });
    }
    if (req.method === "POST" && path === "oauth2/v2.0/token")
      return this.token(new URLSearchParams(req.bodyText));
    return aadError(
      404,
      "invalid_request",
      900561,
      `The endpoint only accepts ${req.method === "GET" ? "POST" : "GET"} requests.`,
    );
  }

  private token(form: URLSearchParams): EmuResponse {
    if (form.get("grant_type") !== "client_credentials") {
      return aadError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    }
    const clientId = form.get("client_id") ?? "";
    const app = this.apps.get(clientId);
    if (!app) {
      return aadError(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'.`,
      );
    }
    const scope = form.get("scope") ?? "";
    const resource = (Object.keys(RESOURCE_AUDIENCE) as Resource[]).find((r) =>
      scope.split(" ").includes(`${RESOURCE_AUDIENCE[r]}/.default`),
    );
    if (!resource) {
      return aadError(
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
      );
    }
    const secret = form.get("client_secret");
    const assertion = form.get("client_assertion");
    if (secret !== null) {
      if (!app.clientSecret || secret !== app.clientSecret) {
        return aadError(
          401,
          "invalid_client",
          7000215,
          "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
        );
      }
    } else if (assertion !== null) {
      if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
        return aadError(
          400,
          "invalid_request",
          90014,
          "The required field 'client_assertion_type' is missing from the credential.",
        );
      }
      const refusal = this.checkAssertion(app, assertion);
      if (refusal) return refusal;
    } else {
      return aadError(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const accessToken = this.issue(app.clientId, resource);
    return json(200, {
      token_type: "Bearer",
      expires_in: this.tokenLifetimeSeconds,
      ext_expires_in: this.tokenLifetimeSeconds,
      access_token: accessToken,
    });
  }

  private checkAssertion(app: EmuApp, assertion: string): EmuResponse | undefined {
    const github = this.githubJwts.get(assertion);
    if (github) {
      if (github.aud !== "api://AzureADTokenExchange") {
        return aadError(
          400,
          "invalid_client",
          700212,
          `No matching federated identity record found for presented assertion audience '${github.aud}'.`,
        );
      }
      if (!(app.federatedSubjects ?? []).includes(github.sub)) {
        return aadError(
          400,
          "invalid_client",
          70021,
          `No matching federated identity record found for presented assertion. Assertion Issuer: '${GITHUB_ISSUER}'. Assertion Subject: '${github.sub}'. Assertion Audience: '${github.aud}'.`,
        );
      }
      if (github.exp * 1000 <= this.now())
        return aadError(
          400,
          "invalid_client",
          700024,
          "Client assertion is not within its valid time range.",
        );
      return undefined;
    }
    const headerPart = assertion.split(".")[0] ?? "";
    let jose: { x5t?: string; "x5t#S256"?: string } = {};
    try {
      jose = JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8")) as typeof jose;
    } catch {
      return aadError(400, "invalid_client", 50027, "JWT token is invalid or malformed.");
    }
    const known = (app.certificatesPem ?? []).flatMap((pem) => thumbprints(pem));
    if ((jose.x5t && known.includes(jose.x5t)) || (jose["x5t#S256"] && known.includes(jose["x5t#S256"])))
      return undefined;
    return aadError(
      401,
      "invalid_client",
      700027,
      "The certificate with identifier used to sign the client assertion is not registered on application.",
    );
  }
}

function thumbprints(pem: string): string[] {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return [
    createHash("sha1").update(der).digest("base64url"),
    createHash("sha256").update(der).digest("base64url"),
  ];
}

function b64url(s: string): string {
  return Buffer.from(s, "utf8").toString("base64url");
}

export function newAppId(): string {
  return randomUUID();
}
