// What `validate` checks inside the files a config names.
// TODO(integration): route through the certs file parser once src/certs lands.
import { X509Certificate, X509Crl } from "@peculiar/x509";

export type FileCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function pemBlocks(text: string): { label: string; der: Buffer }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({
    label: m[1] as string,
    der: Buffer.from((m[2] as string).replace(/\s+/g, ""), "base64"),
  }));
}

function check(bytes: Buffer, label: string, parse: (der: Buffer) => unknown, what: string): FileCheck {
  const text = bytes.toString("latin1");
  const blocks = pemBlocks(text);
  if (blocks.some((b) => b.label.includes("PRIVATE KEY")))
    return { ok: false, reason: "holds a private key; never put private keys in the repository" };
  const ders = blocks.length > 0 ? blocks.filter((b) => b.label === label).map((b) => b.der) : [bytes];
  if (ders.length === 0) return { ok: false, reason: `holds no ${what}` };
  for (const der of ders) {
    try {
      parse(der);
    } catch {
      return { ok: false, reason: `is not a ${what} (PEM or DER)` };
    }
  }
  return { ok: true };
}

export function checkCertificateFile(bytes: Buffer): FileCheck {
  return check(bytes, "CERTIFICATE", (der) => new X509Certificate(der), "certificate");
}

export function checkCrlFile(bytes: Buffer): FileCheck {
  return check(bytes, "X509 CRL", (der) => new X509Crl(der), "CRL");
}
