// Plain base64 of a value, as smimesync's own files hold it (the snapshot, the read state). The
// Exchange wire has its own encoder (src/tenant/exchange/byte-encoding.ts): that one may change.
export function toBase64(v: Uint8Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
}

export function fromBase64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "base64"));
}
