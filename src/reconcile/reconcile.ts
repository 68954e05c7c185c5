// Observed directory + observed tenant + policy -> what the plan holds. Pure: no I/O, no clock
// (the policy port carries `now`). The semantics are those of architecture.md, "Semantics":
// each recipient has one authority; candidates are the authority's values plus the repository's,
// never the mirror's; changes are per value; removals run only for pruned reasons.
import { passesPatterns } from "../directory/pattern.js";
import type { DirectoryRecipient } from "../directory/types.js";
import {
  type AttributeValues,
  emptyValues,
  MAX_VALUE_BYTES,
  MAX_VALUES_PER_ATTRIBUTE,
} from "../model/attributes.js";
import { sha256Hex as sha256 } from "../model/digest.js";
import type { ObjectFingerprint } from "../model/fingerprint.js";
import type { ChangeInput, PlanInput } from "../plan/assemble.js";
import { BLOCKED_WARNING } from "../plan/summary.js";
import type { Authority, DriftItem, ObjectKind, ObjectRef, PlanObject, PlanWarning } from "../plan/types.js";
import { valueDigest, valueFields } from "../plan/value.js";
import type { CloudUser, ExchangeRecipient } from "../tenant/types.js";
import { directoryAddress, exchangeAddress, smtpAddresses } from "./addresses.js";
import { mirrorDrift } from "./drift.js";
import type { Fingerprinter, ObservedState, PartnerContact, ReconcileSettings } from "./observed.js";
import type { Candidate, PolicyPort } from "./ports.js";
import { exchangeProvisioningErrors, serviceErrorMessage } from "./provisioning.js";

/** What reconcile decides: the plan's content, before assemblePlan names, sorts and counts it. */
export type ReconcileResult = Pick<
  PlanInput,
  "objects" | "changes" | "wouldRemove" | "drift" | "warnings" | "inScope"
> & {
  /**
   * Every recipient in scope, as joined (what the coverage report reads: src/report); empty
   * unless the Reconciler keeps them (`keepRecipients`).
   */
  readonly recipients: readonly Managed[];
};

/** A recipient smimesync manages, at its authority. */
export interface Managed {
  readonly address: string;
  readonly authority: Authority;
  readonly kind: ObjectKind;
  readonly ref: ObjectRef;
  readonly mail: string | undefined;
  readonly userPrincipalName: string | undefined;
  readonly proxyAddresses: readonly string[];
  /** Values at the authority: the candidates, and what changes are computed against. */
  readonly current: AttributeValues;
  readonly fingerprint: ObjectFingerprint | null;
  /** Partner contacts: every certificate comes from the repository. */
  readonly contactValues?: readonly Uint8Array[];
  /**
   * What Exchange Online holds for it, where Outlook looks: the authority's own values for an
   * Exchange recipient, the joined (synced) recipient's for AD; null when there is none yet.
   */
  readonly published: AttributeValues | null;
}

/** The tenant side, read whole and indexed before the directory streams past (observed.ts). */
export type TenantObserved = Pick<ObservedState, "cloudUsers" | "exchange">;

/** The batch form: every AD object of `observed` through one Reconciler. */
export function reconcile(
  observed: ObservedState,
  settings: ReconcileSettings,
  policy: PolicyPort,
  fingerprints: Fingerprinter,
): ReconcileResult {
  const r = new Reconciler(observed, settings, policy, fingerprints, { keepRecipients: true });
  for (const ad of observed.directory ?? []) r.directory(ad);
  return r.finish(observed.adContacts);
}

/**
 * Reconcile as a stream: the tenant side is indexed once, then each AD object of the users' scope
 * is joined and planned as it is read (`directory`), so the directory need never be held whole;
 * `finish` adds the cloud-only recipients and the partner contacts. Same result as `reconcile`.
 */
export class Reconciler {
  private readonly drift: DriftItem[] = [];
  private readonly warnings: PlanWarning[] = [];
  private readonly managed: Managed[] = [];
  private inScope = 0;
  private readonly objects: PlanObject[] = [];
  private readonly changes: ChangeInput[] = [];
  private readonly wouldRemove: ChangeInput[] = [];
  /** Every address a managed recipient answers to: a declaration reaching none is a typo. */
  private readonly reachable = new Set<string>();
  private readonly usersByAnchor: Map<string, CloudUser>;
  private readonly usersByUpn: Map<string, CloudUser>;
  private readonly exchangeById: Map<string, ExchangeRecipient>;

