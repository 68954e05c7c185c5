// Outlook's "security settings" value of userSMIMECertificate (MS-OXOABK 2.2.4.36): a run of
// settings, each TAG (uint16 LE), LENGTH (uint16 LE, counting the 4 header bytes), DATA. Only the
// settings holding certificates matter here; the others (capabilities, flags) are skipped.
import { DerError } from "./der.js";

/** 2.2.4.36.8 KeyExchangeCertificate, 2.2.4.36.9 SignCertificate, 2.2.4.36.10 ChainCertificate. */
export const OUTLOOK_CERT_TAGS: Readonly<Record<number, "key-exchange" | "sign" | "chain">> = {
  3: "key-exchange",
  8: "sign",
  4: "chain",
};

export interface OutlookCert {
  readonly role: "key-exchange" | "sign" | "chain";
  readonly der: Uint8Array;
}

/** Throws DerError when a LENGTH is out of bounds; never reads past the value. */
export function readOutlookBlob(buf: Uint8Array): OutlookCert[] {
  const out: OutlookCert[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (pos + 4 > buf.length) throw new DerError(`security-settings blob truncated at byte ${pos}`);
    const tag = buf[pos]! | (buf[pos + 1]! << 8);
    const length = buf[pos + 2]! | (buf[pos + 3]! << 8);
    if (length < 4 || pos + length > buf.length) {
      throw new DerError(
        `security setting 0x${tag.toString(16).padStart(4, "0")} has a bad length ${length}`,
      );
    }
    const role = OUTLOOK_CERT_TAGS[tag];
    if (role !== undefined) {
      if (length === 4) throw new DerError("empty certificate setting");
      out.push({ role, der: buf.subarray(pos + 4, pos + length) });
    }
    pos += length;
  }
  return out;
}

/** Builds a blob (used by tests and fixtures; smimesync itself writes PKCS#7). */
export function buildOutlookBlob(settings: readonly { tag: number; data: Uint8Array }[]): Uint8Array {
  const parts = settings.map(({ tag, data }) => {
    const length = data.length + 4;
    if (length > 0xffff) throw new RangeError("setting too long for a 16-bit LENGTH");
    const p = new Uint8Array(length);
    p.set([tag & 0xff, tag >> 8, length & 0xff, length >> 8]);
    p.set(data, 4);
    return p;
  });
  return Buffer.concat(parts);
}
