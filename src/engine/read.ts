// Reading the observed state: the directory and the tenant at once, each streamed, with a count
// for the progress display. With a read state from the last plan (read-state.ts), each side reads
// only what changed since its cursor and merges it into what it read then (read-merge.ts); a side that
// cannot say what changed (another DC, an expired delta token, no cursor) is read whole.
import {
  type Directory,
  type DirectoryCursor,
  type DirectoryRecipient,
  type DirectoryScope,
  emptyTally,
  type ReadTally,
} from "../directory/types.js";
import type { ObservedState } from "../reconcile/observed.js";
import { recipientKey } from "../tenant/exchange/change-tracking.js";
import type { CloudUser, ExchangeCursor, ExchangeRecipient, Tenant } from "../tenant/types.js";
import { mergeDirectory, mergeRecipients, mergeUsers } from "./read-merge.js";
import type { ReadCursors, ReadState, StateRecords, StateRest } from "./read-state.js";

export type ReadProgress = (counts: {
  readonly directory: number;
  readonly cloudUsers: number;
  readonly exchange: number;
}) => void;

/** How one side was read: whole, or its changes since the last plan (with how many). */
export type SideRead =
  | { readonly how: "whole"; readonly why: string | undefined }
  | { readonly how: "changes"; readonly changed: number };

export interface ReadSummary {
  readonly directory: SideRead | undefined;
  readonly contacts: SideRead | undefined;
  readonly cloudUsers: SideRead;
  readonly exchange: SideRead;
}

export interface ReadOptions {
  readonly progress?: ReadProgress;
  /** Where AD partner contacts live (settings.ts `contactsScope`); undefined reads none. */
  readonly contactsScope?: DirectoryScope;
  /**
   * Keep cursors so the result can be saved as a read state; with `previous`, read only changes
   * since it. Absent: read both sides whole and keep nothing.
   */
  readonly state?: {
    readonly previous: ReadState | undefined;
    /**
     * Where the users' scope's records go for the next state (read-state.ts ReadStateWriter),
     * asked for once the directory has a cursor: without one the next plan reads it whole anyway.
     */
    readonly records: () => (r: DirectoryRecipient) => void;
  };
}

/** The tenant side, read whole (reconcile indexes it before the directory streams past). */
export type TenantRead = Pick<ObservedState, "cloudUsers" | "exchange">;

/**
 * A read under way: both tenant sides and the contacts OU are read whole and at once; the users'
 * scope of the directory is a stream, pulled once by its consumer (plan-run.ts), so that it need
 * never be held whole.
 */
export interface ObservedRead {
  /** The users' scope; null when no directory holds users. Iterate it once. */
  readonly directory: AsyncIterable<DirectoryRecipient> | null;
  readonly tenant: Promise<TenantRead>;
  /** AD contacts under the contacts OU: absent when none are read, null with no directory. */
  readonly adContacts: Promise<ObservedState["adContacts"]>;
  /** Once the directory is drained: how each side was read, and the state to save. */
  end(): Promise<ReadEnd>;
}

export interface ReadEnd {
  /** The full read's tally of the users' scope (the guards' input); null when read by changes. */
  readonly directoryRead: ReadTally | null;
  /** Objects of the users' scope; null when no directory holds users. */
  readonly directoryObjects: number | null;
  /** The rest of the state for the next plan (the directory's records went to `records`); undefined when not tracking. */
  readonly state: StateRest | undefined;
  readonly summary: ReadSummary;
}

interface DirectorySide {
  readonly count: number;
  readonly cursor: DirectoryCursor | undefined;
  readonly read: SideRead;
}

