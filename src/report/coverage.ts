// Per recipient: can senders encrypt to it now, and until when. Pure: the recipients as reconcile
// joined them, the plan's drift and warnings (for what blocks the sync) and the policy as a port.
import { type AttributeValues, CERT_ATTRIBUTES, MAX_VALUES_PER_ATTRIBUTE } from "../model/attributes.js";
import type { Plan } from "../plan/types.js";
import type { Managed } from "../reconcile/reconcile.js";
import type { CoverageJudge, JudgedCertificate } from "./ports.js";
import type { Blocker, RecipientCoverage, UsableCertificate } from "./types.js";

/** What the report reads of the plan: drift and warnings saying a sync is blocked; its publications. */
export type PlanEvidence = Pick<Plan, "drift" | "warnings" | "changes">;

export function recipientCoverage(
  recipients: readonly Managed[],
  evidence: PlanEvidence,
  judge: CoverageJudge,
): RecipientCoverage[] {
  const provisioning = new Set(
    evidence.drift.filter((d) => d.kind === "provisioning-error").map((d) => d.address),
  );
  const syncOff = new Set<string | undefined>(
    evidence.warnings.filter((w) => w.code === "sync-disabled").map((w) => w.address),
  );
  const publishes = new Map<string, number>();
  for (const c of evidence.changes)
    if (c.action === "publish") publishes.set(c.address, (publishes.get(c.address) ?? 0) + 1);
  return recipients
    .map((m) => coverageOf(m, blockersOf(m, provisioning, syncOff), publishes.get(m.address) ?? 0, judge))
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

function blockersOf(
  m: Managed,
  provisioning: ReadonlySet<string>,
  syncOff: ReadonlySet<string | undefined>,
): Blocker[] {
  // Exchange Online is its own authority: nothing sits between it and Outlook.
  if (m.authority !== "ad") return [];
  const out: Blocker[] = [];
  // Entra Connect does not export an attribute holding more than 15 values (domain.md).
  if (CERT_ATTRIBUTES.some((a) => m.current[a].length > MAX_VALUES_PER_ATTRIBUTE)) out.push("over-limit");
  if (provisioning.has(m.address)) out.push("provisioning-error");
  if (syncOff.has(m.address)) out.push("sync-disabled");
  return out;
}

function coverageOf(
  m: Managed,
  blockers: readonly Blocker[],
  planned: number,
  judge: CoverageJudge,
): RecipientCoverage {
  const identity = { mail: m.mail, proxyAddresses: m.proxyAddresses };
  const judged = judge.judge(identity, allValues(m.current));
  const usable = judged.filter((j): j is Extract<JudgedCertificate, { usable: true }> => j.usable);
  const inExchange = m.published === null ? new Set<string>() : judge.certificatesIn(allValues(m.published));
  const published = usable.filter((u) => inExchange.has(u.certificate.sha256));
  const base = {
    address: m.address,
    mail: m.mail ?? null,
    authority: m.authority,
    kind: m.kind,
    ou: ouOf(m),
    blockers,
  };
  if (published.length > 0) return { ...base, status: "covered", best: longest(published), note: null };
  if (usable.length > 0) {
    const best = longest(usable);
    if (blockers.length > 0)
      return { ...base, status: "blocked", best, note: `not in Exchange Online: ${blockers.join(", ")}` };
    const note =
      m.published === null
        ? "no Exchange Online recipient yet (not synchronised, or created by apply)"
        : "in AD, not yet in Exchange Online (waiting for Entra Connect)";
    return { ...base, status: "pending", best, note };
  }
  const created = m.ref.type === "exchange-new-contact" || m.ref.type === "ad-new-contact";
  const plan = planned === 0 ? "" : `; the plan publishes ${planned} value${planned === 1 ? "" : "s"}`;
  const why = created ? "not created yet (apply creates the contact)" : noneNote(judged);
  return { ...base, status: "none", best: null, note: why + plan };
}

function allValues(v: AttributeValues): Uint8Array[] {
  return CERT_ATTRIBUTES.flatMap((a) => v[a]);
}

/** Latest `until`, then latest notAfter, then thumbprint: one answer for the same state. */
function longest(list: readonly UsableCertificate[]): UsableCertificate {
  const key = (u: UsableCertificate) => `${u.until}|${u.certificate.notAfter}|${u.certificate.sha256}`;
  const { certificate, until, limitedBy } = list.reduce((a, b) => (key(b) > key(a) ? b : a));
  return { certificate, until, limitedBy };
}

/** Why nobody can encrypt to it: the verdict on its newest certificate, or that it has none. */
function noneNote(judged: readonly JudgedCertificate[]): string {
  const rejected = judged.filter((j): j is Extract<JudgedCertificate, { usable: false }> => !j.usable);
  if (rejected.length === 0) return "no certificate at its authority";
  const newest = rejected.reduce((a, b) => (b.certificate.notAfter > a.certificate.notAfter ? b : a));
  const more = rejected.length > 1 ? ` (and ${rejected.length - 1} more refused)` : "";
  return `${newest.reason}: ${newest.explanation}${more}`;
}

export const EXCHANGE_USERS_OU = "Exchange Online (cloud-only)";
export const EXCHANGE_CONTACTS_OU = "Exchange Online (partner contacts)";

/** The container a recipient lives in: the parent of its AD DN, or where in Exchange Online. */
function ouOf(m: Managed): string {
  switch (m.ref.type) {
    case "ad":
      return parentDn(m.ref.dn);
    case "ad-new-contact":
      return m.ref.parentDn;
    case "exchange":
    case "exchange-new-contact":
      return m.kind === "contact" ? EXCHANGE_CONTACTS_OU : EXCHANGE_USERS_OU;
    case "exchange-smime-config":
      return EXCHANGE_USERS_OU; // never a recipient; listed for exhaustiveness
    default:
      return m.ref satisfies never;
  }
}

/** Everything after the first unescaped comma (an escaped one is `\,`; `\2C` holds no comma). */
export function parentDn(dn: string): string {
  for (let i = 0; i < dn.length; i++) {
    if (dn[i] === "\\") i++;
    else if (dn[i] === ",") return dn.slice(i + 1).trim();
  }
  return dn;
}
