// `smimesync inspect --mail X` without files: "why is this not published?" answered from the
// directories themselves. Reads both sides as plan does (the same backends, scope and join), then
// judges the recipient's values at its authority under the configured policy and lists what the
// plan does to it. Writes nothing.
import { CertCache, type ParseResult } from "../../certs/index.js";
import { loadConfig } from "../../config/load.js";
import { loadPolicy } from "../../engine/policy-material.js";
import { SmimesyncError } from "../../errors.js";
import { CERT_ATTRIBUTES, type CertAttribute } from "../../model/attributes.js";
import { shortValueHash } from "../../model/thumbprint.js";
import { sha256Hex } from "../../plan/ids.js";
import { authorityName, reasonLabel, valueLabel, wouldRemoveLabel } from "../../plan/render/describe.js";
import { type AttributeDecision, evaluate } from "../../policy/index.js";
import type { Managed } from "../../reconcile/reconcile.js";
import { targetNames } from "../../reconcile/targets.js";
import type { CliContext } from "../context.js";
import type { Output } from "../output.js";
import { printDiagnostics } from "../report-error.js";
import { planWithProgress } from "./shared.js";

export interface InspectedValue {
  /** `AD userCertificate[0]`: where the value was read, for the verdict lines. */
  readonly name: string;
  readonly result: ParseResult;
  readonly sha256: string;
}

export interface InspectedAttribute {
  readonly attribute: CertAttribute;
  readonly values: readonly InspectedValue[];
  readonly decision: AttributeDecision;
  /** One line on what Exchange Online shows of this attribute (where Outlook looks). */
  readonly mirror: string;
}

export interface InspectedRecipient {
  readonly address: string;
  readonly authority: string;
  readonly attributes: readonly InspectedAttribute[];
  /** The plan's changes and would-remove notes for this recipient, one per line. */
  readonly planLines: readonly string[];
  readonly json: unknown;
}

export async function inspectRecipient(
  ctx: CliContext,
  o: Output,
  opts: { readonly config: string; readonly mail: string; readonly now: Date },
): Promise<InspectedRecipient> {
  const loaded = await loadConfig(opts.config, ctx.cwd);
  printDiagnostics(o, loaded.warnings, ctx.env);
  const { plan, observation } = await planWithProgress(ctx, o, loaded, {
    ...(opts.now ? { now: opts.now } : {}),
    observe: true,
  });
  const wanted = opts.mail
    .trim()
    .replace(/^smtp:/i, "")
    .toLowerCase();
  // The names --target knows a recipient by (mail, UPN, smtp proxies, ...): one way to name it.
  const managed = observation.recipients.find((m) => targetNames(m).includes(wanted));
  if (!managed)
    throw new SmimesyncError("USAGE", `no recipient in scope has the address ${opts.mail}`, {
      hint: "Check the address (mail, UPN or a proxy address), and that the scope in the config selects the user.",
    });

  const cache = new CertCache();
  const { policy } = await loadPolicy(loaded, cache, opts.now);
  const where = managed.authority === "ad" ? "AD" : "Exchange";
  const recipient = { mail: managed.mail, proxyAddresses: managed.proxyAddresses };
  const attributes = CERT_ATTRIBUTES.map((attribute): InspectedAttribute => {
    const current = managed.current[attribute];
    const values = current.map((bytes, i) => ({
      name: `${where} ${attribute}[${i}]`,
      result: cache.value(bytes),
      sha256: sha256Hex(bytes),
    }));
    const decision = evaluate(
      policy,
      recipient,
      attribute,
      current.map((bytes, i) => ({ bytes, source: "authority" as const, label: values[i]?.name ?? "" })),
      opts.now,
      cache,
    );
    return { attribute, values, decision, mirror: mirrorLine(managed, attribute, values) };
  });

  const mine = (c: { address: string }) => c.address === managed.address;
  const planLines = [
    ...plan.changes
      .filter(mine)
      .map(
        (c) =>
          `${c.action === "publish" ? "+" : "-"} ${c.attribute} ${valueLabel(c, plan.policyTime)} (${reasonLabel(c)})`,
      ),
    ...plan.wouldRemove
      .filter(mine)
      .map((c) => `# ${c.attribute} ${valueLabel(c, plan.policyTime)} (${wouldRemoveLabel(c)})`),
    ...plan.drift.filter(mine).map((d) => `~ drift ${d.kind}: ${d.message}`),
  ];
  const header = `Plan for ${managed.address}:`;
  return {
    address: managed.address,
    authority: authorityName(managed.authority),
    attributes,
    planLines: [header, ...(planLines.length > 0 ? planLines.map((l) => `  ${l}`) : ["  no changes"])],
    json: {
      at: opts.now.toISOString(),
      address: managed.address,
      authority: managed.authority,
      attributes: attributes.map((a) => ({
        attribute: a.attribute,
        mode: a.decision.mode,
        values: a.values.map((v, i) => {
          const verdict = a.decision.verdicts[i];
          return {
            sha256: v.sha256,
            status: verdict?.status ?? null,
            ...(verdict && verdict.status !== "accepted" ? { reason: verdict.reason } : {}),
            explanation: verdict?.explanation ?? null,
          };
        }),
        mirror: a.mirror,
      })),
      changes: plan.changes.filter(mine),
      wouldRemove: plan.wouldRemove.filter(mine),
      drift: plan.drift.filter(mine),
    },
  };
}

function mirrorLine(m: Managed, attribute: CertAttribute, values: readonly InspectedValue[]): string {
  if (m.published === null)
    return "  Exchange Online: no recipient yet (waiting for Entra Connect, or not mail-enabled)";
  if (m.authority === "exchange")
    return "  Exchange Online is the authority: the values above are what Outlook sees";
  const mirror = m.published[attribute].map((v) => sha256Hex(v));
  const atAuthority = new Set(values.map((v) => v.sha256));
  const missing = values.filter((v) => !mirror.includes(v.sha256)).length;
  const extra = mirror.filter((h) => !atAuthority.has(h));
  if (missing === 0 && extra.length === 0)
    return mirror.length === 0
      ? "  Exchange Online holds none either"
      : `  Exchange Online holds the same ${mirror.length} value(s)`;
  const parts = [`${mirror.length} value(s)`];
  if (missing > 0) parts.push(`${missing} of AD's not there yet`);
  if (extra.length > 0)
    parts.push(`${extra.length} AD no longer has (${extra.map(shortValueHash).join(", ")})`);
  return `  Exchange Online holds ${parts.join(", ")}: waiting for Entra Connect`;
}
