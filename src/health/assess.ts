// Per recipient: does Exchange Online now hold what the authority holds? Pure, and no second
// reconcile: it reads the recipients as reconcile joined them and the plan's own drift and
// warnings (src/reconcile/drift.ts compares the values), and only classifies them.
import { CERT_ATTRIBUTES, type CertAttribute, MAX_VALUES_PER_ATTRIBUTE } from "../model/attributes.js";
import type { DriftItem, DriftKind, Plan } from "../plan/types.js";
import type { Managed } from "../reconcile/reconcile.js";
import type {
  HealthAssessment,
  HealthCause,
  HealthCauseKind,
  HealthStatus,
  HealthSummary,
  RecipientHealth,
  ValueCounts,
} from "./types.js";

/** What status reads of the plan: its drift, and the warning that a user is no longer synchronised. */
export type HealthEvidence = Pick<Plan, "drift" | "warnings">;

/** Drift saying the two sides hold different values (the others only explain why). */
const DIFFERS: ReadonlySet<DriftKind | HealthCauseKind> = new Set<DriftKind | HealthCauseKind>([
  "sync-pending",
  "mirror-stale-value",
  "sync-blocked-over-limit",
  "no-cloud-counterpart",
]);

/**
 * The recipients at `addresses` (every one in scope when null), by address. Addresses not in
 * scope any more are returned apart: a status must not silently check fewer than asked.
 */
export function assessHealth(
  recipients: readonly Managed[],
  evidence: HealthEvidence,
  addresses: ReadonlySet<string> | null,
): HealthAssessment & { readonly notInScope: readonly string[] } {
  const driftOf = new Map<string, DriftItem[]>();
  for (const d of evidence.drift) driftOf.set(d.address, [...(driftOf.get(d.address) ?? []), d]);
  const syncOff = new Map<string, string>();
  for (const w of evidence.warnings)
    if (w.code === "sync-disabled" && w.address !== undefined) syncOff.set(w.address, w.message);

  const selected = addresses === null ? recipients : recipients.filter((m) => addresses.has(m.address));
  const known = new Set(recipients.map((m) => m.address));
  const notInScope = addresses === null ? [] : [...addresses].filter((a) => !known.has(a)).sort();
  const out = selected
    .map((m) => assessOne(m, driftOf.get(m.address) ?? [], syncOff.get(m.address)))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { recipients: out, summary: summarize(out), notInScope };
}

export function summarize(list: readonly RecipientHealth[]): HealthSummary {
  const count = (s: HealthStatus) => list.filter((r) => r.status === s).length;
  return {
    recipients: list.length,
    synced: count("synced"),
    pending: count("pending"),
    blocked: count("blocked"),
  };
}

function assessOne(m: Managed, drift: readonly DriftItem[], syncOff: string | undefined): RecipientHealth {
  const values = counts(m);
  const base = { address: m.address, mail: m.mail ?? null, authority: m.authority, kind: m.kind, values };
  const total = (side: "authority" | "exchange") =>
    CERT_ATTRIBUTES.reduce((n, a) => n + (values[a][side] ?? 0), 0);
  if (m.authority === "exchange") {
    const created = m.ref.type !== "exchange-new-contact";
    const detail = created
      ? "Exchange Online is its authority: nothing to carry up"
      : "not created yet (apply creates the contact in Exchange Online)";
    return { ...base, status: "synced", causes: [], detail };
  }

  const causes: HealthCause[] = drift
    .filter((d): d is DriftItem & { kind: HealthCause["kind"] } => d.kind !== "join-fallback-upn")
    .map((d) => ({ kind: d.kind, attribute: d.attribute ?? null, message: d.message }));
  // Without a mirror reconcile computes no value drift: the counts say what waits, and over 15 blocks.
  if (m.published === null) {
    for (const a of CERT_ATTRIBUTES) {
      const n = m.current[a].length;
      if (n > MAX_VALUES_PER_ATTRIBUTE) causes.push(overLimit(a, n));
    }
    if (total("authority") > 0 && !causes.some((c) => c.kind === "no-cloud-counterpart"))
      causes.push({
        kind: "no-cloud-counterpart",
        attribute: null,
        message: "no Exchange Online recipient yet (not synchronised yet, or filtered by Entra Connect)",
      });
  }
  const differs =
    causes.some((c) => DIFFERS.has(c.kind)) && !(m.published === null && total("authority") === 0);
  if (!differs) {
    const note = causes.some((c) => c.kind === "provisioning-error")
      ? "; a provisioning error is reported, but the certificates match"
      : "";
    const detail =
      m.published === null
        ? "neither AD nor Exchange Online holds a value"
        : `Exchange Online holds what AD holds (${total("authority")} value${total("authority") === 1 ? "" : "s"})${note}`;
    return { ...base, status: "synced", causes: [], detail };
  }
  if (syncOff !== undefined) causes.push({ kind: "sync-disabled", attribute: null, message: syncOff });
  const blockers = causes.filter(
    (c) =>
      c.kind === "sync-blocked-over-limit" || c.kind === "provisioning-error" || c.kind === "sync-disabled",
  );
  const status: HealthStatus = blockers.length > 0 ? "blocked" : "pending";
  const shown = blockers.length > 0 ? blockers : causes;
  const detail = shown
    .map((c) => (c.attribute === null ? c.message : `${c.attribute}: ${c.message}`))
    .join("; ");
  return { ...base, status, causes, detail };
}

function overLimit(attribute: CertAttribute, n: number): HealthCause {
  return {
    kind: "sync-blocked-over-limit",
    attribute,
    message: `AD holds ${n} values; Entra Connect does not export an attribute with more than ${MAX_VALUES_PER_ATTRIBUTE}`,
  };
}

function counts(m: Managed): Readonly<Record<CertAttribute, ValueCounts>> {
  const of = (a: CertAttribute): ValueCounts => ({
    authority: m.current[a].length,
    exchange: m.authority === "exchange" ? m.current[a].length : (m.published?.[a].length ?? null),
  });
  return { userCertificate: of("userCertificate"), userSMIMECertificate: of("userSMIMECertificate") };
}
