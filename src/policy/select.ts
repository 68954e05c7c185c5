// Choosing the desired set among compliant units (a unit is one certificate, or one blob in
// `keep` mode): duplicates collapsed, superseded ones dropped, newest first, at most `limit`.
//
// Order, total and independent of input order: notBefore descending, then notAfter descending,
// then the unit key (SHA-256) ascending. A unit is superseded by a strictly newer (notBefore)
// selected unit that covers all of its e-mail addresses and has the same role (can encrypt /
// can sign): a renewal replaces its predecessor, while a separate signing certificate or one for
// another address is kept. The representative of duplicates is the candidate at the authority
// first (so an existing value is kept rather than re-written), then the sibling attribute, then
// the repository, then the earlier candidate.
import type { SelectionReason } from "./reasons.js";

export interface SelectionUnit {
  /** Identity for duplicates: a certificate's SHA-256, or a blob's sorted certificate hashes. */
  readonly key: string;
  readonly compliant: boolean;
  /** Lower wins as representative of duplicates. */
  readonly preference: readonly number[];
  readonly notBefore: number;
  readonly notAfter: number;
  readonly emails: readonly string[];
  readonly role: string;
  /** For messages: "CN=Alice (3F2A19C0)". */
  readonly label: string;
  readonly issued: string;
}

export type Outcome =
  | { readonly kind: "selected"; readonly position: number }
  | { readonly kind: "not-compliant" }
  | { readonly kind: SelectionReason; readonly message: string };

function comparePreference(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function newestFirst(a: SelectionUnit, b: SelectionUnit): number {
  return b.notBefore - a.notBefore || b.notAfter - a.notAfter || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export function select(units: readonly SelectionUnit[], limit: number): Outcome[] {
  const outcomes: Outcome[] = units.map((u) =>
    u.compliant ? { kind: "selected", position: -1 } : { kind: "not-compliant" },
  );
  // Duplicates among compliant units: keep the preferred occurrence.
  const representative = new Map<string, number>();
  units.forEach((u, i) => {
    if (!u.compliant) return;
    const best = representative.get(u.key);
    if (best === undefined || comparePreference(u.preference, units[best]!.preference) < 0)
      representative.set(u.key, i);
  });
  units.forEach((u, i) => {
    const best = representative.get(u.key);
    if (u.compliant && best !== undefined && best !== i) {
      outcomes[i] = {
        kind: "duplicate",
        message: `same certificate as another value (${units[best]!.label}); one copy is enough`,
      };
    }
  });
  const order = [...representative.values()].sort((a, b) => newestFirst(units[a]!, units[b]!));
  const kept: number[] = [];
  for (const i of order) {
    const u = units[i]!;
    const by = kept.find((k) => supersedes(units[k]!, u));
    if (by !== undefined) {
      const n = units[by]!;
      outcomes[i] = { kind: "superseded", message: `superseded by the newer ${n.label}, issued ${n.issued}` };
    } else if (kept.length >= limit) {
      outcomes[i] = {
        kind: "over-limit",
        message: `over the limit of ${limit} per recipient (maxPerUser); newer ones are kept`,
      };
    } else {
      outcomes[i] = { kind: "selected", position: kept.length };
      kept.push(i);
    }
  }
  return outcomes;
}

function supersedes(newer: SelectionUnit, older: SelectionUnit): boolean {
  return (
    newer.notBefore > older.notBefore &&
    newer.role === older.role &&
    older.emails.length > 0 &&
    older.emails.every((e) => newer.emails.includes(e))
  );
}
