// What plan and report say about the tenant's S/MIME trust collection (Exchange Online's
// SMIMECertificateIssuingCA, the only store it validates S/MIME against) when the config asks for
// it (`tenant.smimeConfig.issuingCA: report`): which configured CAs it lacks, which CAs it holds
// that the repository does not, and which expire soon. Pure over what the tenant returned.
import type { CertCache, CertSummary } from "../certs/index.js";
import { shortThumbprint } from "../model/thumbprint.js";
import { readCollection } from "../model/trust-collection.js";
import { day } from "../plan/render/describe.js";
import type { PlanWarning } from "../plan/types.js";
import type { Policy } from "../policy/index.js";
import type { WatchedCa } from "../report/build.js";
import { certificateRef } from "./policy-port.js";

export type TrustCollectionSetting = "ignore" | "report" | "manage";

export interface TrustCollectionView {
  /** The collection's CA certificates, for the report's CA expiry list (source tenant-trust). */
  readonly cas: readonly WatchedCa[];
  readonly warnings: readonly PlanWarning[];
}

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
  if (setting === "manage")
    warn(
      "trust-collection-not-managed",
      "tenant.smimeConfig.issuingCA: manage is not acted on yet: the collection is only reported below, never written",
    );
  const read = readCollection(issuingCA);
  if (!read.ok) {
    warn("trust-collection-unreadable", `${COLLECTION} is not a readable certificate store: ${read.message}`);
    return { cas: [], warnings };
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
  if (held.length === 0)
    warn("trust-collection-empty", `${COLLECTION} is empty: Exchange Online validates no S/MIME certificate`);
  for (const c of configured)
    if (!heldKeys.has(c.sha256))
      warn(
        "trust-collection-missing-ca",
        `${COLLECTION} lacks ${label(c)}, a CA of policy.trustAnchors or intermediates`,
      );
  for (const c of held)
    if (!configuredKeys.has(c.sha256))
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
  };
}
