// Group membership as an LDIF export records it: groups' `member` values and members' `memberOf`
// (either may be missing from a partial export; both count). Nested membership is followed
// through groups to any depth, like AD's LDAP_MATCHING_RULE_IN_CHAIN, cycles included.
import { normalizeDn } from "./dn.js";
import type { RawEntry } from "./entry.js";
import { texts } from "./entry.js";

export class Membership {
  /** normalized group DN -> normalized DNs of its direct members */
  readonly #members = new Map<string, Set<string>>();

  constructor(entries: Iterable<RawEntry>) {
    for (const entry of entries) {
      const self = normalizeDn(entry.dn);
      if (self === undefined) continue;
      for (const m of texts(entry, "member")) this.#edge(self, normalizeDn(m));
      for (const g of texts(entry, "memberOf")) this.#edge(normalizeDn(g), self);
    }
  }

  #edge(group: string | undefined, member: string | undefined): void {
    if (group === undefined || member === undefined) return;
    const set = this.#members.get(group) ?? new Set<string>();
    set.add(member);
    this.#members.set(group, set);
  }

  /** Normalized DNs of the group's members (direct, or through nested groups when `nested`). */
  membersOf(groupDn: string, nested: boolean): Set<string> {
    const root = normalizeDn(groupDn);
    const result = new Set<string>();
    if (root === undefined) return result;
    const queue = [root];
    const visited = new Set([root]);
    while (queue.length > 0) {
      const group = queue.shift() as string;
      for (const m of this.#members.get(group) ?? []) {
        result.add(m);
        if (nested && !visited.has(m) && this.#members.has(m)) {
          visited.add(m);
          queue.push(m);
        }
      }
    }
    return result;
  }
}