  constructor(
    private readonly tenant: TenantObserved,
    private readonly settings: ReconcileSettings,
    private readonly policy: PolicyPort,
    private readonly fingerprints: Fingerprinter,
    /** Keep every recipient for the result (coverage); otherwise each is let go once planned. */
    private readonly options: { readonly keepRecipients: boolean },
  ) {
    this.usersByAnchor = indexBy(tenant.cloudUsers, (u) => u.onPremisesImmutableId ?? undefined);
    this.usersByUpn = indexBy(tenant.cloudUsers, (u) => u.userPrincipalName.toLowerCase());
    this.exchangeById = indexBy(tenant.exchange, (r) => r.externalDirectoryObjectId);
  }

  /** An AD object in the users' scope (authority AD, mirrored by its joined cloud user's recipient). */
  directory(ad: DirectoryRecipient): void {
    if (ad.kind !== "user") return;
    const { drift, warnings } = this;
    const address = directoryAddress(ad);
    const cloud = joinCloudUser(ad, address, this.usersByAnchor, this.usersByUpn, drift);
    if (cloud && cloud.onPremisesProvisioningErrors.length > 0) {
      const e = cloud.onPremisesProvisioningErrors[0];
      drift.push({
        kind: "provisioning-error",
        address,
        message: `Entra ID reports a provisioning error${e?.propertyCausingError ? ` on ${e.propertyCausingError}` : ""}${e?.category ? ` (${e.category})` : ""}`,
      });
    }
    const exchangeError = cloud ? exchangeProvisioningErrors(cloud)[0] : undefined;
    if (exchangeError)
      drift.push({ kind: "provisioning-error", address, message: serviceErrorMessage(exchangeError) });
    if (cloud && cloud.onPremisesSyncEnabled !== true) {
      // Joined, but Entra Connect no longer carries this user up: what is written in AD stays there.
      warnings.push({
        code: "sync-disabled",
        address,
        message: `the Entra ID user ${cloud.userPrincipalName} is not synchronised from AD (onPremisesSyncEnabled ${String(cloud.onPremisesSyncEnabled)}); certificates written in AD will not reach Exchange Online`,
      });
    }
    const mirror = cloud ? this.exchangeById.get(cloud.id) : undefined;
    if (mirror) drift.push(...mirrorDrift(address, ad.values, mirror.values));
    this.plan({
      address,
      authority: "ad",
      kind: "user",
      ref: { type: "ad", objectGuid: ad.objectGuid, dn: ad.dn },
      mail: ad.mail,
      userPrincipalName: ad.userPrincipalName,
      proxyAddresses: ad.proxyAddresses,
      current: ad.values,
      fingerprint: this.fingerprints.directory(ad),
      published: mirror?.values ?? null,
    });
  }

