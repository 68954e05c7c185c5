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
import type { ReadCursors, ReadState } from "./read-state.js";

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
  readonly state?: { readonly previous: ReadState | undefined };
}

export interface ObservedRead extends ObservedState {
  readonly directoryRead: ReadTally | null;
  /** The state to save for the next plan; undefined when not tracking. */
  readonly state: ReadState | undefined;
  readonly summary: ReadSummary;
}

export async function readObserved(
  directory: Directory | undefined,
  scope: DirectoryScope,
  tenant: Tenant,
  opts: ReadOptions = {},
): Promise<ObservedRead> {
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

  // A directory may be configured only for partner contacts (cloud-only users, AD contacts).
  const usersInAd = directory !== undefined && (scope.ous.length > 0 || scope.groups.length > 0);
  const readDirectory = async (
    dir: Directory,
    s: DirectoryScope,
    before: readonly DirectoryRecipient[] | null | undefined,
    since: DirectoryCursor | undefined,
    t: ReadTally | undefined,
  ): Promise<{ list: DirectoryRecipient[]; cursor: DirectoryCursor | undefined; read: SideRead }> => {
    let why: string | undefined;
    if (before && since) {
      const changes = await dir.readChanges(s, since);
      // An empty result is read whole: the empty-directory guard needs the full read's tally.
      if (changes.kind === "changes") {
        const list = mergeDirectory(before, changes);
        if (list.length > 0) {
          count("directory", list.length);
          return {
            list,
            cursor: changes.cursor,
            read: { how: "changes", changed: changes.upserts.length + changes.gone.length },
          };
        }
        why = "no object left in scope";
      } else why = changes.reason;
    }
    // No cursor kept: a backend without change tracking (LDIF), not worth a line every plan.
    const cursor = tracking ? await dir.changeCursor() : undefined;
    const list = await drain(dir.readRecipients(s, t), "directory");
    return { list, cursor, read: { how: "whole", why } };
  };

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

  const [ad, contacts, users, exchange] = await Promise.all([
    usersInAd
      ? readDirectory(directory, scope, previous?.directory, previous?.cursors.directory, tally)
      : Promise.resolve(undefined),
    directory && opts.contactsScope
      ? readDirectory(
          directory,
          opts.contactsScope,
          previous?.adContacts,
          previous?.cursors.contacts,
          undefined,
        )
      : Promise.resolve(undefined),
    readUsers(),
    readExchange(),
  ]);
  tick();
  const adContacts = contacts
    ? // The OU may hold users too (and the scope contacts): only contacts are partners.
      contacts.list.filter((c) => c.kind === "contact")
    : undefined;
  const cursors: ReadCursors = {
    ...(ad?.cursor ? { directory: ad.cursor } : {}),
    ...(contacts?.cursor ? { contacts: contacts.cursor } : {}),
    ...(users.link !== undefined ? { graph: users.link } : {}),
    ...(exchange.cursor ? { exchange: exchange.cursor } : {}),
  };
  return {
    directory: ad ? ad.list : null,
    cloudUsers: users.list,
    exchange: exchange.list,
    directoryRead: ad?.read.how === "whole" ? tally : null,
    ...(opts.contactsScope !== undefined ? { adContacts: directory ? (adContacts ?? []) : null } : {}),
    state: tracking
      ? {
          cursors,
          directory: ad ? ad.list : null,
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
}

const whole = (why?: string): SideRead => ({ how: "whole", why });
