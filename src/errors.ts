// The few error classes the whole tool uses. Each has a stable `code` and a message written for
// the admin who reads it; the CLI maps them to exit codes once (src/cli/run.ts) and prints no
// stack trace for them unless --debug is given. Anything that is not a SmimesyncError is a bug.

export type ErrorCode =
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  | "USAGE"
  | "FILE_UNREADABLE"
  /** An input over one of the bounds of src/model/limits.ts (file size, YAML tokens). */
  | "INPUT_LIMIT"
  | "FILE_UNWRITABLE"
  | "CERT_INVALID"
  | "PRIVATE_KEY_REFUSED"
  | "SECRET_UNRESOLVED"
  | "LDAP_CONNECT"
  | "LDAP_TLS"
  /** A simple bind over plain ldap:// without `allowInsecure`: refused before connecting. */
  | "LDAP_INSECURE"
  | "LDAP_AUTH"
  | "LDAP_RIGHTS"
  | "LDAP_LIMIT"
  | "LDAP_ERROR"
  | "LDIF_INVALID"
  | "TENANT_AUTH"
  | "TENANT_FORBIDDEN"
  | "TENANT_THROTTLED"
  | "TENANT_UNAVAILABLE"
  | "TENANT_WRITE_SCOPE"
  | "TENANT_ERROR"
  | "SNAPSHOT_INVALID"
  | "PLAN_INVALID"
  | "PLAN_STALE"
  /** The plan computed at apply time holds changes no approved plan showed: nothing is written. */
  | "APPLY_UNAPPROVED"
  /** A `--target` names no recipient in scope. */
  | "TARGET_UNKNOWN"
  | "GUARD_TRIPPED"
  | "GIT_REFUSED"
  | "GITHUB_ERROR"
  | "ABORTED";

export class SmimesyncError extends Error {
  readonly code: ErrorCode;
  /** What the admin can do about it, printed after the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SmimesyncError";
    this.code = code;
    this.hint = options?.hint;
  }
}

/** A problem located in a file, as `FILE:LINE:COL: message`. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
  readonly severity: "error" | "warning";
}

/** Several located problems at once (a config with five mistakes reports five). */
export class DiagnosticsError extends SmimesyncError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(code: ErrorCode, diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === "error").length;
    super(code, `${errors} problem${errors === 1 ? "" : "s"} found`);
    this.name = "DiagnosticsError";
    this.diagnostics = diagnostics;
  }
}

export function isSmimesyncError(e: unknown): e is SmimesyncError {
  return e instanceof SmimesyncError;
}
