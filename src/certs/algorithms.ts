// OIDs of the key and signature algorithms smimesync recognises, and what policy needs of each.

export type HashName = "md2" | "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512";

export interface SignatureAlgorithm {
  readonly oid: string;
  /** Human name as OpenSSL prints it, e.g. `sha256WithRSAEncryption`. */
  readonly name: string;
  /** The digest; undefined for EdDSA (no separate hash) and unknown algorithms. */
  readonly hash: HashName | undefined;
  readonly family: "rsa" | "rsa-pss" | "ecdsa" | "dsa" | "ed25519" | "ed448" | "unknown";
}

const SIG: Readonly<Record<string, Omit<SignatureAlgorithm, "oid">>> = {
  "1.2.840.113549.1.1.2": { name: "md2WithRSAEncryption", hash: "md2", family: "rsa" },
  "1.2.840.113549.1.1.4": { name: "md5WithRSAEncryption", hash: "md5", family: "rsa" },
  "1.2.840.113549.1.1.5": { name: "sha1WithRSAEncryption", hash: "sha1", family: "rsa" },
  "1.3.14.3.2.29": { name: "sha1WithRSA", hash: "sha1", family: "rsa" },
  "1.2.840.113549.1.1.14": { name: "sha224WithRSAEncryption", hash: "sha224", family: "rsa" },
  "1.2.840.113549.1.1.11": { name: "sha256WithRSAEncryption", hash: "sha256", family: "rsa" },
  "1.2.840.113549.1.1.12": { name: "sha384WithRSAEncryption", hash: "sha384", family: "rsa" },
  "1.2.840.113549.1.1.13": { name: "sha512WithRSAEncryption", hash: "sha512", family: "rsa" },
  // RSASSA-PSS: the hash sits in the parameters; summary.ts fills it in.
  "1.2.840.113549.1.1.10": { name: "rsassaPss", hash: undefined, family: "rsa-pss" },
  "1.2.840.10045.4.1": { name: "ecdsa-with-SHA1", hash: "sha1", family: "ecdsa" },
  "1.2.840.10045.4.3.1": { name: "ecdsa-with-SHA224", hash: "sha224", family: "ecdsa" },
  "1.2.840.10045.4.3.2": { name: "ecdsa-with-SHA256", hash: "sha256", family: "ecdsa" },
  "1.2.840.10045.4.3.3": { name: "ecdsa-with-SHA384", hash: "sha384", family: "ecdsa" },
  "1.2.840.10045.4.3.4": { name: "ecdsa-with-SHA512", hash: "sha512", family: "ecdsa" },
  "1.2.840.10040.4.3": { name: "dsa-with-SHA1", hash: "sha1", family: "dsa" },
  "2.16.840.1.101.3.4.3.1": { name: "dsa-with-SHA224", hash: "sha224", family: "dsa" },
  "2.16.840.1.101.3.4.3.2": { name: "dsa-with-SHA256", hash: "sha256", family: "dsa" },
  "1.3.101.112": { name: "Ed25519", hash: undefined, family: "ed25519" },
  "1.3.101.113": { name: "Ed448", hash: undefined, family: "ed448" },
};

export function signatureAlgorithm(oid: string): SignatureAlgorithm {
  const known = SIG[oid];
  return known ? { oid, ...known } : { oid, name: oid, hash: undefined, family: "unknown" };
}

export const HASH_OIDS: Readonly<Record<string, HashName>> = {
  "1.2.840.113549.2.2": "md2",
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

export type KeyInfo =
  | { readonly type: "RSA"; readonly bits: number }
  | { readonly type: "EC"; readonly curve: string }
  | { readonly type: "Ed25519" | "Ed448" | "X25519" | "X448" }
  | { readonly type: "DSA"; readonly bits: number }
  | { readonly type: "unknown"; readonly oid: string };

export const KEY_OIDS = {
  rsa: "1.2.840.113549.1.1.1",
  rsaPss: "1.2.840.113549.1.1.10",
  ec: "1.2.840.10045.2.1",
  dsa: "1.2.840.10040.4.1",
  ed25519: "1.3.101.112",
  ed448: "1.3.101.113",
  x25519: "1.3.101.110",
  x448: "1.3.101.111",
} as const;

/** Named curves by OID; the names of the first three are those the config's `allowedCurves` uses. */
export const CURVES: Readonly<Record<string, string>> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
  "1.3.132.0.10": "secp256k1",
  "1.2.840.10045.3.1.1": "P-192",
  "1.3.132.0.33": "P-224",
  "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
  "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
  "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
};

export function describeKey(key: KeyInfo): string {
  switch (key.type) {
    case "RSA":
    case "DSA":
      return `${key.type} ${key.bits}`;
    case "EC":
      return `EC ${key.curve}`;
    case "Ed25519":
    case "Ed448":
    case "X25519":
    case "X448":
      return key.type;
    case "unknown":
      return `unknown key ${key.oid}`;
  }
}
