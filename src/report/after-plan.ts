// The recipients as they would be once a plan is applied, computed without writing anything: each
// change edits the values at its recipient's authority. Exchange Online shows an Exchange
// authority's new values at once; AD's reach it only when Entra Connect next runs, so they stay
// where they were on the mirror (the coverage after a plan counts them as pending, honestly).
import type { AttributeValues, CertAttribute } from "../model/attributes.js";
import { sha256Hex as sha256 } from "../model/digest.js";
import { type CertChange, isCertChange, type Plan } from "../plan/types.js";
import { changeValue } from "../plan/value.js";
import type { Managed } from "../reconcile/reconcile.js";

export function recipientsAfter(recipients: readonly Managed[], plan: Pick<Plan, "changes">): Managed[] {
  const byAddress = new Map<string, CertChange[]>();
  for (const c of plan.changes.filter(isCertChange)) {
    const list = byAddress.get(c.address);
    if (list) list.push(c);
    else byAddress.set(c.address, [c]);
  }
  return recipients.map((m) => {
    const changes = byAddress.get(m.address);
    if (!changes) return m;
    const edited: Record<CertAttribute, Uint8Array[]> = {
      userCertificate: [...m.current.userCertificate],
      userSMIMECertificate: [...m.current.userSMIMECertificate],
    };
    for (const c of changes) {
      if (c.action === "remove") {
        edited[c.attribute] = edited[c.attribute].filter((v) => sha256(v) !== c.valueSha256);
      } else {
        edited[c.attribute].push(changeValue(c));
      }
    }
    const current: AttributeValues = edited;
    return { ...m, current, published: m.authority === "exchange" ? current : m.published };
  });
}
