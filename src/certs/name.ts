// An X.509 Name (issuer, subject) as text, read with the bounded TLV reader: `CN=Alice, O=Corp`.
// The same text @peculiar/x509's Name.toString() gives (RDNs in encoded order, its short names,
// RFC 4514 escapes, `#hex` for non-string values), at a fraction of the cost of its ASN.1 object
// model: names were the largest single cost of parsing a certificate.
import { children, contents, DerError, readOid, readTlv, slice, TAG, type Tlv } from "./der.js";

const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

const PRINTABLE = 0x13;
const TELETEX = 0x14;
const IA5 = 0x16;
const UNIVERSAL = 0x1c;
const BMP = 0x1e;

/** The string of a DirectoryString / IA5String value, or undefined for any other type. */
function stringValue(bytes: Uint8Array, tag: number): string | undefined {
  switch (tag) {
    case TAG.UTF8:
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
    case PRINTABLE:
    case TELETEX:
    case IA5:
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
    case BMP: {
      let s = "";
      for (let i = 0; i + 1 < bytes.length; i += 2)
        s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
      return s;
    }
    case UNIVERSAL: {
      let s = "";
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        const cp = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
        s += String.fromCharCode(cp & 0xffff);
      }
      return s;
    }
    default:
      return undefined;
  }
}

const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// RFC 4514 escapes as @peculiar/x509 applies them (the control-character rule once, as it does).
function escapeValue(s: string): string {
  return s
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (c) => `\\${Buffer.from(c, "utf8").toString("hex").toUpperCase()}`);
}

/** The text of a Name's DER (the whole SEQUENCE); throws DerError when it is not one. */
export function nameText(der: Uint8Array): string {
  const name = readTlv(der, 0);
  if (name.tag !== TAG.SEQUENCE || name.end !== der.length) throw new DerError("expected a Name");
  return children(der, name)
    .map((rdn) => {
      if (rdn.tag !== TAG.SET) throw new DerError("expected a RelativeDistinguishedName");
      return children(der, rdn)
        .map((atv: Tlv) => {
          const [type, value, extra] = atv.tag === TAG.SEQUENCE ? children(der, atv) : [];
          if (type === undefined || value === undefined || extra !== undefined) {
            throw new DerError("expected an AttributeTypeAndValue");
          }
          const oid = readOid(der, type);
          const text = stringValue(contents(der, value), value.tag);
          return `${SHORT_NAMES[oid] ?? oid}=${text === undefined ? `#${hexOf(slice(der, value))}` : escapeValue(text)}`;
        })
        .join("+");
    })
    .join(", ");
}
