// What every rendering says the same way: how a certificate is named, how a change reads, which
// recipients are shown in which order. Plain strings here; colour and markup belong to renderers.
import { shortThumbprint, shortValueHash } from "../../model/thumbprint.js";
import { describeReason } from "../reasons.js";
import { type Authority, isCreation, type Plan, type PlannedChange, type PlanObject } from "../types.js";

/** One recipient as renderings show it: its object and what the plan does (or would do) to it. */
export interface RecipientView {
  readonly address: string;
  /** Undefined only for a plan that failed its consistency check; renderers cope anyway. */
  readonly object: PlanObject | undefined;
  readonly changes: readonly PlannedChange[];
  /** Would-remove notes (prune disabled). */
  readonly notes: readonly PlannedChange[];
  readonly publish: number;
  readonly remove: number;
}

/**
 * Recipients with changes first, then those with only would-remove notes, each group by address;
 * within a recipient, in reading order (attribute, removals first, by reason, newest first).
 */
export function recipientViews(plan: Plan): {
  readonly changed: RecipientView[];
  readonly notesOnly: RecipientView[];
} {
  const objects = new Map(plan.objects.map((o) => [o.address, o]));
  const byAddress = new Map<string, { changes: PlannedChange[]; notes: PlannedChange[] }>();
  const entry = (address: string) => {
    let e = byAddress.get(address);
    if (e === undefined) {
      e = { changes: [], notes: [] };
      byAddress.set(address, e);
    }
    return e;
  };
  for (const c of plan.changes) entry(c.address).changes.push(c);
  for (const c of plan.wouldRemove) entry(c.address).notes.push(c);
  const views = [...byAddress.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([address, e]): RecipientView => ({
        address,
        object: objects.get(address),
        changes: [...e.changes].sort(readingOrder),
        notes: [...e.notes].sort(readingOrder),
        publish: e.changes.filter((c) => c.action === "publish").length,
        remove: e.changes.filter((c) => c.action === "remove").length,
      }),
    );
  return {
    changed: views.filter((v) => v.changes.length > 0),
    notesOnly: views.filter((v) => v.changes.length === 0),
  };
}

const ATTRIBUTE_RANK: Readonly<Record<string, number>> = { userCertificate: 0, userSMIMECertificate: 1 };

/**
 * How a recipient's changes read best: by attribute, removals first, grouped by reason, newest
 * certificate first. Display only; the plan's own order (and so its id) is assemblePlan's.
 */
function readingOrder(a: PlannedChange, b: PlannedChange): number {
  return (
    (ATTRIBUTE_RANK[a.attribute] ?? 0) - (ATTRIBUTE_RANK[b.attribute] ?? 0) ||
    (a.action === b.action ? 0 : a.action === "remove" ? -1 : 1) ||
    (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0) ||
    (b.certificate?.notAfter ?? "").localeCompare(a.certificate?.notAfter ?? "") ||
    (a.valueSha256 < b.valueSha256 ? -1 : a.valueSha256 > b.valueSha256 ? 1 : 0)
  );
}

export function recipientName(view: RecipientView): string {
  return oneLine(view.object?.mail ?? view.object?.userPrincipalName ?? view.address);
}

export function authorityName(authority: Authority): string {
  switch (authority) {
    case "ad":
      return "Active Directory";
    case "exchange":
      return "Exchange Online";
    default:
      return authority satisfies never;
  }
}

/** True when apply creates the object (a partner contact that does not exist yet). */
export function isNewObject(view: RecipientView): boolean {
  return view.object !== undefined && isCreation(view.object.ref);
}

/** `will be updated in Active Directory (CN=...)`: what happens to the object, for its header. */
export function objectFate(view: RecipientView): string {
  const o = view.object;
  if (o === undefined) return "is not among the plan's objects";
  if (view.changes.length === 0) return `keeps its values in ${authorityName(o.authority)}`;
  switch (o.ref.type) {
    case "ad":
      return `will be updated in Active Directory (${oneLine(o.ref.dn)})`;
    case "exchange":
      return `will be updated in Exchange Online (${o.ref.kind})`;
    case "exchange-new-contact":
      return `will be created in Exchange Online as mail contact "${oneLine(o.ref.name)}"`;
    case "ad-new-contact":
      return `will be created in Active Directory as contact "${oneLine(o.ref.name)}" (in ${oneLine(o.ref.parentDn)})`;
    case "exchange-smime-config":
      return "will be written to Exchange Online (Set-SmimeConfig -SMIMECertificateIssuingCA)";
    default:
      return o.ref satisfies never;
  }
}

