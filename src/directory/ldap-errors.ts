// Turns what ldapts and Node throw into SmimesyncErrors an admin can act on. AD adds a "data XXX"
// code to invalidCredentials (49) answers, e.g. "80090308: LdapErr: DSID-0C09041C, comment:
// AcceptSecurityContext error, data 52e, v4563"; Samba emulates it.
import { ResultCodeError } from "ldapts";
import { SmimesyncError } from "../errors.js";

/** AD's sub-codes of a failed bind (MS-ADTS / "Common Active Directory Bind Errors"). */
export const AD_BIND_DATA_CODES: Readonly<Record<string, string>> = {
  "525": "the user does not exist",
  "52e": "the password is wrong",
  "530": "the account may not log on at this time",
  "531": "the account may not log on from this workstation",
  "532": "the password has expired",
  "533": "the account is disabled",
  "568": "the account has too many security identifiers (token too large)",
  "701": "the account has expired",
  "773": "the password must be changed before the first logon",
  "775": "the account is locked out",
};

export function adBindDataCode(message: string): string | undefined {
  return /\bdata ([0-9a-f]{3,4})\b/i.exec(message)?.[1]?.toLowerCase();
}

/** Plain-language reason of a failed bind, from AD's data code when there is one. */
export function describeBindFailure(message: string): string {
  const code = adBindDataCode(message);
  const known = code === undefined ? undefined : AD_BIND_DATA_CODES[code];
  if (known !== undefined) return `${known} (AD code ${code})`;
  return code === undefined ? "invalid credentials" : `invalid credentials (AD code ${code})`;
}

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
  "EADDRNOTAVAIL",
]);

function nodeCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function isTlsFailure(e: unknown): boolean {
  const code = nodeCode(e);
  if (code !== undefined && /CERT|SSL|TLS|SIGNATURE|ISSUER|EPROTO|ALTNAME/.test(code)) return true;
  const message = e instanceof Error ? e.message : "";
  return /certificate|self[- ]signed|SSL routines|TLS/i.test(message) && !(e instanceof ResultCodeError);
}

export interface LdapErrorContext {
  /** What was being done, e.g. `binding as svc-smimesync@corp.example.com`. */
  readonly operation: string;
  /** The server, e.g. `ldaps://dc01.corp.example.com:636`. */
  readonly server: string;
}

/** Any failure while talking to the server, as a SmimesyncError (passes those through). */
export function toLdapError(e: unknown, ctx: LdapErrorContext): SmimesyncError {
  if (e instanceof SmimesyncError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const where = `${ctx.operation} on ${ctx.server}`;
  const code = nodeCode(e);
  if (isTlsFailure(e)) {
    return new SmimesyncError("LDAP_TLS", `TLS failure ${where}: ${message}${code ? ` (${code})` : ""}`, {
      hint:
        "Point directory.tls.caFile at the PEM of the CA that issued the domain controller's certificate, " +
        "and make the URL's host (or directory.tls.serverName) match a name in that certificate.",
      cause: e,
    });
  }
  if (
    (code !== undefined && CONNECT_CODES.has(code)) ||
    /Connection timeout|Socket connection not established|Connection closed/i.test(message)
  ) {
    return new SmimesyncError("LDAP_CONNECT", `cannot reach the directory ${where}: ${message}`, {
      hint: "Check the URL, the port (636 for ldaps, 389 for StartTLS), DNS, and firewalls between here and the domain controller.",
      cause: e,
    });
  }
  if (/Operation timed out/i.test(message)) {
    return new SmimesyncError("LDAP_CONNECT", `the directory did not answer in time ${where}`, {
      hint: "Raise directory.timeoutSeconds or check the domain controller's load.",
      cause: e,
    });
  }
  if (e instanceof ResultCodeError) return fromResultCode(e, where);
  return new SmimesyncError("LDAP_ERROR", `LDAP error ${where}: ${message}`, { cause: e });
}

function fromResultCode(e: ResultCodeError, where: string): SmimesyncError {
  switch (e.code) {
    case 49:
      return new SmimesyncError("LDAP_AUTH", `bind refused ${where}: ${describeBindFailure(e.message)}`, {
        hint: "Check directory.bind.dn (a DN or user@domain) and the password its secret reference resolves to.",
        cause: e,
      });
    case 7: // authMethodNotSupported
    case 8: // strongAuthRequired
    case 13: // confidentialityRequired
      return new SmimesyncError(
        "LDAP_TLS",
        `the server requires a protected connection ${where}: ${e.message}`,
        {
          hint: "Use ldaps:// or directory.tls.startTLS: true.",
          cause: e,
        },
      );
    case 50: // insufficientAccessRights
      return new SmimesyncError("LDAP_RIGHTS", `insufficient access rights ${where}: ${e.message}`, {
        hint:
          "Grant the bind account read access to the user attributes and, for apply, " +
          "'Write userCertificate' and 'Write userSMIMECertificate' on the OUs in scope.",
        cause: e,
      });
    case 4: // sizeLimitExceeded
    case 11: // adminLimitExceeded
      return new SmimesyncError(
        "LDAP_LIMIT",
        `the server's size or admin limit was exceeded ${where}: ${e.message}`,
        {
          hint: "smimesync pages at 1,000 entries (AD's MaxPageSize); check lDAPAdminLimits or narrow the scope.",
          cause: e,
        },
      );
    case 3: // timeLimitExceeded
      return new SmimesyncError("LDAP_LIMIT", `the server's time limit was exceeded ${where}: ${e.message}`, {
        hint: "Narrow the scope or raise the server's MaxQueryDuration.",
        cause: e,
      });
    case 32: // noSuchObject
      return new SmimesyncError("LDAP_ERROR", `no such object ${where}: ${e.message}`, {
        hint: "Check the DNs in directory.baseDN and scope (ous, groups): they must exist in the directory.",
        cause: e,
      });
    default:
      return new SmimesyncError("LDAP_ERROR", `LDAP error ${e.code} ${where}: ${e.message}`, { cause: e });
  }
}
