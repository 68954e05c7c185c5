// Get-SmimeConfig / Set-SmimeConfig over InvokeCommand: the organisation's one SmimeConfig object
// and its SMIMECertificateIssuingCA, a single byte[] holding an SST. Called as CIPP-API's
// New-ExoRequest calls any cmdlet (CmdletInput with Parameters; for a Set-*, the new value as the
// parameter); the byte[] is encoded where every other byte[] is (byte-encoding.ts).
import { SmimesyncError } from "../../errors.js";
import { isJsonObject } from "../graph/user-mapping.js";
import type { SmimeConfig } from "../types.js";
import { decodeExchangeBytes, encodeExchangeBytes } from "./byte-encoding.js";

export const GET_SMIME_CONFIG = "Get-SmimeConfig";
export const SET_SMIME_CONFIG = "Set-SmimeConfig";
export const SMIME_CONFIG_SELECT = ["Identity", "SMIMECertificateIssuingCA"] as const;

/** The first (only) object Get-SmimeConfig returns; none, or an empty value, is no collection. */
export function toSmimeConfig(objects: readonly Record<string, unknown>[]): SmimeConfig {
  const [raw] = objects;
  if (raw === undefined) return { issuingCA: null };
  if (!isJsonObject(raw)) throw protocol("Get-SmimeConfig returned a non-object");
  const value = raw.SMIMECertificateIssuingCA;
  if (value === null || value === undefined || value === "") return { issuingCA: null };
  if (Array.isArray(value) && value.length === 0) return { issuingCA: null };
  const bytes = decodeExchangeBytes(value, "Get-SmimeConfig SMIMECertificateIssuingCA");
  return { issuingCA: bytes.length === 0 ? null : bytes };
}

/** Set-SmimeConfig's parameters: the whole store, or $null to clear it. */
export function smimeConfigParameters(sst: Uint8Array | null): Record<string, unknown> {
  return { SMIMECertificateIssuingCA: sst === null ? null : encodeExchangeBytes(sst) };
}

function protocol(message: string): SmimesyncError {
  return new SmimesyncError("TENANT_ERROR", `Exchange Online answered unexpectedly: ${message}`);
}