/** The CN of a distinguished name in either order (`CN=a, O=b` or `O=b,CN=a`), unescaped. */
export function commonName(subject: string): string | undefined {
  const m = /(?:^|,)\s*CN=((?:\\.|[^,\\])*)/i.exec(subject);
  return m?.[1] === undefined ? undefined : m[1].replace(/\\(.)/g, "$1").trim() || undefined;
}

/**
 * `Alice Example <alice@corp.example.com>, thumbprint 3F2A9C1B, expires 2028-02-01`: enough to
 * recognise the certificate, never its bytes. Validity is judged at the plan's policy time, not
 * the reader's clock, so a rendering of a saved plan does not change from day to day.
 */
export function valueLabel(change: PlannedChange, policyTime: string): string {
  const v = valueParts(change, policyTime);
  return change.certificate === null
    ? `${v.name} (${change.valueBytes} bytes, ${v.hash})`
    : `${v.name}, ${v.hash}, ${v.validity}`;
}

/** The pieces of valueLabel, for renderings that put them in columns (the markdown table). */
export interface ValueParts {
  /** `Alice Example <alice@corp.example.com>`, or `not a certificate`; one line. */
  readonly name: string;
  /** `thumbprint EB0A4E26`, or `SHA-256 0D6A185C` for a value that is not a certificate. */
  readonly hash: string;
  /** `expires 2028-02-01`, `expired 2025-12-31`, `valid from …, expires …`; empty for no certificate. */
  readonly validity: string;
}

export function valueParts(change: PlannedChange, policyTime: string): ValueParts {
  const cert = change.certificate;
  if (cert === null) {
    return {
      name: "not a certificate",
      hash: `SHA-256 ${shortValueHash(change.valueSha256)}`,
      validity: "",
    };
  }
  const name = commonName(cert.subject) ?? (cert.subject || "(no subject)");
  const email = cert.emails[0];
  const who =
    email !== undefined && !name.toLowerCase().includes(email.toLowerCase()) ? `${name} <${email}>` : name;
  const validity: string[] = [];
  const now = Date.parse(policyTime);
  if (Date.parse(cert.notBefore) > now) validity.push(`valid from ${day(cert.notBefore)}`);
  validity.push(`${Date.parse(cert.notAfter) <= now ? "expired" : "expires"} ${day(cert.notAfter)}`);
  return {
    name: oneLine(who),
    hash: `thumbprint ${shortThumbprint(cert.sha1)}`,
    validity: validity.join(", "),
  };
}

/** `expired: expired on 2025-12-31`; the code alone when the explanation only repeats it. */
export function reasonLabel(change: PlannedChange): string {
  const explanation = oneLine(change.explanation);
  return explanation === ""
    ? `${change.reason}: ${describeReason(change.reason)}`
    : `${change.reason}: ${explanation}`;
}

export function wouldRemoveLabel(change: PlannedChange): string {
  return `would remove (prune disabled for ${change.reason})`;
}

/** The values counted in a recipient's header: `1 to publish, 2 to remove, 1 kept`. */
export function recipientCounts(view: RecipientView): string {
  const parts: string[] = [];
  if (view.publish > 0) parts.push(`${view.publish} to publish`);
  if (view.remove > 0) parts.push(`${view.remove} to remove`);
  if (view.notes.length > 0) parts.push(`${view.notes.length} kept (prune disabled)`);
  return parts.join(", ");
}

/** Text from certificates and directories may hold anything: one line, no control characters. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ");
}

export function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}

/** `2026-01-15`: the UTC date of an ISO timestamp. */
export function day(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 10);
}

/** `2026-01-15 09:00 UTC` */
export function minute(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * What every rendering says of a partial plan (`plan --target`), after Terraform's "Resource
 * targeting is in effect"; undefined for a full plan.
 */
export function partialPlanWarning(plan: Pick<Plan, "targets">): string | undefined {
  if (plan.targets === undefined) return undefined;
  return (
    "This plan is partial: only the recipients named by --target were planned. Changes the " +
    "configuration asks for elsewhere are neither shown nor approved by it, and apply writes none of " +
    "them. Use it for an exception (one broken recipient, a rollout in steps), then plan in full."
  );
}