  /**
   * The cloud-only recipients and the partner contacts, then the result. `adContacts`: the AD
   * contacts read under the contacts OU (absent: none read; null: no directory).
   */
  finish(adContacts: ObservedState["adContacts"]): ReconcileResult {
    const { tenant, settings, drift, warnings, fingerprints } = this;
    // Cloud-only mailboxes and mail users: authority Exchange Online.
    if (settings.cloudOnly) {
      const usersById = indexBy(tenant.cloudUsers, (u) => u.id);
      for (const rec of tenant.exchange) {
        if (rec.kind === "MailContact" || rec.isDirSynced) continue;
        const user = rec.externalDirectoryObjectId ? usersById.get(rec.externalDirectoryObjectId) : undefined;
        if (user?.onPremisesSyncEnabled === true) continue;
        if (user && !user.accountEnabled && !settings.includeDisabled) continue;
        const subject = {
          mail: rec.primarySmtpAddress,
          userPrincipalName: user?.userPrincipalName,
          sAMAccountName: undefined,
        };
        if (!passesPatterns(subject, settings.include, settings.exclude)) continue;
        this.plan(exchangeManaged(rec, "user", user?.userPrincipalName, fingerprints));
      }
    }

    // Partner contacts declared in the repository.
    const contactsByMail = new Map<string, ExchangeRecipient>();
    for (const rec of tenant.exchange) {
      if (rec.kind !== "MailContact") continue;
      for (const a of [rec.primarySmtpAddress.toLowerCase(), ...smtpAddresses(rec.emailAddresses)])
        contactsByMail.set(a, rec);
    }
    // AD contacts by every address they answer to (mail and smtp proxy addresses).
    const adContactsByMail = new Map<string, DirectoryRecipient>();
    for (const c of adContacts ?? []) {
      for (const a of [...(c.mail ? [c.mail.toLowerCase()] : []), ...smtpAddresses(c.proxyAddresses)])
        if (!adContactsByMail.has(a)) adContactsByMail.set(a, c);
    }
    for (const contact of settings.contacts) {
      const mail = contact.mail.toLowerCase();
      if (contact.authority === "ad") {
        if (adContacts === undefined || adContacts === null) {
          warnings.push({
            code: "contact-authority-ad-no-directory",
            address: `ad:contact/${mail}`,
            message: `partner ${mail} has authority: ad, but no directory was read; configure one, or publish it as an Exchange contact (authority: exchange)`,
          });
          continue;
        }
        this.plan(
          adContactManaged(contact, contact.parentDn, adContactsByMail, contactsByMail, drift, fingerprints),
        );
        continue;
      }
      const existing = contactsByMail.get(mail);
      if (existing) {
        this.plan({
          ...exchangeManaged(existing, "contact", undefined, fingerprints),
          contactValues: contact.values,
        });
      } else {
        this.plan(
          newContact(
            exchangeAddress({ kind: "MailContact", primarySmtpAddress: mail }),
            "exchange",
            { type: "exchange-new-contact", name: contact.name, externalEmailAddress: contact.mail },
            contact,
          ),
        );
      }
    }

    // Declarations that reach nobody are worth a warning: usually a typo in the mail.
    for (const mail of settings.declared.keys()) {
      if (!this.reachable.has(mail)) {
        warnings.push({
          code: "declared-unmatched",
          message: `repository certificates for ${mail} match no recipient in scope`,
        });
      }
    }
    const { objects, changes, wouldRemove, managed } = this;
    return { objects, changes, wouldRemove, drift, warnings, inScope: this.inScope, recipients: managed };
  }

  /** One recipient's changes, now: its plan object when it has any. */
  private plan(m: Managed): void {
    this.inScope++;
    if (this.options.keepRecipients) this.managed.push(m);
    for (const a of identityAddresses(m)) this.reachable.add(a);
    const before = this.changes.length + this.wouldRemove.length;
    planRecipient(m, this.settings, this.policy, this.changes, this.wouldRemove, this.warnings);
    if (this.changes.length + this.wouldRemove.length > before) {
      this.objects.push({
        address: m.address,
        authority: m.authority,
        kind: m.kind,
        ref: m.ref,
        mail: m.mail ?? null,
        userPrincipalName: m.userPrincipalName ?? null,
        fingerprint: m.fingerprint,
      });
    }
  }
}

