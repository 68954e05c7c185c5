// Reading the observed state: the directory and the tenant at once, each streamed, with a count
// for the progress display.
import {
  type Directory,
  type DirectoryRecipient,
  type DirectoryScope,
  emptyTally,
  type ReadTally,
} from "../directory/types.js";
import type { ObservedState } from "../reconcile/observed.js";
import type { CloudUser, ExchangeRecipient, Tenant } from "../tenant/types.js";

export type ReadProgress = (counts: {
  readonly directory: number;
  readonly cloudUsers: number;
  readonly exchange: number;
}) => void;

export async function readObserved(
  directory: Directory | undefined,
  scope: DirectoryScope,
  tenant: Tenant,
  progress?: ReadProgress,
  /** Where AD partner contacts live (settings.ts `contactsScope`); undefined reads none. */
  contactsScope?: DirectoryScope,
): Promise<ObservedState & { readonly directoryRead: ReadTally | null }> {
  const ad: DirectoryRecipient[] = [];
  const contacts: DirectoryRecipient[] = [];
  const users: CloudUser[] = [];
  const recipients: ExchangeRecipient[] = [];
  const tally = emptyTally();
  const tick = () =>
    progress?.({
      directory: ad.length + contacts.length,
      cloudUsers: users.length,
      exchange: recipients.length,
    });
  const drain = async <T>(source: AsyncIterable<T>, into: T[]): Promise<void> => {
    for await (const item of source) {
      into.push(item);
      if (into.length % 100 === 0) tick();
    }
  };
  // A directory may be configured only for partner contacts (cloud-only users, AD contacts).
  const usersInAd = directory !== undefined && (scope.ous.length > 0 || scope.groups.length > 0);
  await Promise.all([
    usersInAd ? drain(directory.readRecipients(scope, tally), ad) : Promise.resolve(),
    directory && contactsScope ? drain(directory.readRecipients(contactsScope), contacts) : Promise.resolve(),
    drain(tenant.readUsers(), users),
    drain(tenant.readRecipients(), recipients),
  ]);
  tick();
  const observed = {
    directory: usersInAd ? ad : null,
    cloudUsers: users,
    exchange: recipients,
    directoryRead: usersInAd ? tally : null,
  };
  if (contactsScope === undefined) return observed;
  // The OU may hold users too (and the scope contacts): only contacts are partners.
  return { ...observed, adContacts: directory ? contacts.filter((c) => c.kind === "contact") : null };
}
