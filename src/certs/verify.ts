// Signature checks of certificates and CRLs with node:crypto: synchronous (policy stays a plain
// function) and it covers RSA, RSA-PSS, ECDSA, DSA and EdDSA.
import { constants, createPublicKey, type KeyObject, verify } from "node:crypto";
import { signedParts } from "./summary.js";

export function publicKeyFromSpki(spki: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
}

/** Whether `signedDer` (a certificate or CRL) carries a valid signature by `key`. Never throws. */
export function verifySignedBy(signedDer: Uint8Array, key: KeyObject): boolean {
  try {
    const { tbs, algorithm, pss, signature } = signedParts(signedDer);
    switch (algorithm.family) {
      case "ed25519":
      case "ed448":
        return verify(null, tbs, key, signature);
      case "rsa":
      case "ecdsa":
      case "dsa":
        return (
          algorithm.hash !== undefined &&
          algorithm.hash !== "md2" &&
          verify(algorithm.hash, tbs, key, signature)
        );
      case "rsa-pss":
        return (
          pss !== undefined &&
          verify(
            pss.hash,
            tbs,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength },
            signature,
          )
        );
      case "unknown":
        return false;
    }
  } catch {
    return false;
  }
}
