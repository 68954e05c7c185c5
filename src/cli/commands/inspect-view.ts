// What `smimesync inspect` prints of certificate files, CRLs and policy decisions, as text and
// JSON; loaded by the command's action only.
import { resolve } from "node:path";
import type { ChalkInstance } from "chalk";
import { describeKey } from "../../certs/algorithms.js";
import type { CertSummary, CrlSummary, ParseResult } from "../../certs/index.js";
import { safeText } from "../../certs/summary.js";
import { SmimesyncError } from "../../errors.js";
import { readBoundedFile } from "../../files/bounded-read.js";
import { shortThumbprint } from "../../model/thumbprint.js";
import type { AttributeDecision, Judgement } from "../../policy/index.js";

const EKU_NAMES: Readonly<Record<string, string>> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "2.5.29.37.0": "anyExtendedKeyUsage",
  "1.3.6.1.4.1.311.10.3.4": "EFS",
  "1.3.6.1.4.1.311.20.2.2": "smartcardLogon",
};

export async function readInput(cwd: string, name: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readBoundedFile(resolve(cwd, name), "certificate", name));
  } catch (e) {
    if (e instanceof SmimesyncError) throw e;
    throw new SmimesyncError("FILE_UNREADABLE", `cannot read ${name}: ${(e as Error).message}`);
  }
}

export function parseInstant(s: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime()))
    throw new SmimesyncError(
      "USAGE",
      `--at ${s}: not a date (use ISO 8601, e.g. 2025-06-01 or 2025-06-01T12:00:00Z)`,
    );
  return d;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

function validity(c: ChalkInstance, cert: CertSummary, now: Date): string {
  const range = `${day(cert.notBefore)} .. ${day(cert.notAfter)}`;
  if (now > cert.notAfter) return `${range} ${c.red("(expired)")}`;
  if (now < cert.notBefore) return `${range} ${c.yellow("(not yet valid)")}`;
  return range;
}

function renderCert(c: ChalkInstance, cert: CertSummary, now: Date, indent: string): string[] {
  const eku =
    cert.eku === undefined ? "(none)" : cert.eku.map((e) => EKU_NAMES[e] ?? e).join(", ") || "(empty)";
  return [
    `${indent}${c.bold(cert.subject)}${cert.isCA ? c.dim("  [CA]") : ""}`,
    `${indent}  issuer      ${cert.issuer}`,
    `${indent}  serial      ${cert.serial}`,
    `${indent}  SHA-1       ${cert.sha1}`,
    `${indent}  SHA-256     ${cert.sha256}`,
    `${indent}  e-mail      ${cert.emails.map(safeText).join(", ") || "(none)"}`,
    `${indent}  valid       ${validity(c, cert, now)}`,
    `${indent}  key         ${describeKey(cert.key)}`,
    `${indent}  signature   ${cert.signature.name}`,
    `${indent}  EKU         ${eku}`,
    `${indent}  key usage   ${cert.keyUsage === undefined ? "(any)" : cert.keyUsage.join(", ") || "(none)"}`,
  ];
}

function renderCrl(crl: CrlSummary, indent: string): string[] {
  return [
    `${indent}CRL of ${crl.issuer}`,
    `${indent}  updated     ${day(crl.thisUpdate)}, next ${crl.nextUpdate ? day(crl.nextUpdate) : "(none)"}`,
    `${indent}  revoked     ${crl.revoked.size} serial${crl.revoked.size === 1 ? "" : "s"}`,
  ];
}

function mark(c: ChalkInstance, j: Judgement): string {
  switch (j.status) {
    case "accepted":
      return `${c.green("✓ accepted")}: ${j.explanation}`;
    case "warning":
      return `${c.yellow(`! ${j.reason}`)}: ${j.explanation}`;
    case "rejected":
      return `${c.red(`✗ ${j.reason}`)}: ${j.explanation}`;
  }
}