function planRecipient(
  m: Managed,
  settings: ReconcileSettings,
  policy: PolicyPort,
  changes: ChangeInput[],
  wouldRemove: ChangeInput[],
  warnings: PlanWarning[],
): void {
  const identity = { mail: m.mail, proxyAddresses: m.proxyAddresses };
  const declared = m.contactValues ?? identityAddresses(m).flatMap((a) => settings.declared.get(a) ?? []);
  for (const attribute of policy.attributes) {
    const current = dedupe(m.current[attribute]);
    const sibling = attribute === "userCertificate" ? "userSMIMECertificate" : "userCertificate";
    const candidates: Candidate[] = [
      ...current.map((bytes) => ({ bytes, sha256: sha256(bytes), source: "authority" as const })),
      ...dedupe(m.current[sibling]).map((bytes) => ({
        bytes,
        sha256: sha256(bytes),
        source: "sibling" as const,
      })),
      ...declared.map((bytes) => ({ bytes, sha256: sha256(bytes), source: "repository" as const })),
    ];
    const outcome = policy.decide(identity, attribute, candidates);
    for (const w of outcome.warnings) warnings.push({ code: w.code, address: m.address, message: w.message });

    const desired = new Set(outcome.desired.map((d) => d.sha256));
    const present = new Set(current.map(sha256));
    const base = { address: m.address, authority: m.authority, attribute };
    const pruned: ChangeInput[] = [];
    let kept: ChangeInput[] = [];
    for (const bytes of current) {
      const digest = sha256(bytes);
      if (desired.has(digest)) continue;
      const rejection = outcome.rejected.get(digest) ?? {
        reason: "superseded" as const,
        explanation: "not among the certificates the policy selects",
        certificate: policy.describe(bytes),
        prune: policy.prunes("superseded"),
      };
      const change: ChangeInput = {
        ...base,
        action: "remove",
        reason: rejection.reason,
        explanation: rejection.explanation,
        ...valueDigest(bytes),
        certificate: rejection.certificate,
      };
      (rejection.prune ? pruned : kept).push(change);
    }
    const publish = outcome.desired.filter((d) => !present.has(d.sha256));
    // The limit counts what stays, whatever label the policy gave it: a value kept only because
    // its own reason (superseded, expired...) is not pruned still blocks Entra Connect's export.
    const limit = policy.maxPerUser;
    const excess = current.length - pruned.length + publish.length - limit;
    if (excess > 0 && policy.prunes("over-limit")) {
      const [go, stay] = splitOldest(kept, excess);
      for (const c of go) pruned.push(overLimit(c, limit));
      kept = stay;
    }
    changes.push(...pruned);
    wouldRemove.push(...kept);
    const remaining = current.length - pruned.length;
    if (remaining > MAX_VALUES_PER_ATTRIBUTE) warnings.push(blockedWarning(m, attribute, remaining, kept));
    const finalCount = remaining + publish.length;
    if (publish.length > 0 && finalCount > MAX_VALUES_PER_ATTRIBUTE) {
      // Never write a 16th value: Entra Connect would then stop exporting the attribute at all.
      warnings.push({
        code: "publish-blocked-over-limit",
        address: m.address,
        message: `${attribute}: publishing ${publish.length} value(s) would leave ${finalCount} (> ${MAX_VALUES_PER_ATTRIBUTE}); enable prune for the reasons listed as "would remove" first`,
      });
      continue;
    }
    for (const d of publish) {
      if (d.bytes.length > MAX_VALUE_BYTES) {
        warnings.push({
          code: "value-too-large",
          address: m.address,
          message: `${attribute}: a value of ${d.bytes.length} bytes exceeds the ${MAX_VALUE_BYTES}-byte limit and is not published`,
        });
        continue;
      }
      changes.push({
        ...base,
        action: "publish",
        reason: d.publishReason,
        explanation: d.explanation,
        ...valueFields(d.bytes),
        certificate: d.certificate,
      });
    }
  }
}

/** The `count` oldest values (by notBefore, then notAfter; unreadable ones first), and the rest. */
function splitOldest(values: readonly ChangeInput[], count: number): [ChangeInput[], ChangeInput[]] {
  const time = (c: ChangeInput, key: "notBefore" | "notAfter") =>
    c.certificate === null ? Number.NEGATIVE_INFINITY : Date.parse(c.certificate[key]);
  const order = [...values].sort(
    (a, b) =>
      time(a, "notBefore") - time(b, "notBefore") ||
      time(a, "notAfter") - time(b, "notAfter") ||
      (a.valueSha256 < b.valueSha256 ? -1 : a.valueSha256 > b.valueSha256 ? 1 : 0),
  );
  const go = new Set(order.slice(0, count));
  return [order.filter((c) => go.has(c)), values.filter((c) => !go.has(c))];
}

function overLimit(c: ChangeInput, limit: number): ChangeInput {
  return {
    ...c,
    reason: "over-limit",
    explanation: `over the limit of ${limit} per recipient (maxPerUser), oldest first; also ${c.reason}: ${c.explanation}`,
  };
}

/** Over 15 values after this plan: loud, since the recipient then has no certificate in the cloud. */
function blockedWarning(
  m: Managed,
  attribute: string,
  remaining: number,
  kept: readonly ChangeInput[],
): PlanWarning {
  const counts = new Map<string, number>();
  for (const c of kept) counts.set(c.reason, (counts.get(c.reason) ?? 0) + 1);
  const reasons = [...counts].map(([r, n]) => `${r} (${n})`).join(", ");
  const effect =
    m.authority === "ad"
      ? `Entra Connect exports none of them, so Exchange Online keeps no current certificate for this recipient`
      : `Exchange Online holds at most ${MAX_VALUES_PER_ATTRIBUTE}`;
  return {
    code: BLOCKED_WARNING,
    address: m.address,
    message: `${attribute}: ${remaining} values stay at the authority after this plan (more than ${MAX_VALUES_PER_ATTRIBUTE}): ${effect}; enable prune.over-limit${reasons === "" ? "" : ` or prune for ${reasons}`}`,
  };
}

