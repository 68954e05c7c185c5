// The tenant's S/MIME trust collection (Exchange Online's `SMIMECertificateIssuingCA`: an SST of
// root and intermediate CAs, the only store Exchange Online validates S/MIME against). Pure: its
// fingerprint and its value-level edit, shared by the cloud and snapshot backends and the plan.
import { readSst, type SerializedStore, type SstEntry, writeSst, X509_ASN_ENCODING } from "../certs/sst.js";
import { sha256Hex as sha256 } from "./digest.js";
import type { ObjectFingerprint } from "./fingerprint.js";

/** Exchange's parameter name; also the plan's attribute of a trust-collection change. */
export const TRUST_COLLECTION_ATTRIBUTE = "SMIMECertificateIssuingCA";

/** CA certificates to add (DER) and remove (SHA-256 of the DER, lower-case hex). */
export interface TrustCollectionEdit {
  readonly add: readonly Uint8Array[];
  readonly remove: readonly string[];
}

export type CollectionRead =
  | { readonly ok: true; readonly store: SerializedStore; readonly certificates: readonly Uint8Array[] }
  | { readonly ok: false; readonly message: string };

/** The certificates of a collection as stored; none set reads as an empty store. */
export function readCollection(sst: Uint8Array | null): CollectionRead {
  if (sst === null || sst.length === 0) return { ok: true, store: { entries: [] }, certificates: [] };
  const read = readSst(sst);
  if (!read.ok) return { ok: false, message: `${read.error.message} (at byte ${read.error.offset})` };
  const certificates = read.store.entries.filter((e) => e.kind === "certificate").map((e) => e.value);
  return { ok: true, store: read.store, certificates };
}

/**
 * What a plan saw of the collection: the set of its certificates (order and Windows' properties do
 * not matter to validation); an SST that does not parse by the hash of its bytes.
 */
export function trustCollectionFingerprint(sst: Uint8Array | null): ObjectFingerprint {
  const read = readCollection(sst);
  if (!read.ok) return { valuesHash: sha256(`raw:${sha256(sst ?? new Uint8Array())}`) };
  const digests = read.certificates.map(sha256).sort();
  return { valuesHash: sha256(`${TRUST_COLLECTION_ATTRIBUTE}:${digests.join(",")};`) };
}

export interface CollectionEdit {
  /** The new collection's bytes; null: none (nothing left to trust). */
  readonly sst: Uint8Array | null;
  readonly changed: boolean;
}

/**
 * The collection after an edit: entries kept byte for byte (with the properties Windows stored),
 * removed ones left out, new certificates appended without properties. An empty result is `null`
 * (no collection). A store that does not parse is replaced by the added certificates alone.
 */
export function editCollection(sst: Uint8Array | null, edit: TrustCollectionEdit): CollectionEdit {
  const read = readCollection(sst);
  const entries: SstEntry[] = read.ok ? [...read.store.entries] : [];
  const removing = new Set(edit.remove.map((h) => h.toLowerCase()));
  const kept = entries.filter((e) => e.kind !== "certificate" || !removing.has(sha256(e.value)));
  let changed = !read.ok || kept.length !== entries.length;
  const present = new Set(kept.filter((e) => e.kind === "certificate").map((e) => sha256(e.value)));
  for (const der of edit.add) {
    const h = sha256(der);
    if (present.has(h)) continue;
    present.add(h);
    kept.push({ kind: "certificate", encodingType: X509_ASN_ENCODING, properties: [], value: der });
    changed = true;
  }
  if (!kept.some((e) => e.kind === "certificate")) return { sst: null, changed: sst !== null };
  return { sst: writeSst({ entries: kept }), changed };
}
