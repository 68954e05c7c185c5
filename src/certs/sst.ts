// Microsoft's serialized certificate store ("SST"): what `Export-Certificate -Type SST` and
// CertSaveStore(CERT_STORE_SAVE_AS_STORE) write, and what Exchange Online's
// `Set-SmimeConfig -SMIMECertificateIssuingCA` takes. Layout (MS-OSHARED 2.3.2.5.5, Wine's
// crypt32 serialize.c), all integers little-endian uint32:
//
//   version = 0, magic = "CERT" (0x54524543)
//   per entry: properties { id, encodingType (1), length, bytes } ..., then the element itself
//              { 0x20 certificate | 0x21 CRL | 0x22 CTL, encodingType, length, DER }
//   end marker: { 0, 0, 0 }
//
// Pure (no I/O). The reader keeps every field it saw, so `writeSst(readSst(b))` gives back `b`
// byte for byte; it is bounded (sizes checked against the input, entry and property counts
// capped) and never throws: a store that does not parse comes back as a typed result.

export const SST_MAGIC = 0x54524543;
export const SST_ELEMENT = { certificate: 0x20, crl: 0x21, ctl: 0x22 } as const;
export type SstElementKind = keyof typeof SST_ELEMENT;
/** X509_ASN_ENCODING | PKCS_7_ASN_ENCODING as Windows writes them; 1 (X509_ASN_ENCODING) is usual. */
export const X509_ASN_ENCODING = 1;

const HEADER_BYTES = 8;
const FIELD_BYTES = 12;

export interface SstLimits {
  /** Certificates, CRLs and CTLs together. */
  readonly maxEntries: number;
  /** Properties before one element. */
  readonly maxProperties: number;
  /** The whole store. */
  readonly maxBytes: number;
}

/** A tenant's trust collection holds tens of CAs; Windows' whole root program about 500. */
export const SST_LIMITS: SstLimits = { maxEntries: 5_000, maxProperties: 64, maxBytes: 32 * 1024 * 1024 };

export interface SstProperty {
  /** CERT_*_PROP_ID (3 SHA-1 hash, 11 friendly name, 20 key identifier, ...). */
  readonly id: number;
  readonly encodingType: number;
  readonly value: Uint8Array;
}

export interface SstEntry {
  readonly kind: SstElementKind;
  readonly encodingType: number;
  /** The properties Windows stored before the element, in file order. */
  readonly properties: readonly SstProperty[];
  /** The DER of the certificate, CRL or CTL. */
  readonly value: Uint8Array;
}

export interface SerializedStore {
  readonly entries: readonly SstEntry[];
}

export interface SstError {
  /** Byte offset where reading stopped. */
  readonly offset: number;
  readonly message: string;
}

export type SstReadResult =
  | { readonly ok: true; readonly store: SerializedStore }
  | { readonly ok: false; readonly error: SstError };

const KIND_BY_ID = new Map<number, SstElementKind>(
  (Object.entries(SST_ELEMENT) as [SstElementKind, number][]).map(([k, id]) => [id, k]),
);

export function readSst(bytes: Uint8Array, limits: SstLimits = SST_LIMITS): SstReadResult {
  const fail = (offset: number, message: string): SstReadResult => ({
    ok: false,
    error: { offset, message },
  });
  if (bytes.length > limits.maxBytes)
    return fail(0, `the store is ${bytes.length} bytes, over the limit of ${limits.maxBytes}`);
  if (bytes.length < HEADER_BYTES) return fail(0, "too short for a serialized certificate store");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  // The magic first: a DER certificate or a PKCS#7 handed in by mistake says what it is not.
  if (u32(4) !== SST_MAGIC) return fail(4, 'not a serialized certificate store (no "CERT" magic)');
  if (u32(0) !== 0) return fail(0, `unknown store version ${u32(0)} (expected 0)`);

  const entries: SstEntry[] = [];
  let properties: SstProperty[] = [];
  let pos = HEADER_BYTES;
  for (;;) {
    if (pos + FIELD_BYTES > bytes.length) {
      return fail(pos, pos === bytes.length ? "missing end marker" : "truncated element header");
    }
    const id = u32(pos);
    const encodingType = u32(pos + 4);
    const length = u32(pos + 8);
    if (id === 0) {
      if (encodingType !== 0 || length !== 0) return fail(pos, "malformed end marker");
      if (properties.length > 0) return fail(pos, "properties without a certificate before the end marker");
      if (pos + FIELD_BYTES !== bytes.length) return fail(pos + FIELD_BYTES, "data after the end marker");
      return { ok: true, store: { entries } };
    }
    const start = pos + FIELD_BYTES;
    if (length > bytes.length - start)
      return fail(pos, `element ${id} claims ${length} bytes, only ${bytes.length - start} remain`);
    // A copy, so the store never aliases (and keeps alive) the caller's buffer.
    const value = bytes.slice(start, start + length);
    const kind = KIND_BY_ID.get(id);
    if (kind === undefined) {
      if (properties.length >= limits.maxProperties)
        return fail(pos, `more than ${limits.maxProperties} properties before one element`);
      properties.push({ id, encodingType, value });
    } else {
      if (entries.length >= limits.maxEntries) return fail(pos, `more than ${limits.maxEntries} entries`);
      entries.push({ kind, encodingType, properties, value });
      properties = [];
    }
    pos = start + length;
  }
}

/** The exact bytes of a store: `writeSst(readSst(b).store)` equals `b`. */
export function writeSst(store: SerializedStore): Uint8Array {
  let size = HEADER_BYTES + FIELD_BYTES;
  for (const e of store.entries) {
    size += FIELD_BYTES + e.value.length;
    for (const p of e.properties) size += FIELD_BYTES + p.value.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0, true);
  view.setUint32(4, SST_MAGIC, true);
  let pos = HEADER_BYTES;
  const put = (id: number, encodingType: number, value: Uint8Array) => {
    view.setUint32(pos, id, true);
    view.setUint32(pos + 4, encodingType, true);
    view.setUint32(pos + 8, value.length, true);
    out.set(value, pos + FIELD_BYTES);
    pos += FIELD_BYTES + value.length;
  };
  for (const e of store.entries) {
    for (const p of e.properties) put(p.id, p.encodingType, p.value);
    put(SST_ELEMENT[e.kind], e.encodingType, e.value);
  }
  // The end marker is the remaining twelve zero bytes.
  return out;
}

/**
 * A store of exactly these certificates, in this order, without properties: what CertSaveStore
 * writes for a memory store the certificates were added to (Windows computes the hash
 * properties itself when it opens the store).
 */
export function sstFromCertificates(ders: readonly Uint8Array[]): Uint8Array {
  return writeSst({
    entries: ders.map((value) => ({
      kind: "certificate",
      encodingType: X509_ASN_ENCODING,
      properties: [],
      value,
    })),
  });
}

/** The DER of every certificate in the store, in file order (CRLs and CTLs left out). */
export function sstCertificates(store: SerializedStore): Uint8Array[] {
  return store.entries.filter((e) => e.kind === "certificate").map((e) => e.value);
}
