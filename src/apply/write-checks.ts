// Defence in depth at the last moment before a write, whatever the plan says: every value about
// to be written goes through the same parser as the policy (which refuses private keys and
// garbage) and must hold the certificate the plan shows, and the object re-read for the write must
// be the recipient the plan names. apply plans again before writing, so a forged plan file never
// reaches here; these checks hold even if a bug or a future caller let one through.
import { parseCertificates } from "../certs/index.js";
import type { DirectoryRecipient } from "../directory/types.js";
import type { CertAttribute } from "../model/attributes.js";
import type { CertChange, PlannedChange, PlanObject } from "../plan/types.js";
import type { ExchangeRecipient } from "../tenant/types.js";

/** Why this value must not be written to `attribute`, or undefined when it may. */
export function valueRefusal(
  change: Pick<CertChange, "attribute" | "certificate">,
  bytes: Uint8Array,
): string | undefined {
  const parsed = parseCertificates(bytes);
  if (!parsed.ok) return `the value is not a certificate (${parsed.error.message})`;
  const forms: Readonly<Record<CertAttribute, readonly string[]>> = {
    userCertificate: ["der"],
    userSMIMECertificate: ["pkcs7-certs-only", "pkcs7-signed", "outlook-blob"],
  };
  if (!forms[change.attribute].includes(parsed.form)) {
    return `a ${parsed.form} value does not belong in ${change.attribute}`;
  }
  const [first] = parsed.certs;
  if (first === undefined || (change.attribute === "userCertificate" && parsed.certs.length !== 1)) {
    return `${change.attribute} takes exactly one certificate, the value holds ${parsed.certs.length}`;
  }
  const shown = change.certificate?.sha256.toLowerCase();
  if (shown === undefined) return "the plan shows no certificate for this value";
  if (first.sha256.toLowerCase() !== shown) {
    return `the value holds the certificate ${first.sha256.slice(0, 16)}…, not the one the plan shows (${shown.slice(0, 16)}…)`;
  }
  return undefined;
}

/** Why this value must not enter the trust collection: it must be exactly one CA certificate. */
export function caRefusal(change: Pick<PlannedChange, "certificate">, bytes: Uint8Array): string | undefined {
  const parsed = parseCertificates(bytes);
  if (!parsed.ok) return `the value is not a certificate (${parsed.error.message})`;
  const [first] = parsed.certs;
  if (parsed.form !== "der" || first === undefined || parsed.certs.length !== 1)
    return "the trust collection takes single DER certificates only";
  if (!first.isCA) return `${first.subject} is not a CA certificate`;
  if (first.sha256.toLowerCase() !== change.certificate?.sha256.toLowerCase())
    return "the value does not hold the certificate the plan shows";
  return undefined;
}

/** Why the re-read object is not the recipient the plan names, or undefined when it is. */
export function identityRefusal(
  object: PlanObject,
  current: DirectoryRecipient | ExchangeRecipient,
): string | undefined {
  const ref = object.ref;
  if ("objectGuid" in current) {
    if (ref.type !== "ad" || current.objectGuid.toLowerCase() !== ref.objectGuid.toLowerCase()) {
      return `the object found (objectGUID ${current.objectGuid}) is not the one the plan names`;
    }
  } else if (ref.type !== "exchange" || current.identity !== ref.identity) {
    return `the recipient found (${current.identity}) is not the one the plan names`;
  }
  if (object.mail === null) return undefined;
  const want = object.mail.toLowerCase();
  const addresses =
    "objectGuid" in current
      ? [current.mail, current.userPrincipalName, ...current.proxyAddresses.map(stripPrefix)]
      : [current.primarySmtpAddress, ...current.emailAddresses.map(stripPrefix)];
  if (!addresses.some((a) => a?.toLowerCase() === want)) {
    return `the object found (${"dn" in current ? current.dn : current.primarySmtpAddress}) does not carry the address ${object.mail} the plan names`;
  }
  return undefined;
}

const stripPrefix = (a: string): string => a.replace(/^smtp:/i, "");
