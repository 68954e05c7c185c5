import { resolve } from "node:path";
import { Command, Option } from "commander";
import { SmimesyncError } from "../../errors.js";
import type { AuditEntry } from "../../gitops/audit-query.js";
import { shortThumbprint, shortValueHash } from "../../model/thumbprint.js";
import type { CommandFactory } from "../context.js";
import { EXIT_OK } from "../exit-codes.js";
import type { Output } from "../output.js";

interface AuditOptions {
  readonly mail?: string;
  readonly thumbprint?: string;
  readonly since?: string;
  readonly format: "text" | "json";
  readonly C?: string;
}

export const auditCommand: CommandFactory = (ctx) =>
  new Command("audit")
    .description(
      "who published or removed which certificate, when and why: read from the audit commits in git",
    )
    .option("--mail <address>", "changes for this recipient (or certificates naming this address)")
    .option(
      "--thumbprint <hex>",
      "changes of this certificate: SHA-1 or SHA-256, any case, a prefix of 4+ digits",
    )
    .option("--since <date>", "only applies since DATE (2025-01-31, an ISO date-time, or 30d / 12h / 2w ago)")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("-C <dir>", "the configuration repository (default: the current directory)")
    .addHelpText(
      "after",
      "\nEach apply commits a record under audit/YYYY/MM/ (schemas/audit.schema.json). This command reads\n" +
        "the records from the commits that added them, so it answers from history even for records\n" +
        "deleted since. Newest first.",
    )
    .action(async (opts: AuditOptions) => {
      const { queryAudit } = await import("../../gitops/audit-query.js");
      const o = ctx.output();
      const dir = resolve(ctx.cwd, opts.C ?? ".");
      const since = opts.since === undefined ? undefined : parseSince(opts.since, new Date());
      const result = await queryAudit(dir, {
        ...(opts.mail !== undefined ? { mail: opts.mail } : {}),
        ...(opts.thumbprint !== undefined ? { thumbprint: opts.thumbprint } : {}),
        ...(since !== undefined ? { since } : {}),
      });
      for (const p of result.problems) {
        o.err(o.color.yellow(`warning: ${p.path} in ${p.commit.slice(0, 12)}: ${p.problem}`));
      }
      if (opts.format === "json") {
        o.out(JSON.stringify(result.entries, null, 2));
      } else {
        printText(o, result.entries);
      }
      ctx.setExitCode(EXIT_OK);
    });

function printText(o: Output, entries: readonly AuditEntry[]): void {
  if (entries.length === 0) {
    o.out("No audited change matches.");
    return;
  }
  for (const e of entries) {
    const c = e.change;
    const sym = c.action === "publish" ? o.color.green("+") : o.color.red("-");
    const outcome = c.outcome === "applied" ? c.outcome : o.color.yellow(c.outcome);
    const cert = c.certificate
      ? `${c.certificate.subject}, thumbprint ${shortThumbprint(c.certificate.sha1)}`
      : `value SHA-256 ${shortValueHash(c.valueSha256)}`;
    const where = [
      e.actor.name,
      e.pullRequest ? `PR #${e.pullRequest}` : null,
      `commit ${e.commit.slice(0, 12)}`,
    ]
      .filter((x) => x !== null)
      .join(", ");
    o.out(
      `${e.appliedAt.replace(/\.\d{3}Z$/, "Z")} ${sym} ${c.mail ?? c.address} ${c.attribute} ${cert} ` +
        `(${c.reason}) ${outcome}${c.message && c.outcome !== "applied" ? `: ${c.message}` : ""} [${where}]`,
    );
  }
  const applies = new Set(entries.map((e) => e.commit)).size;
  o.out(
    `${entries.length} change${entries.length === 1 ? "" : "s"} in ${applies} appl${applies === 1 ? "y" : "ies"}.`,
  );
}

/** `2025-01-31`, an ISO date-time, or `30d` / `12h` / `2w` before `now`. */
export function parseSince(text: string, now: Date): Date {
  const rel = /^(\d+)\s*([hdw])$/.exec(text.trim());
  if (rel) {
    const hours = Number(rel[1]) * ({ h: 1, d: 24, w: 24 * 7 } as const)[rel[2] as "h" | "d" | "w"];
    return new Date(now.getTime() - hours * 3_600_000);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    // A bare date means midnight UTC, the same day for every reader of a shared audit trail.
    const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00:00Z` : text.trim());
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new SmimesyncError("USAGE", `--since ${text}: not a date`, {
    hint: "Give a date (2025-01-31), an ISO date-time (2025-01-31T12:00:00Z) or an age (30d, 12h, 2w).",
  });
}
