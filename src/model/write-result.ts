// Outcome of writing one object's values at its authority. A backend never throws for an outcome
// the admin must see per object (stale, refused); it throws SmimesyncError only when the whole
// backend is unusable (connection lost, credentials rejected).
export type WriteResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /**
       * `stale`: the object changed since the plan (fingerprint mismatch or a concurrent writer).
       * `unconfirmed`: the service accepted the write but warned (Exchange's `@adminapi.warnings`,
       * e.g. "no settings ... have been modified"): it may not have changed anything.
       */
      readonly reason: "stale" | "not-found" | "refused" | "error" | "unconfirmed";
      readonly message: string;
    };

export const WRITE_OK: WriteResult = Object.freeze({ ok: true });
