// Turns a failed response of Graph or Exchange into the message an admin can act on. Both
// services wrap errors as {"error":{...}} but put the useful text in different places: Graph in
// error.message, Exchange's InvokeCommand in error.details[].message or
// error.innererror.internalexception.message (prefixed with "ExNNNNNN|Type|").
import { type ErrorCode, SmimesyncError } from "../../errors.js";

export type TenantService = "graph" | "exchange" | "login";

/** A non-success answer after retries, with what the service said. */
export class TenantHttpError extends SmimesyncError {
  readonly status: number;
  readonly service: TenantService;
  /** The service's error code (`InvalidAuthenticationToken`, `BadRequest`, ...), when given. */
  readonly serviceCode: string | undefined;
  /** The service's message, with Exchange's `ExNNNN|Type|` prefixes removed. */
  readonly serviceMessage: string;

  constructor(
    code: ErrorCode,
    message: string,
    details: {
      status: number;
      service: TenantService;
      serviceCode: string | undefined;
      serviceMessage: string;
    },
    hint?: string,
  ) {
    super(code, message, hint === undefined ? undefined : { hint });
    this.name = "TenantHttpError";
    this.status = details.status;
    this.service = details.service;
    this.serviceCode = details.serviceCode;
    this.serviceMessage = details.serviceMessage;
  }
}

export interface ParsedServiceError {
  readonly code: string | undefined;
  readonly message: string;
}

export function parseServiceError(bodyText: string, headers: Headers): ParsedServiceError {
  const diagnostics = headers.get("x-ms-diagnostics");
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return { code: undefined, message: bodyText.trim() || diagnostics || "(no error body)" };
  }
  const error = field(body, "error");
  if (typeof error === "string") {
    // OAuth token endpoint shape: {"error":"invalid_client","error_description":"AADSTS..."}
    const description = field(body, "error_description");
    return { code: error, message: typeof description === "string" ? description : error };
  }
  const code = stringField(error, "code");
  const details = field(error, "details");
  const detail = Array.isArray(details) ? stringField(details[0], "message") : undefined;
  const inner = stringField(field(field(error, "innererror"), "internalexception"), "message");
  const message = detail ?? inner ?? stringField(error, "message") ?? diagnostics ?? bodyText.trim();
  return { code, message: stripExchangePrefix(message) };
}

/** "Ex0B4B1E|System.InvalidOperationException|The operation..." -> "The operation..." */
export function stripExchangePrefix(message: string): string {
  return message.replace(/^(?:Ex[0-9A-F]{6}\|)?(?:\|?[A-Za-z][\w.]*(?:Exception|Error)\|)/, "");
}

/** Case-insensitive property access: Exchange is not consistent about casing. */
function field(value: unknown, name: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(value)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function stringField(value: unknown, name: string): string | undefined {
  const v = field(value, name);
  return typeof v === "string" ? v : undefined;
}

const ROLE_HINT =
  "The app registration needs the application permission Exchange.ManageAsApp (Office 365 Exchange Online, admin consent granted) and its service principal an Exchange admin role in Entra ID (Exchange Recipient Administrator or Exchange Administrator).";
const GRAPH_HINT =
  "The app registration needs the Microsoft Graph application permission User.Read.All, admin consent granted.";

export function errorForStatus(
  service: TenantService,
  status: number,
  parsed: ParsedServiceError,
  what: string,
): TenantHttpError {
  const details = { status, service, serviceCode: parsed.code, serviceMessage: parsed.message };
  const said = `${status}${parsed.code ? ` ${parsed.code}` : ""}: ${parsed.message}`;
  const name =
    service === "graph" ? "Microsoft Graph" : service === "exchange" ? "Exchange Online" : "Entra ID";
  if (status === 401) {
    return new TenantHttpError(
      "TENANT_AUTH",
      `${name} rejected the access token for ${what} (${said})`,
      details,
      service === "exchange"
        ? `Check tenantId and clientId. ${ROLE_HINT}`
        : "Check tenantId, clientId and the app's credential; the token must be issued for this service's audience.",
    );
  }
  if (status === 403) {
    return new TenantHttpError(
      "TENANT_FORBIDDEN",
      `${name} refused ${what}: the app lacks a permission (${said})`,
      details,
      service === "exchange" ? ROLE_HINT : GRAPH_HINT,
    );
  }
  return new TenantHttpError("TENANT_ERROR", `${name} failed ${what} (${said})`, details);
}
