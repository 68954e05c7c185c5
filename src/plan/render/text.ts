// The plan for a terminal, in Terraform's habits: a legend, one block per recipient with `+`/`-`
// per value and `~` (or `+` for an object apply creates) per recipient, reasons as comments,
// would-remove notes dimmed, drift and warnings, and the closing `Plan: ...` line. Colour comes from
// the caller's chalk instance (level 0 gives plain text), so the CLI alone decides about TTYs.
import type { ChalkInstance } from "chalk";
import { describeDrift } from "../reasons.js";
import { summaryLine } from "../summary.js";
import type { Plan, PlannedChange } from "../types.js";
import {
  isNewObject,
  minute,
  objectFate,
  oneLine,
  partialPlanWarning,
  type RecipientView,
  reasonLabel,
  recipientName,
  recipientViews,
  shortCommit,
  valueLabel,
  wouldRemoveLabel,
} from "./describe.js";

/** Attribute names padded to the longest (`userSMIMECertificate`), so certificates line up. */
const ATTRIBUTE_WIDTH = 20;

export function renderText(plan: Plan, color: ChalkInstance): string {
  const out: string[] = [];
  const { changed, notesOnly } = recipientViews(plan);
  out.push(color.dim(headerLine(plan)), "");
  const partial = partialPlanWarning(plan);
  if (partial !== undefined) {
    out.push(
      color.yellow.bold(
        `Warning: targeting is in effect (--target ${(plan.targets ?? []).map(oneLine).join(", ")}).`,
      ),
      `  ${partial}`,
      "",
    );
  }

  if (changed.length > 0) {
    out.push(
      "Actions are shown with these symbols:",
      `  ${color.green("+")} publish a certificate (or create a recipient)`,
      `  ${color.red("-")} remove a certificate`,
      `  ${color.yellow("~")} update a recipient`,
      "",
      "smimesync will perform the following actions:",
      "",
    );
    for (const view of changed) out.push(...recipientBlock(view, plan, color), "");
  }
  if (notesOnly.length > 0) {
    out.push("Kept, because prune is disabled for their reasons:", "");
    for (const view of notesOnly) out.push(...recipientBlock(view, plan, color), "");
  }
  if (plan.drift.length > 0) {
    out.push(`${color.bold("Drift")} (for information; this plan does not change it):`);
    for (const d of plan.drift) {
      const where = d.attribute === undefined ? d.address : `${d.address} ${d.attribute}`;
      out.push(`  ${color.yellow("!")} ${oneLine(where)}: ${describeDrift(d.kind)}: ${oneLine(d.message)}`);
    }
    out.push("");
  }
  if (plan.warnings.length > 0) {
    out.push(color.bold("Warnings:"));
    for (const w of plan.warnings) {
      const where = w.address === undefined ? "" : ` ${oneLine(w.address)}`;
      out.push(`  ${color.yellow("!")} ${oneLine(w.code)}${where}: ${oneLine(w.message)}`);
    }
    out.push("");
  }
  out.push(color.bold(`${summaryLine(plan)}${partial === undefined ? "" : " (partial plan: --target)"}`));
  return `${out.join("\n")}\n`;
}

function headerLine(plan: Plan): string {
  const git = plan.source.git;
  const at =
    git === null ? "" : ` at commit ${shortCommit(git.commit)}${git.dirty ? " (uncommitted changes)" : ""}`;
  return `Plan ${plan.id} for ${oneLine(plan.source.configPath)}${at}, policy time ${minute(plan.policyTime)}`;
}

function recipientBlock(view: RecipientView, plan: Plan, color: ChalkInstance): string[] {
  const lines = [color.bold(`  # ${oneLine(view.address)} ${objectFate(view)}`)];
  const name = JSON.stringify(recipientName(view));
  // The tenant's trust collection is a resource of its own, not a recipient.
  const noun = view.object?.kind === "trust-collection" ? "trust-collection" : "recipient";
  if (view.changes.length === 0) lines.push(`    ${noun} ${name} {`);
  else if (isNewObject(view)) lines.push(`  ${color.green("+")} ${noun} ${name} {`);
  else lines.push(`  ${color.yellow("~")} ${noun} ${name} {`);
  for (const c of view.changes) lines.push(...changeLines(c, plan, color));
  for (const c of view.notes) lines.push(...noteLines(c, plan, color));
  lines.push("    }");
  return lines;
}

function changeLines(c: PlannedChange, plan: Plan, color: ChalkInstance): string[] {
  const symbol = c.action === "publish" ? color.green("+") : color.red("-");
  return [
    `      ${symbol} ${c.attribute.padEnd(ATTRIBUTE_WIDTH)} ${valueLabel(c, plan.policyTime)}`,
    color.dim(`          # ${reasonLabel(c)}`),
  ];
}

function noteLines(c: PlannedChange, plan: Plan, color: ChalkInstance): string[] {
  // Same columns as a change, `#` in the symbol's place: visibly not an action.
  return [
    color.dim(`      # ${c.attribute.padEnd(ATTRIBUTE_WIDTH)} ${valueLabel(c, plan.policyTime)}`),
    color.dim(`          # ${wouldRemoveLabel(c)}: ${oneLine(c.explanation)}`),
  ];
}