export function readObserved(
  directory: Directory | undefined,
  scope: DirectoryScope,
  tenant: Tenant,
  opts: ReadOptions = {},
): ObservedRead {
  const counts = { directory: 0, cloudUsers: 0, exchange: 0 };
  const tick = () => opts.progress?.({ ...counts });
  const count = (side: keyof typeof counts, n = 1) => {
    counts[side] += n;
    if (counts[side] % 100 < n) tick();
  };
  const drain = async <T>(source: AsyncIterable<T>, side: keyof typeof counts): Promise<T[]> => {
    const into: T[] = [];
    for await (const item of source) {
      into.push(item);
      count(side);
    }
    return into;
  };
  const tracking = opts.state !== undefined;
  const previous = opts.state?.previous;
  const tally = emptyTally();

  /** A scope read whole, or its changes merged into the last plan's read of it. */
  const readScope = async (
    dir: Directory,
    s: DirectoryScope,
    before: StateRecords | null | undefined,
    since: DirectoryCursor | undefined,
  ): Promise<{
    merged: AsyncIterable<DirectoryRecipient> | undefined;
    cursor: DirectoryCursor | undefined;
    why: string | undefined;
    changed: number;
  }> => {
    let why: string | undefined;
    if (before && since) {
      const changes = await dir.readChanges(s, since);
      // An empty result is read whole: the empty-directory guard needs the full read's tally. The
      // merge streams, so "maybe empty" (no upsert, as many gone as there were) counts as empty.
      if (changes.kind === "changes") {
        if (changes.upserts.length > 0 || changes.gone.length < before.count)
          return {
            merged: mergeDirectory(before.records(), changes),
            cursor: changes.cursor,
            why: undefined,
            changed: changes.upserts.length + changes.gone.length,
          };
        why = "no object left in scope";
      } else why = changes.reason;
    }
    // No cursor kept: a backend without change tracking (LDIF), not worth a line every plan.
    const cursor = tracking ? await dir.changeCursor() : undefined;
    return { merged: undefined, cursor, why, changed: 0 };
  };

  // The contacts OU is small: read whole, at once with the rest.
  const contactsRead =
    directory && opts.contactsScope
      ? (async () => {
          const s = opts.contactsScope as DirectoryScope;
          const kept = previous?.adContacts;
          const r = await readScope(directory, s, kept && listed(kept), previous?.cursors.contacts);
          const list = await drain(r.merged ?? directory.readRecipients(s), "directory");
          const read: SideRead = r.merged ? { how: "changes", changed: r.changed } : whole(r.why);
          return { list, cursor: r.cursor, read };
        })()
      : Promise.resolve(undefined);

  const readUsers = async (): Promise<{ list: CloudUser[]; link: string | undefined; read: SideRead }> => {
    if (!tracking)
      return { list: await drain(tenant.readUsers(), "cloudUsers"), link: undefined, read: whole() };
    const link = previous?.cursors.graph;
    const delta = await tenant.readUserChanges(link);
    const before = link !== undefined && !delta.complete ? previous?.cloudUsers : undefined;
    const list = before ? mergeUsers(before, delta) : mergeUsers([], delta);
    count("cloudUsers", list.length);
    return {
      list,
      link: delta.deltaLink,
      read: before
        ? { how: "changes", changed: delta.changes.length }
        : whole(link ? "Graph asked for a full round" : undefined),
    };
  };

  const readExchange = async (): Promise<{
    list: ExchangeRecipient[];
    cursor: ExchangeCursor | undefined;
    read: SideRead;
  }> => {
    let why: string | undefined;
    const since = previous?.cursors.exchange;
    if (previous && since) {
      const known = new Set(previous.exchange.map(recipientKey));
      const changes = await tenant.readRecipientChanges(since, known);
      if (changes.kind === "changes") {
        const list = mergeRecipients(previous.exchange, changes);
        count("exchange", list.length);
        return { list, cursor: changes.cursor, read: { how: "changes", changed: changes.upserts.length } };
      }
      why = changes.reason;
    }
    const cursor = tracking ? await tenant.recipientCursor() : undefined;
    return { list: await drain(tenant.readRecipients(), "exchange"), cursor, read: whole(why) };
  };

  const usersRead = readUsers();
  const exchangeRead = readExchange();
  // Awaited by the consumer, maybe after the directory failed: never an unhandled rejection.
  for (const p of [contactsRead, usersRead, exchangeRead]) p.catch(() => {});

  // A directory may be configured only for partner contacts (cloud-only users, AD contacts).
  const usersInAd = directory !== undefined && (scope.ous.length > 0 || scope.groups.length > 0);
  let directorySide: DirectorySide | undefined;
  async function* streamDirectory(dir: Directory): AsyncGenerator<DirectoryRecipient> {
    const r = await readScope(dir, scope, previous?.directory, previous?.cursors.directory);
    const record = r.cursor && opts.state ? opts.state.records() : undefined;
    let n = 0;
    for await (const ad of r.merged ?? dir.readRecipients(scope, tally)) {
      record?.(ad);
      n++;
      count("directory");
      yield ad;
    }
    directorySide = {
      count: n,
      cursor: r.cursor,
      read: r.merged ? { how: "changes", changed: r.changed } : whole(r.why),
    };
  }

  const contactsOnly = contactsRead.then((c) =>
    opts.contactsScope === undefined
      ? undefined
      : // The OU may hold users too (and the scope contacts): only contacts are partners.
        directory
        ? (c?.list ?? []).filter((r) => r.kind === "contact")
        : null,
  );
  contactsOnly.catch(() => {});

  return {
    directory: usersInAd ? streamDirectory(directory) : null,
    tenant: Promise.all([usersRead, exchangeRead]).then(([u, x]) => ({
      cloudUsers: u.list,
      exchange: x.list,
    })),
    adContacts: contactsOnly,
    async end(): Promise<ReadEnd> {
      const [contacts, users, exchange] = await Promise.all([contactsRead, usersRead, exchangeRead]);
      if (usersInAd && directorySide === undefined)
        throw new Error("readObserved: end() before the directory was drained");
      tick();
      const ad = directorySide;
      const cursors: ReadCursors = {
        ...(ad?.cursor ? { directory: ad.cursor } : {}),
        ...(contacts?.cursor ? { contacts: contacts.cursor } : {}),
        ...(users.link !== undefined ? { graph: users.link } : {}),
        ...(exchange.cursor ? { exchange: exchange.cursor } : {}),
      };
      return {
        directoryRead: ad?.read.how === "whole" ? tally : null,
        directoryObjects: ad ? ad.count : null,
        state: tracking
          ? {
              cursors,
              hasDirectory: ad !== undefined,
              // The whole contacts read is kept (users in that OU too): readChanges merges against it.
              adContacts: contacts?.list,
              cloudUsers: users.list,
              exchange: exchange.list,
            }
          : undefined,
        summary: {
          directory: ad?.read,
          contacts: contacts?.read,
          cloudUsers: users.read,
          exchange: exchange.read,
        },
      };
    },
  };
}

const whole = (why?: string): SideRead => ({ how: "whole", why });

/** The contacts OU's records, kept in the state as a list, as readScope takes a scope's. */
const listed = (list: readonly DirectoryRecipient[]): StateRecords => ({
  count: list.length,
  records: async function* () {
    yield* list;
  },
});

/** The whole read held at once (the benchmarks' read-alone measurement; plan streams instead). */
export async function readWhole(read: ObservedRead): Promise<ObservedState & ReadEnd> {
  const directory: DirectoryRecipient[] = [];
  for await (const ad of read.directory ?? []) directory.push(ad);
  const [tenant, adContacts, end] = await Promise.all([read.tenant, read.adContacts, read.end()]);
  return {
    ...end,
    ...tenant,
    directory: read.directory ? directory : null,
    ...(adContacts !== undefined ? { adContacts } : {}),
  };
}
