// Merging what changed into what the last plan read (read.ts): pure functions, so that an
// incremental read yields exactly the records a full read would. The rules are each backend's
// contract (src/directory/types.ts readChanges, src/tenant/types.ts readRecipientChanges and
// readUserChanges); the order is the previous read's, changed records in place, new ones last.
import type { DirectoryChanges, DirectoryRecipient } from "../directory/types.js";
import { recipientKey } from "../tenant/exchange/change-tracking.js";
import type { CloudUser, ExchangeRecipient, RecipientChanges, UserDelta } from "../tenant/types.js";

type DirectoryDelta = Extract<DirectoryChanges, { kind: "changes" }>;
type RecipientDelta = Extract<RecipientChanges, { kind: "changes" }>;

/**
 * `(previous minus gone minus upserted) ∪ upserts`, by objectGUID, as a stream: the users' scope
 * of the last state is read from its file as this is consumed (read-state.ts), never held whole.
 */
export async function* mergeDirectory(
  previous: AsyncIterable<DirectoryRecipient> | Iterable<DirectoryRecipient>,
  changes: DirectoryDelta,
): AsyncGenerator<DirectoryRecipient> {
  const drop = new Set(changes.gone);
  const merge = new Upserts(
    changes.upserts,
    (r) => r.objectGuid,
    (r) => !drop.has(r.objectGuid),
  );
  for await (const p of previous) {
    const next = merge.next(p);
    if (next !== undefined) yield next;
  }
  yield* merge.rest();
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
  const merge = new Upserts(upserts, key, keep);
  const out: T[] = [];
  for (const p of previous) {
    const next = merge.next(p);
    if (next !== undefined) out.push(next);
  }
  out.push(...merge.rest());
  return out;
}

/** One merge, a previous record at a time: each changed record in place, new ones last. */
class Upserts<T> {
  readonly #fresh = new Map<string, T>();

  constructor(
    upserts: readonly T[],
    private readonly key: (t: T) => string,
    private readonly keep: (t: T) => boolean,
  ) {
    for (const u of upserts) this.#fresh.set(key(u), u);
  }

  /** What takes the previous record's place: its upsert, itself, or nothing (it is gone). */
  next(previous: T): T | undefined {
    const k = this.key(previous);
    const u = this.#fresh.get(k);
    if (u === undefined) return this.keep(previous) ? previous : undefined;
    this.#fresh.delete(k);
    return u;
  }

  /** The upserts no previous record matched. */
  rest(): T[] {
    return [...this.#fresh.values()];
  }
}