function joinCloudUser(
  ad: DirectoryRecipient,
  address: string,
  byAnchor: ReadonlyMap<string, CloudUser>,
  byUpn: ReadonlyMap<string, CloudUser>,
  drift: DriftItem[],
): CloudUser | undefined {
  const anchored = ad.sourceAnchor ? byAnchor.get(ad.sourceAnchor) : undefined;
  if (anchored) return anchored;
  const byName = ad.userPrincipalName ? byUpn.get(ad.userPrincipalName.toLowerCase()) : undefined;
  if (byName) {
    drift.push({
      kind: "join-fallback-upn",
      address,
      message: `no cloud user has onPremisesImmutableId ${ad.sourceAnchor ?? "(none)"}; joined by userPrincipalName instead (check the source anchor setting)`,
    });
    return byName;
  }
  drift.push({
    kind: "no-cloud-counterpart",
    address,
    message:
      "in scope in AD but no Entra ID user matches it (not synchronised yet, or filtered by Entra Connect)",
  });
  return undefined;
}

/**
 * A partner with `authority: ad`: the AD contact with its mail is the authority, or apply creates
 * it in `parentDn`. Drift compares it with the Exchange mail contact Entra Connect synced from it,
 * found by address (a synced contact's ExternalDirectoryObjectId may be absent).
 */
function adContactManaged(
  contact: PartnerContact,
  parentDn: string,
  adContactsByMail: ReadonlyMap<string, DirectoryRecipient>,
  exchangeContactsByMail: ReadonlyMap<string, ExchangeRecipient>,
  drift: DriftItem[],
  fingerprints: Fingerprinter,
): Managed {
  const mail = contact.mail.toLowerCase();
  // The configured mail, not the object's: the same address before and after apply creates it.
  const address = `ad:contact/${mail}`;
  const existing = adContactsByMail.get(mail);
  if (existing === undefined) {
    return newContact(
      address,
      "ad",
      { type: "ad-new-contact", parentDn, name: contact.name, mail: contact.mail },
      contact,
    );
  }
  const mirror = exchangeContactsByMail.get(mail);
  if (mirror?.isDirSynced) drift.push(...mirrorDrift(address, existing.values, mirror.values));
  return {
    address,
    authority: "ad",
    kind: "contact",
    ref: { type: "ad", objectGuid: existing.objectGuid, dn: existing.dn },
    mail: existing.mail?.toLowerCase() ?? mail,
    userPrincipalName: undefined,
    proxyAddresses: existing.proxyAddresses,
    current: existing.values,
    fingerprint: fingerprints.directory(existing),
    contactValues: contact.values,
    published: mirror?.isDirSynced ? mirror.values : null,
  };
}

/** A partner contact apply will create: nothing at its authority yet, every value from the repository. */
function newContact(address: string, authority: Authority, ref: ObjectRef, contact: PartnerContact): Managed {
  return {
    address,
    authority,
    kind: "contact",
    ref,
    mail: contact.mail.toLowerCase(),
    userPrincipalName: undefined,
    proxyAddresses: [`SMTP:${contact.mail}`],
    current: emptyValues(),
    fingerprint: null,
    contactValues: contact.values,
    published: null,
  };
}

function exchangeManaged(
  rec: ExchangeRecipient,
  kind: ObjectKind,
  upn: string | undefined,
  fingerprints: Fingerprinter,
): Managed {
  return {
    address: exchangeAddress(rec),
    authority: "exchange",
    kind,
    ref: { type: "exchange", kind: rec.kind, identity: rec.identity },
    mail: rec.primarySmtpAddress.toLowerCase(),
    userPrincipalName: upn,
    proxyAddresses: rec.emailAddresses,
    current: rec.values,
    fingerprint: fingerprints.exchange(rec),
    published: rec.values,
  };
}

/** The lower-cased addresses a recipient answers to: mail and every smtp proxy address. */
function identityAddresses(m: Managed): string[] {
  return [...new Set([...(m.mail ? [m.mail.toLowerCase()] : []), ...smtpAddresses(m.proxyAddresses)])];
}

function dedupe(values: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const d = sha256(v);
    if (seen.has(d)) return false;
    seen.add(d);
    return true;
  });
}

function indexBy<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    if (k !== undefined && !map.has(k)) map.set(k, item);
  }
  return map;
}
