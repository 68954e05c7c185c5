// A minimal, bounds-checked ASN.1 TLV reader and writer. Parsers of hostile bytes (directory
// values, repository files) use it to look at structure before handing a slice to a full decoder,
// and to take exact byte ranges (tbsCertificate, names, certificates inside a PKCS#7) without
// re-encoding. Every read is checked against the enclosing length: nothing reads past it.

export interface Tlv {
  /** First identifier octet (class, constructed bit, low tag number); high tag numbers are refused. */
  readonly tag: number;
  /** Offset of the identifier octet in the buffer. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the contents (excluding an end-of-contents marker for indefinite lengths). */
  readonly contentEnd: number;
  /** Offset just past the whole element. */
  readonly end: number;
}

export class DerError extends Error {
  override readonly name = "DerError";
}

/** Nesting limit for indefinite-length (BER) elements, so hostile input cannot exhaust the stack. */
const MAX_DEPTH = 32;

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  CTX0: 0xa0,
  CTX1: 0xa1,
  CTX3: 0xa3,
} as const;

/** Reads the element starting at `offset`; it must end at or before `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length, depth = 0): Tlv {
  if (depth > MAX_DEPTH) throw new DerError("nesting too deep");
  if (limit > buf.length) limit = buf.length;
  if (offset + 2 > limit) throw new DerError("truncated element header");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
  let pos = offset + 1;
  const first = buf[pos++]!;
  if (first < 0x80) {
    return checkedEnd(tag, offset, pos, pos + first, limit);
  }
  if (first === 0x80) {
    // Indefinite length: constructed only; walk children until the 00 00 end-of-contents marker.
    if ((tag & 0x20) === 0) throw new DerError("indefinite length on a primitive element");
    let child = pos;
    for (;;) {
      if (child + 2 > limit) throw new DerError("missing end-of-contents");
      if (buf[child] === 0 && buf[child + 1] === 0) {
        return { tag, start: offset, contentStart: pos, contentEnd: child, end: child + 2 };
      }
      child = readTlv(buf, child, limit, depth + 1).end;
    }
  }
  const n = first & 0x7f;
  if (n > 4) throw new DerError("length field too long");
  if (pos + n > limit) throw new DerError("truncated length field");
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[pos++]!;
  return checkedEnd(tag, offset, pos, pos + len, limit);
}

function checkedEnd(
  tag: number,
  start: number,
  contentStart: number,
  contentEnd: number,
  limit: number,
): Tlv {
  if (contentEnd > limit) throw new DerError("element length runs past its container");
  return { tag, start, contentStart, contentEnd, end: contentEnd };
}

/** The direct children of a constructed element. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError("not a constructed element");
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.contentEnd) {
    const child = readTlv(buf, pos, parent.contentEnd);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

export function slice(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.start, t.end);
}

export function contents(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.contentStart, t.contentEnd);
}

/** Dotted OID from the contents of an OBJECT IDENTIFIER. */
export function decodeOid(bytes: Uint8Array): string {
  if (bytes.length === 0 || bytes.length > 64) throw new DerError("bad OID length");
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError("OID arc too large");
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        arcs.push(first, value - first * 40);
      } else {
        arcs.push(value);
      }
      value = 0;
    }
  }
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) throw new DerError("truncated OID");
  return arcs.join(".");
}

export function readOid(buf: Uint8Array, t: Tlv | undefined): string {
  return decodeOid(contents(buf, expectTag(t, TAG.OID, "an OBJECT IDENTIFIER")));
}

// ---- writing (definite lengths only: what we write is DER) ----

export function encodeLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function encodeTlv(tag: number, ...parts: readonly Uint8Array[]): Uint8Array {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const header = encodeLength(len);
  const out = new Uint8Array(1 + header.length + len);
  out[0] = tag;
  out.set(header, 1);
  let pos = 1 + header.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split(".").map(Number);
  const first = arcs[0]! * 40 + arcs[1]!;
  const out: number[] = [];
  for (const arc of [first, ...arcs.slice(2)]) {
    const group: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) group.unshift(0x80 | (n & 0x7f));
    out.push(...group);
  }
  return encodeTlv(TAG.OID, Uint8Array.from(out));
}

/** Lexicographic byte order, as DER requires for the elements of a SET OF. */
/** Byte order, then length (a prefix first); native memcmp: values are compared on every plan. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(asBuffer(a), asBuffer(b));
}

const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}
