// `apply --json`: what the run did as one document (schemas/apply-result.schema.json), built from
// the same plan, outcomes and per-recipient fold the text output prints.
import type { ChangeOutcome, ChangeOutcomeKind } from "../gitops/audit-record.js";
import type { Plan } from "../plan/types.js";
import { outcomeCounts, type RecipientResult, recipientResults } from "./results.js";

export interface ApplyResultDocument {
  readonly formatVersion: 1;
  readonly planId: string;
  readonly targets: readonly string[] | null;
  readonly complete: boolean;
  readonly summary: Readonly<Record<ChangeOutcomeKind, number>>;
  readonly recipients: readonly RecipientResult[];
  readonly changes: readonly {
    readonly id: string;
    readonly address: string;
    readonly attribute: string;
    readonly action: string;
    readonly reason: string;
    readonly valueSha256: string;
    readonly sha1?: string;
    readonly outcome: ChangeOutcomeKind;
    readonly message?: string;
  }[];
  readonly audit: { readonly path: string; readonly commit: string; readonly pushed: boolean } | null;
  readonly exitCode: 0 | 1;
}

export function applyResultDocument(input: {
  readonly plan: Plan;
  readonly outcomes: readonly ChangeOutcome[];
  readonly stopped: boolean;
  readonly audit: ApplyResultDocument["audit"];
}): ApplyResultDocument {
  const byChange = new Map(input.outcomes.map((x) => [x.changeId, x]));
  const changes = input.plan.changes.map((c) => {
    // A change apply never reached (a stop, a failed object before it) counts as skipped.
    const o = byChange.get(c.id) ?? { changeId: c.id, outcome: "skipped" as const, message: "not attempted" };
    return {
      id: c.id,
      address: c.address,
      attribute: c.attribute,
      action: c.action,
      reason: c.reason,
      valueSha256: c.valueSha256,
      ...(c.certificate ? { sha1: c.certificate.sha1 } : {}),
      outcome: o.outcome,
      ...(o.message !== undefined ? { message: o.message } : {}),
    };
  });
  return {
    formatVersion: 1,
    planId: input.plan.id,
    targets: input.plan.targets ?? null,
    complete: !input.stopped,
    summary: outcomeCounts(changes),
    recipients: recipientResults(input.plan, input.outcomes),
    changes,
    audit: input.audit,
    exitCode: changes.every((c) => c.outcome === "applied") ? 0 : 1,
  };
}
