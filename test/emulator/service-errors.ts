// Error bodies in the shapes the real services use, so production parsing is tested against them.
import { randomUUID } from "node:crypto";
import { type EmuResponse, json } from "./http-types.js";

/** Microsoft Graph: {"error":{"code","message","innerError":{date,request-id,client-request-id}}}. */
export function graphError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): EmuResponse {
  const requestId = randomUUID();
  return json(
    status,
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ""),
          "request-id": requestId,
          "client-request-id": requestId,
        },
      },
    },
    { "request-id": requestId, ...headers },
  );
}

export function graphUnauthorized(message: string): EmuResponse {
  return graphError(401, "InvalidAuthenticationToken", message, {
    "WWW-Authenticate":
      'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
  });
}

/**
 * Exchange's InvokeCommand: the cmdlet's exception in error.details[].message and
 * error.innererror.internalexception.message, prefixed "ExNNNNNN|Type|" (as read by New-ExoRequest).
 */
export function exchangeError(status: number, exceptionType: string, message: string): EmuResponse {
  const tag = `Ex${randomUUID().replace(/-/g, "").slice(0, 6).toUpperCase()}`;
  return json(status, {
    error: {
      code: status === 404 ? "NotFound" : status === 403 ? "Forbidden" : "BadRequest",
      message: `|${exceptionType}|${message}`,
      details: [{ code: "Context", target: "", message: `${tag}|${exceptionType}|${message}` }],
      innererror: {
        message,
        type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
        internalexception: { message, type: exceptionType, stacktrace: "" },
      },
    },
  });
}

/** Exchange rejects a bad token before any cmdlet runs: empty body, reason in x-ms-diagnostics. */
export function exchangeUnauthorized(reason: string): EmuResponse {
  return {
    status: 401,
    body: "",
    headers: {
      "WWW-Authenticate":
        'Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"',
      "x-ms-diagnostics": `2000003;reason="${reason}";error_category="invalid_token"`,
    },
  };
}

/** Entra ID token endpoint: {"error","error_description":"AADSTSnnnn: ...","error_codes":[n],...}. */
export function aadError(status: number, error: string, aadsts: number, description: string): EmuResponse {
  const traceId = randomUUID();
  return json(status, {
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
    error_codes: [aadsts],
    timestamp: new Date().toISOString(),
    trace_id: traceId,
    correlation_id: randomUUID(),
  });
}
