// What plan and report say about the tenant's S/MIME trust collection (Exchange Online's
// SMIMECertificateIssuingCA, the only store it validates S/MIME against) when the config asks for
// it (`tenant.smimeConfig.issuingCA: report`): which configured CAs it lacks, which CAs it holds
// that the repository does not, and which expire soon; with `manage`, also the plan's object and
// changes that make it hold exactly policy.trustAnchors + intermediates. Pure over what it read.
import type { CertCache, CertSummary } from "../certs/index.js";
import { shortThumbprint } from "../model/thumbprint.js";
import {
  readCollection,
  TRUST_COLLECTION_ATTRIBUTE,
  trustCollectionFingerprint,
} from "../model/trust-collection.js";
import type { ChangeInput } from "../plan/assemble.js";
import { day } from "../plan/render/describe.js";
import type { PlanObject, PlanWarning } from "../plan/types.js";
import { valueDigest, valueFields } from "../plan/value.js";
import type { Policy } from "../policy/index.js";
import type { WatchedCa } from "../report/build.js";
import { certificateRef } from "./policy-port.js";

export type TrustCollectionSetting = "ignore" | "report" | "manage";

export interface TrustCollectionView {
  /** The collection's CA certificates, for the report's CA expiry list (source tenant-trust). */
  readonly cas: readonly WatchedCa[];
  readonly warnings: readonly PlanWarning[];
  /** With `manage` and something to change: the collection as a plan object, and its changes. */
  readonly objects: readonly PlanObject[];
  readonly changes: readonly ChangeInput[];
}

/** The plan address of the tenant's trust collection. */
export const TRUST_COLLECTION_ADDRESS = `exchange:trust-collection/${TRUST_COLLECTION_ATTRIBUTE}`;

const DAY = 86_400_000;
const COLLECTION = "Exchange Online's S/MIME trust collection (SMIMECertificateIssuingCA)";

function label(c: CertSummary): string {
  return `${c.subject} (thumbprint ${shortThumbprint(c.sha1)}, expires ${day(c.notAfter.toISOString())})`;
}

export function judgeTrustCollection(
  setting: Exclude<TrustCollectionSetting, "ignore">,
  issuingCA: Uint8Array | null,
  policy: Policy,
  now: Date,
  cache: CertCache,
): TrustCollectionView {
  const warnings: PlanWarning[] = [];
  const warn = (code: string, message: string) => warnings.push({ code, message });
  const read = readCollection(issuingCA);
  if (!read.ok) {
    warn("trust-collection-unreadable", `${COLLECTION} is not a readable certificate store: ${read.message}`);
    return { cas: [], warnings, objects: [], changes: [] };
  }
  const held: CertSummary[] = [];
  for (const der of read.certificates) {
    const parsed = cache.value(der);
    const cert = parsed.ok ? parsed.certs[0] : undefined;
    if (cert) held.push(cert);
    else warn("trust-collection-unreadable", `${COLLECTION} holds an entry that is not a certificate`);
  }
  const configured = [...policy.trust.anchors, ...policy.trust.intermediates];
  const heldKeys = new Set(held.map((c) => c.sha256));
  const configuredKeys = new Set(configured.map((c) => c.sha256));
  const manage = setting === "manage" && configured.length > 0;
  if (setting === "manage" && configured.length === 0)
    warn(
      "trust-collection-no-ca",
      `tenant.smimeConfig.issuingCA: manage, but policy.trustAnchors and intermediates name no CA: ${COLLECTION} is left as it is, never cleared`,
    );
  if (held.length === 0)
    warn("trust-collection-empty", `${COLLECTION} is empty: Exchange Online validates no S/MIME certificate`);
  const changes: ChangeInput[] = [];
  const change = (c: CertSummary, action: "publish" | "remove") =>
    changes.push({
      address: TRUST_COLLECTION_ADDRESS,
      authority: "exchange",
      attribute: TRUST_COLLECTION_ATTRIBUTE,
      action,
      reason: action === "publish" ? "ca-in-repo" : "ca-not-in-repo",
      explanation:
        action === "publish"
          ? `add ${label(c)}: a CA of policy.trustAnchors or intermediates`
          : `remove ${label(c)}: not in the repository's policy`,
      ...(action === "publish" ? valueFields(c.der) : valueDigest(c.der)),
      certificate: certificateRef(c),
    });
  const added = new Set<string>();
  for (const c of configured)
    if (manage && !heldKeys.has(c.sha256) && !added.has(c.sha256)) {
      added.add(c.sha256);
      change(c, "publish");
    }
  for (const c of held) if (manage && !configuredKeys.has(c.sha256)) change(c, "remove");
  for (const c of configured)
    if (!manage && !heldKeys.has(c.sha256))
      warn(
        "trust-collection-missing-ca",
        `${COLLECTION} lacks ${label(c)}, a CA of policy.trustAnchors or intermediates`,
      );
  for (const c of held)
    if (!manage && !configuredKeys.has(c.sha256))
      warn(
        "trust-collection-foreign-ca",
        `${COLLECTION} holds ${label(c)}, which is not in the repository's policy`,
      );
  const soon = now.getTime() + policy.requirements.expiringSoonDays * DAY;
  for (const c of held) {
    if (c.notAfter.getTime() <= now.getTime())
      warn("trust-collection-ca-expired", `${COLLECTION} holds ${label(c)}, which has expired`);
    else if (c.notAfter.getTime() <= soon)
      warn(
        "trust-collection-ca-expiring",
        `${COLLECTION} holds ${label(c)}, which expires within ${policy.requirements.expiringSoonDays} days`,
      );
  }
  return {
    cas: held.map((c) => ({ source: "tenant-trust" as const, certificate: certificateRef(c) })),
    warnings,
    objects:
      changes.length === 0
        ? []
        : [
            {
              address: TRUST_COLLECTION_ADDRESS,
              authority: "exchange",
              kind: "trust-collection",
              ref: { type: "exchange-smime-config" },
              mail: null,
              userPrincipalName: null,
              fingerprint: trustCollectionFingerprint(issuingCA),
            },
          ],
    changes,
  };
}