export function renderFile(
  c: ChalkInstance,
  name: string,
  result: ParseResult,
  verdict: AttributeDecision["verdicts"][number] | undefined,
  now: Date,
): string {
  if (!result.ok) {
    const head =
      result.error.kind === "private-key"
        ? c.red("refused: private key")
        : c.red(`unreadable (${result.error.kind})`);
    return `${c.bold(name)}: ${head}\n  ${result.error.message}\n`;
  }
  const lines = [
    `${c.bold(name)}: ${result.form}, ${result.certs.length} certificate(s)${result.crls.length ? `, ${result.crls.length} CRL(s)` : ""}`,
  ];
  for (const cert of result.certs) {
    lines.push(...renderCert(c, cert, now, "  "));
    const cv = verdict?.certs.find((v) => v.cert.sha256 === cert.sha256);
    if (cv) {
      lines.push(`    verdict   ${mark(c, cv)}`);
      if (cv.status === "rejected")
        for (const f of cv.findings.slice(1)) lines.push(`              also ${f.reason}: ${f.message}`);
    }
  }
  for (const crl of result.crls) lines.push(...renderCrl(crl, "  "));
  if (verdict) lines.push(`  value: ${mark(c, verdict)}`);
  return `${lines.join("\n")}\n`;
}

export function renderDecision(c: ChalkInstance, d: AttributeDecision, names: readonly string[]): string {
  if (d.mode === "off")
    return c.dim(`${d.attribute} is not managed by this configuration (publish settings).`);
  if (d.desired.length === 0) return `${d.attribute} (${d.mode}): nothing would be published.`;
  const lines = [`${d.attribute} (${d.mode}) would hold, newest first:`];
  for (const v of d.desired) {
    const what = v.certs
      .map((x) => `${x.subject} (thumbprint ${shortThumbprint(x.sha1)}) until ${day(x.notAfter)}`)
      .join("; ");
    lines.push(
      `  + ${what}${v.derived ? c.dim(" (derived PKCS#7)") : ""}  ${c.dim(`from ${names[v.from]}`)}`,
    );
  }
  return lines.join("\n");
}

function certJson(cert: CertSummary) {
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: cert.serial,
    sha1: cert.sha1,
    sha256: cert.sha256,
    emails: cert.emails,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    key: cert.key,
    signature: cert.signature.name,
    eku: cert.eku ?? null,
    keyUsage: cert.keyUsage ?? null,
    isCA: cert.isCA,
  };
}

function judgementJson(j: Judgement) {
  return j.status === "accepted"
    ? { status: j.status, explanation: j.explanation }
    : { status: j.status, reason: j.reason, explanation: j.explanation, findings: j.findings };
}

export function toJson(
  parsed: readonly { name: string; result: ParseResult }[],
  decision: AttributeDecision | undefined,
  now: Date,
) {
  return {
    at: now.toISOString(),
    files: parsed.map(({ name, result }, i) => {
      const v = decision?.verdicts[i];
      return result.ok
        ? {
            file: name,
            form: result.form,
            certificates: result.certs.map((cert) => {
              const cv = v?.certs.find((x) => x.cert.sha256 === cert.sha256);
              return { ...certJson(cert), ...(cv ? { verdict: judgementJson(cv) } : {}) };
            }),
            crls: result.crls.map((crl) => ({
              issuer: crl.issuer,
              thisUpdate: crl.thisUpdate.toISOString(),
              nextUpdate: crl.nextUpdate?.toISOString() ?? null,
              revoked: crl.revoked.size,
            })),
            ...(v ? { verdict: judgementJson(v) } : {}),
          }
        : { file: name, error: result.error };
    }),
    ...(decision && decision.mode !== "off"
      ? {
          attribute: decision.attribute,
          mode: decision.mode,
          desired: decision.desired.map((d) => ({
            from: parsed[d.from]?.name,
            sha256: d.sha256,
            derived: d.derived,
            certificates: d.certs.map((x) => x.sha256),
          })),
        }
      : {}),
  };
}
