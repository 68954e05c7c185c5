// The one place that decides what the user sees when a command fails: a SmimesyncError is the
// user's to fix (message and hint, no stack unless --debug); anything else is a bug in smimesync.
import { type Diagnostic, DiagnosticsError, isSmimesyncError } from "../errors.js";
import type { Output } from "./output.js";

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity === "warning" ? "warning: " : ""}${d.message}`;
}

/** GitHub Actions workflow command, so the problem shows on the pull request's diff. */
export function annotation(d: Diagnostic): string {
  const esc = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  const prop = (s: string) => esc(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
  return `::${d.severity} file=${prop(d.file)},line=${d.line},col=${d.col}::${esc(d.message)}`;
}

export function printDiagnostics(
  o: Output,
  diagnostics: readonly Diagnostic[],
  env: NodeJS.ProcessEnv,
): void {
  for (const d of diagnostics) {
    const text = formatDiagnostic(d);
    o.err(d.severity === "error" ? o.color.red(text) : o.color.yellow(text));
  }
  if (env.GITHUB_ACTIONS === "true") for (const d of diagnostics) o.out(annotation(d));
}

export function reportError(o: Output, e: unknown, env: NodeJS.ProcessEnv): void {
  if (e instanceof DiagnosticsError) {
    printDiagnostics(o, e.diagnostics, env);
    o.err(o.color.red(`Error: ${e.message}`));
  } else if (isSmimesyncError(e)) {
    o.err(o.color.red(`Error: ${e.message}`));
    if (e.hint) o.err(e.hint);
  } else {
    const msg = e instanceof Error ? e.message : String(e);
    o.err(o.color.red(`Internal error: ${msg}`));
    o.err(
      "This is a bug in smimesync. Please report it with the output of the same command run with --debug.",
    );
  }
  if (o.debug && e instanceof Error && e.stack) o.err(e.stack);
}
