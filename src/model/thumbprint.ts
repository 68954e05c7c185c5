// One way to show a certificate or a value by its hash, in the text and markdown plans, the audit
// commit and `audit`, `inspect` and the report: admins search logs and audit trails for what a
// plan showed them, so the forms must match. JSON keeps the full hex digests.

/** `thumbprint EB0A4E26`: first 8 hex digits of the SHA-1 thumbprint, upper case, as Windows' certificate dialogs show it. */
export function shortThumbprint(sha1: string): string {
  return sha1.slice(0, 8).toUpperCase();
}

/** `SHA-256 3F2A9C1B`: a value that is not a certificate (or a PKCS#7 blob), by its own hash. */
export function shortValueHash(sha256: string): string {
  return sha256.slice(0, 8).toUpperCase();
}
