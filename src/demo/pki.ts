// The demo's certificate authorities and the certificates they issue, made in memory with
// @peculiar/x509 and WebCrypto. Private keys are generated non-extractable and live only in this
// process: the demo writes certificates and a CRL, never a key (a public directory must never
// receive one, and neither should a newcomer's disk). EC P-256 everywhere: key generation is
// instant, so the demo runs in seconds.
import "../certs/runtime.js";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

type Crypto = Parameters<typeof x509.X509CertificateGenerator.create>[1];
type KeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto as unknown as NonNullable<Crypto>;
const EC_P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const OID_EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4";
const DAY_MS = 86_400_000;

export const daysFrom = (now: Date, days: number): Date => new Date(now.getTime() + days * DAY_MS);

async function generateKeys(): Promise<KeyPair> {
  // extractable: false: the key cannot be exported, even by mistake.
  return (await webcrypto.subtle.generateKey(EC_P256, false, ["sign", "verify"])) as KeyPair;
}

/** Random positive serials, as a CA issues them (RFC 5280 allows up to 20 octets). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString("hex");
}

export interface Authority {
  readonly cert: x509.X509Certificate;
  readonly der: Uint8Array;
  /** Signs what this CA issues; never leaves the process. */
  readonly keys: KeyPair;
}

export async function makeRootCa(name: string, notBefore: Date, notAfter: Date): Promise<Authority> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name,
      keys,
      notBefore,
      notAfter,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { cert, der: new Uint8Array(cert.rawData), keys };
}

export async function makeIssuingCa(
  issuer: Authority,
  name: string,
  notBefore: Date,
  notAfter: Date,
): Promise<Authority> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: name,
      issuer: issuer.cert.subjectName,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      notBefore,
      notAfter,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.cert, false, crypto),
      ],
    },
    crypto,
  );
  return { cert, der: new Uint8Array(cert.rawData), keys };
}

export interface UserCertificateSpec {
  readonly cn: string;
  /** SAN rfc822Name values. */
  readonly emails: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The hash of the CA's signature: SHA-1 shows the `weak-signature` verdict. */
  readonly signatureHash?: "SHA-1" | "SHA-256";
}

export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly serial: string;
}

/** An S/MIME certificate as an enterprise CA's user template issues it (emailProtection, ECDH). */
export async function issueUserCertificate(
  ca: Authority,
  spec: UserCertificateSpec,
): Promise<IssuedCertificate> {
  // The subject's key pair is made and dropped here: only its public half ends up anywhere.
  const subjectKeys = await generateKeys();
  const serialNumber = serial();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber,
      subject: `CN=${spec.cn}`,
      issuer: ca.cert.subjectName,
      publicKey: subjectKeys.publicKey,
      signingKey: ca.keys.privateKey,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      signingAlgorithm: { name: "ECDSA", hash: spec.signatureHash ?? "SHA-256" },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([OID_EMAIL_PROTECTION]),
        new x509.SubjectAlternativeNameExtension(
          spec.emails.map((value) => ({ type: "email" as const, value })),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
      ],
    },
    crypto,
  );
  return { der: new Uint8Array(cert.rawData), serial: serialNumber };
}

export async function issueCrl(
  ca: Authority,
  revoked: readonly { readonly serial: string; readonly date: Date }[],
  thisUpdate: Date,
  nextUpdate: Date,
): Promise<Uint8Array> {
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: ca.cert.subjectName,
      thisUpdate,
      nextUpdate,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      entries: revoked.map((r) => ({
        serialNumber: r.serial,
        revocationDate: r.date,
        reason: x509.X509CrlReason.keyCompromise,
      })),
    },
    crypto,
  );
  return new Uint8Array(crl.rawData);
}

export function pem(label: "CERTIFICATE" | "X509 CRL", der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
