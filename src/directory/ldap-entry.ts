// ldapts hands entries back as `{dn, attr: Buffer | Buffer[] | string | string[]}`; this turns
// them into RawEntry bytes. Every requested attribute is asked for as Buffer so that certificate
// and GUID bytes are never decoded as text.
import { Attribute, type Entry } from "ldapts";
import type { RawEntry } from "./entry.js";

// ldapts 8.2 decodes every value as UTF-8 while parsing a search entry (a fatal decoder: an
// exception for each certificate), then hands back the raw buffers for explicitBufferAttributes,
// which every attribute smimesync asks for is. Telling its parser that every attribute is binary
// skips that decoding, about 6% of a warm plan's CPU, with the same entries as result. The hook is
// private: ldapts is pinned, and test/directory/ldap-entry.test.ts says when it stops working.
const parser = Attribute.prototype as unknown as { _isBinaryType?: () => boolean };
if (typeof parser._isBinaryType === "function") parser._isBinaryType = () => true;

const encoder = new TextEncoder();

/** ldapts matches explicitBufferAttributes by exact case: list the schema spelling and lower case. */
export function bufferAttributeNames(names: readonly string[]): string[] {
  return [...new Set(names.flatMap((n) => [n, n.toLowerCase()]))];
}

export function fromLdapts(entry: Entry): RawEntry {
  const attributes = new Map<string, Uint8Array[]>();
  for (const [key, raw] of Object.entries(entry)) {
    if (key === "dn") continue;
    const name = (key.split(";")[0] as string).toLowerCase();
    const list = Array.isArray(raw) ? raw : [raw];
    const values = list.map((v: Buffer | string) =>
      typeof v === "string" ? encoder.encode(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
    );
    if (values.length === 0) continue;
    attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
  }
  return { dn: entry.dn, attributes };
}
