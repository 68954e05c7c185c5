// Merging what changed into what the last plan read (read.ts): pure functions, so that an
// incremental read yields exactly the records a full read would. The rules are each backend's
// contract (src/directory/types.ts readChanges, src/tenant/types.ts readRecipientChanges and
// readUserChanges); the order is the previous read's, changed records in place, new ones last.
import type { DirectoryChanges, DirectoryRecipient } from "../directory/types.js";
import { recipientKey } from "../tenant/exchange/change-tracking.js";
import type { CloudUser, ExchangeRecipient, RecipientChanges, UserDelta } from "../tenant/types.js";

type DirectoryDelta = Extract<DirectoryChanges, { kind: "changes" }>;
type RecipientDelta = Extract<RecipientChanges, { kind: "changes" }>;

/** `(previous minus gone minus upserted) ∪ upserts`, by objectGUID. */
export function mergeDirectory(
  previous: readonly DirectoryRecipient[],
  changes: DirectoryDelta,
): DirectoryRecipient[] {
  const drop = new Set(changes.gone);
  return upsert(
    previous,
    changes.upserts,
    (r) => r.objectGuid,
    (r) => !drop.has(r.objectGuid),
  );
}

/** A complete round replaces the users; otherwise each change upserts or removes one, by id. */
export function mergeUsers(previous: readonly CloudUser[], delta: UserDelta): CloudUser[] {
  const removed = new Set<string>();
  const upserts = new Map<string, CloudUser>();
  for (const c of delta.changes) {
    if (c.kind === "removed") {
      removed.add(c.id);
      upserts.delete(c.id);
    } else {
      removed.delete(c.user.id);
      upserts.set(c.user.id, c.user);
    }
  }
  const base = delta.complete ? [] : previous;
  return upsert(
    base,
    [...upserts.values()],
    (u) => u.id,
    (u) => !removed.has(u.id),
  );
}

/** `(previous restricted to present, minus upserted) ∪ upserts`, by kind and identity. */
export function mergeRecipients(
  previous: readonly ExchangeRecipient[],
  changes: RecipientDelta,
): ExchangeRecipient[] {
  const present = new Set(changes.present.map(recipientKey));
  return upsert(previous, changes.upserts, recipientKey, (r) => present.has(recipientKey(r)));
}

function upsert<T>(
  previous: readonly T[],
  upserts: readonly T[],
  key: (t: T) => string,
  keep: (t: T) => boolean,
): T[] {
  const fresh = new Map<string, T>();
  for (const u of upserts) fresh.set(key(u), u);
  const out: T[] = [];
  for (const p of previous) {
    const k = key(p);
    const u = fresh.get(k);
    if (u !== undefined) {
      out.push(u);
      fresh.delete(k);
    } else if (keep(p)) out.push(p);
  }
  out.push(...fresh.values());
  return out;
}
