// THE place where Exchange's byte arrays meet JSON. How InvokeCommand encodes byte[] properties
// (UserCertificate, UserSMimeCertificate, and Set-SmimeConfig's single SMIMECertificateIssuingCA)
// is not documented; the working assumption is OData's
// Edm.Binary: standard base64 strings. Should that prove wrong, only this file changes.
import { SmimesyncError } from "../../errors.js";

export function encodeExchangeBytes(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
}

/**
 * Reads one value as Exchange returns it. A base64 string is the assumption; a JSON array of
 * byte numbers (how .NET serialisers sometimes render byte[]) is accepted as well, so a
 * different encoding shows up as correct data rather than as an outage.
 */
export function decodeExchangeBytes(value: unknown, where: string): Uint8Array {
  if (typeof value === "string") {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
      throw new SmimesyncError("TENANT_ERROR", `${where}: a certificate value is not base64`);
    }
    return new Uint8Array(Buffer.from(value, "base64"));
  }
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    return Uint8Array.from(value as number[]);
  }
  throw new SmimesyncError(
    "TENANT_ERROR",
    `${where}: a certificate value is neither a base64 string nor a byte array`,
  );
}
