// What `validate` checks inside the files a config names. Certificates go through the same parser
// that reads them at plan time, so a file that validates is a file that plans.
import { parseCertificateFile, parseCrlFile } from "../certs/index.js";

export type FileCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export function checkCertificateFile(bytes: Uint8Array): FileCheck {
  const parsed = parseCertificateFile(bytes);
  return parsed.ok ? { ok: true } : { ok: false, reason: parsed.error.message };
}

export function checkCrlFile(bytes: Uint8Array): FileCheck {
  const parsed = parseCrlFile(bytes);
  return parsed.ok ? { ok: true } : { ok: false, reason: parsed.error.message };
}
