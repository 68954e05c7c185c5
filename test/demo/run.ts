// Runs the CLI in-process (test/helpers/cli.ts) with the policy time pinned through the
// engine seam, so plan and apply evaluate the demo at the instant it was made for.
import { type CliRun, runCli } from "../helpers/cli.js";

export function runAt(now: Date, args: readonly string[], cwd: string): Promise<CliRun> {
  return runCli(args, { cwd, seams: { now } });
}

/** The lines of one recipient's block in a text plan, from its `# address` line to its `}`. */
export function block(plan: string, address: string): string {
  const start = plan.indexOf(`  # ${address} `);
  if (start < 0) return "";
  const end = plan.indexOf("\n    }", start);
  return plan.slice(start, end < 0 ? undefined : end);
}

export const count = (text: string, re: RegExp): number =>
  text.match(new RegExp(re.source, "g"))?.length ?? 0;
