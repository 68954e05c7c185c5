// The policy engine's entry point: for one recipient and one attribute, a verdict on every
// candidate value and the values that should be there. Pure: time comes in as `now`.
//
// How a value holding several certificates (PKCS#7, Outlook blob, a PEM bundle) is judged:
// - CA certificates inside it are not judged; they serve as intermediates for chain building.
// - `userCertificate` and `derive` mode select certificates: each end-entity certificate of each
//   value is a unit. A value is accepted when at least one of its certificates is selected (and
//   its form suits the attribute); otherwise its verdict is the worst of its certificates'.
// - `keep` mode selects blobs: a blob is acceptable only when every end-entity certificate in it
//   is, except that a signing-only certificate beside an encryption-capable one (Outlook's
//   dual-key blobs) is not held against the blob. The worst certificate gives the blob's reason.
import { equalBytes } from "../certs/der.js";
import {
  buildCertsOnlyPkcs7,
  type CertCache,
  type CertSummary,
  judgedCertificates,
  type ParseResult,
  sha256Hex,
  type ValueForm,
} from "../certs/index.js";
import { type CertAttribute, MAX_VALUE_BYTES } from "../model/attributes.js";
import { CHAIN_LIMITS } from "../model/limits.js";
import { shortThumbprint } from "../model/thumbprint.js";
import { type CertVerdict, canEncrypt, canSign, type Judgement, judgeCertificate } from "./judge.js";
import { day, type Policy } from "./policy.js";
import { type CertificateReason, type Finding, type RejectReason, SEVERITY } from "./reasons.js";
import { type Outcome, type SelectionUnit, select } from "./select.js";

/**
 * - `authority`: a value now on this attribute where the recipient's certificates are written;
 *   the only kind a plan may remove.
 * - `sibling`: a value of the recipient's other certificate attribute at the authority, offered
 *   for its certificates (e.g. userCertificate's, to derive userSMIMECertificate from).
 * - `repository`: a certificate file the repository declares for the recipient.
 */
export type CandidateSource = "authority" | "sibling" | "repository";

export interface Candidate {
  readonly bytes: Uint8Array;
  readonly source: CandidateSource;
  /** Where it came from, for messages (a repository path); optional. */
  readonly label?: string;
}

export interface Recipient {
  readonly mail?: string | undefined;
  readonly proxyAddresses: readonly string[];
}

export type ValueVerdict = Judgement & {
  /** Index into the candidates passed in. */
  readonly index: number;
  readonly candidate: Candidate;
  /** SHA-256 of the value's bytes. */
  readonly sha256: string;
  readonly form: ValueForm | undefined;
  /** Verdicts of the end-entity certificates inside (empty when the value did not parse). */
  readonly certs: readonly CertVerdict[];
};

export interface DesiredValue {
  readonly bytes: Uint8Array;
  readonly sha256: string;
  /** The end-entity certificate(s) it publishes. */
  readonly certs: readonly CertSummary[];
  /** The candidate it comes from (the preferred one among duplicates). */
  readonly from: number;
  readonly source: CandidateSource;
  /** True when smimesync built the bytes (derive mode), false when they are a candidate's or a certificate's DER. */
  readonly derived: boolean;
  readonly status: "accepted" | "warning";
  readonly explanation: string;
}

export type SelectionMode = "certificate" | "keep" | "derive";

export type AttributeDecision =
  | { readonly attribute: CertAttribute; readonly mode: "off"; readonly verdicts: readonly ValueVerdict[] }
  | {
      readonly attribute: CertAttribute;
      readonly mode: SelectionMode;
      readonly verdicts: readonly ValueVerdict[];
      /** Newest first, at most maxPerUser. */
      readonly desired: readonly DesiredValue[];
    };

/** The recipient's addresses: `mail` and every `smtp:` proxy address, lower-cased. */
export function recipientAddresses(r: Recipient): Set<string> {
  const out = new Set<string>();
  if (r.mail) out.add(r.mail.trim().toLowerCase());
  for (const p of r.proxyAddresses) {
    if (p.slice(0, 5).toLowerCase() === "smtp:") out.add(p.slice(5).trim().toLowerCase());
  }
  return out;
}

export function modeOf(policy: Policy, attribute: CertAttribute): SelectionMode | "off" {
  if (attribute === "userCertificate") return policy.publish.userCertificate ? "certificate" : "off";
  const m = policy.publish.userSMIMECertificate;
  return m === "off" ? "off" : m;
}

interface Parsed {
  readonly candidate: Candidate;
  readonly index: number;
  readonly sha256: string;
  readonly parse: ParseResult;
  /** Set when the value as a whole is refused before its certificates count. */
  readonly refusal: { reason: "private-key" | "malformed"; message: string } | undefined;
  /** Set when the value's form does not suit the attribute (its certificates may still count). */
  readonly formProblem: string | undefined;
  readonly ee: readonly CertVerdict[];
}

interface Unit extends SelectionUnit {
  readonly value: number;
  readonly verdict: Judgement;
  readonly certs: readonly CertSummary[];
  readonly bytes: Uint8Array;
  readonly derived: boolean;
}

const SOURCE_PREFERENCE: Readonly<Record<CandidateSource, number>> = {
  authority: 0,
  sibling: 1,
  repository: 2,
};

export function evaluate(
  policy: Policy,
  recipient: Recipient,
  attribute: CertAttribute,
  candidates: readonly Candidate[],
  now: Date,
  cache: CertCache,
): AttributeDecision {
  const mode = modeOf(policy, attribute);
  const addresses = recipientAddresses(recipient);
  const parses = candidates.map((c) => cache.value(c.bytes));
  // CA certificates from every candidate value may complete a chain (Outlook blobs carry them).
  const extras = parses.flatMap((p) => (p.ok ? p.certs.filter((c) => c.isCA) : []));
  const parsed = candidates.map((candidate, index) =>
    judgeValue(policy, mode, candidate, index, parses[index]!, { addresses, now, extras }),
  );

  if (mode === "off") {
    return { attribute, mode, verdicts: parsed.map((p) => valueVerdict(p, aggregate(p.ee, false))) };
  }
  const units = mode === "keep" ? blobUnits(parsed) : certUnits(policy, mode, parsed);
  const outcomes = select(units, policy.maxPerUser);
  const selected = units
    .map((u, i) => ({ u, o: outcomes[i]! }))
    .filter((x): x is { u: Unit; o: Extract<Outcome, { kind: "selected" }> } => x.o.kind === "selected")
    .sort((a, b) => a.o.position - b.o.position)
    .map(({ u }) => u);
  const desired: DesiredValue[] = selected.map((u) => ({
    bytes: u.bytes,
    sha256: sha256Hex(u.bytes),
    certs: u.certs,
    from: u.value,
    source: candidates[u.value]!.source,
    derived: u.derived,
    status: u.verdict.status === "warning" ? "warning" : "accepted",
    explanation: u.verdict.explanation,
  }));
  const desiredHashes = new Set(desired.map((d) => d.sha256));
  const verdicts = parsed.map((p) => {
    const mine = units.map((u, i) => ({ u, o: outcomes[i]! })).filter((x) => x.u.value === p.index);
    return valueVerdict(p, valueJudgement(mode, p, mine, desiredHashes));
  });
  return { attribute, mode, verdicts, desired };
}

function judgeValue(
  policy: Policy,
  mode: SelectionMode | "off",
  candidate: Candidate,
  index: number,
  parse: ParseResult,
  ctx: Parameters<typeof judgeCertificate>[2],
): Parsed {
  const sha256 = sha256Hex(candidate.bytes);
  const base = { candidate, index, sha256, parse, formProblem: undefined, ee: [] };
  if (!parse.ok) {
    return {
      ...base,
      refusal: {
        reason: parse.error.kind === "private-key" ? "private-key" : "malformed",
        message: parse.error.message,
      },
    };
  }
  const ee = judgedCertificates(parse.certs);
  if (ee.length === 0) {
    const message =
      parse.certs.length === 0 ? "holds no certificate" : "holds only CA certificates, no user certificate";
    return { ...base, refusal: { reason: "malformed", message } };
  }
  // One budget of signature checks for the whole value, however many certificates it holds.
  const budget = { remaining: CHAIN_LIMITS.maxSignatureChecksPerValue };
  const verdicts = ee.map((c) => judgeCertificate(policy, c, { ...ctx, budget }));
  return { ...base, refusal: undefined, formProblem: formProblem(mode, candidate, parse.form), ee: verdicts };
}

function formProblem(mode: SelectionMode | "off", candidate: Candidate, form: ValueForm): string | undefined {
  switch (mode) {
    case "certificate":
      return candidate.source === "authority" && form !== "der"
        ? `userCertificate holds one DER certificate per value; this value is ${form} (its certificates are published as DER instead)`
        : undefined;
    case "keep":
      return form === "pkcs7-certs-only" || form === "pkcs7-signed" || form === "outlook-blob"
        ? undefined
        : `userSMIMECertificate (keep mode) holds PKCS#7 or Outlook blobs; this value is ${form === "der" ? "a DER certificate" : form}`;
    case "derive":
    case "off":
      return undefined;
  }
}

function describe(c: CertSummary): string {
  return `${c.subject} (thumbprint ${shortThumbprint(c.sha1)})`;
}

/** `exact`: the candidate's bytes are already the value that would be written. */
function unitBase(
  certs: readonly CertSummary[],
  p: Parsed,
  exact: boolean,
): Omit<SelectionUnit, "key" | "compliant"> {
  const emails = [...new Set(certs.flatMap((c) => c.emails))];
  const enc = certs.some(canEncrypt);
  const sign = certs.some(canSign);
  const first = certs[0]!;
  return {
    // Among duplicates keep the value already in place: at the authority, then byte-identical to
    // what would be written (no remove-and-add of the same certificate), then the earliest.
    preference: [SOURCE_PREFERENCE[p.candidate.source], exact ? 0 : 1, p.index],
    notBefore: Math.max(...certs.map((c) => c.notBefore.getTime())),
    notAfter: Math.max(...certs.map((c) => c.notAfter.getTime())),
    emails,
    role: `${enc ? "encrypt" : ""}+${sign ? "sign" : ""}`,
    label: certs.length === 1 ? describe(first) : `blob of ${certs.map(describe).join(", ")}`,
    issued: day(new Date(Math.max(...certs.map((c) => c.notBefore.getTime())))),
  };
}

function tooBig(bytes: Uint8Array): Judgement | undefined {
  if (bytes.length <= MAX_VALUE_BYTES) return undefined;
  const message = `value is ${bytes.length} bytes, over the ${MAX_VALUE_BYTES}-byte limit of the directory`;
  return {
    status: "rejected",
    reason: "malformed",
    explanation: message,
    findings: [{ reason: "malformed", message }],
  };
}

function certUnits(policy: Policy, mode: "certificate" | "derive", parsed: readonly Parsed[]): Unit[] {
  // The same certificate often sits in two candidates (the DER and its PKCS#7): derived once.
  const derived = new Map<string, Uint8Array>();
  const derivedOnce = (v: CertVerdict, p: Parsed) => {
    // With the chain, the PKCS#7 may depend on the CA certificates of the value it came from.
    if (policy.publish.includeChain) return derive(policy, v.cert, p);
    let bytes = derived.get(v.cert.sha256);
    if (bytes === undefined) {
      bytes = derive(policy, v.cert, p);
      derived.set(v.cert.sha256, bytes);
    }
    return bytes;
  };
  return parsed.flatMap((p) =>
    p.ee.map((v) => {
      let bytes = v.cert.der;
      if (mode === "derive" && v.status !== "rejected") bytes = derivedOnce(v, p);
      const verdict: Judgement = v.status === "rejected" ? v : (tooBig(bytes) ?? v);
      return {
        ...unitBase([v.cert], p, equalBytes(bytes, p.candidate.bytes)),
        key: v.cert.sha256,
        compliant: verdict.status !== "rejected",
        value: p.index,
        verdict,
        certs: [v.cert],
        bytes,
        derived: mode === "derive",
      };
    }),
  );
}

function derive(policy: Policy, cert: CertSummary, p: Parsed): Uint8Array {
  if (!policy.publish.includeChain) return buildCertsOnlyPkcs7([cert.der]);
  const extras = p.parse.ok ? p.parse.certs.filter((c) => c.isCA) : [];
  const path = policy.trust.buildPath(cert, extras);
  // Intermediates only: the anchor is what the reader must already trust.
  const chain = path.ok ? path.path.slice(1, -1).map((c) => c.der) : [];
  return buildCertsOnlyPkcs7([cert.der, ...chain]);
}

function blobUnits(parsed: readonly Parsed[]): Unit[] {
  return parsed.flatMap((p) => {
    if (p.refusal !== undefined || p.formProblem !== undefined || p.ee.length === 0) return [];
    const verdict = tooBig(p.candidate.bytes) ?? aggregate(p.ee, true);
    const certs = p.ee.map((v) => v.cert);
    return [
      {
        ...unitBase(certs, p, true),
        key: certs
          .map((c) => c.sha256)
          .sort()
          .join("+"),
        compliant: verdict.status !== "rejected",
        value: p.index,
        verdict,
        certs,
        bytes: p.candidate.bytes,
        derived: false,
      },
    ];
  });
}

/** Worst of several certificate verdicts; see the file comment for the dual-key exception. */
function aggregate(verdicts: readonly CertVerdict[], dualKey: boolean): Judgement {
  if (verdicts.length === 1) return verdicts[0]!;
  const prefix = (v: CertVerdict) => `${describe(v.cert)}: `;
  const anyEncrypts = dualKey && verdicts.some((v) => canEncrypt(v.cert) && !v.cert.isCA);
  const effective = verdicts.map((v) => {
    if (v.status !== "rejected" || !anyEncrypts) return v;
    const rest = v.findings.filter((f) => !(f.reason === "key-usage-unfit" && !v.cert.isCA));
    return rest.length === v.findings.length ? v : { ...v, findings: rest };
  });
  const failing = effective
    .flatMap((v) => v.findings.filter((f) => f.reason !== "expiring-soon").map((f) => ({ v, f })))
    .sort(
      (a, b) =>
        SEVERITY.indexOf(a.f.reason as CertificateReason) - SEVERITY.indexOf(b.f.reason as CertificateReason),
    );
  const worst = failing[0];
  if (worst) {
    return {
      status: "rejected",
      reason: worst.f.reason as RejectReason,
      explanation: prefix(worst.v) + worst.f.message,
      findings: failing.map(({ v, f }) => ({ reason: f.reason, message: prefix(v) + f.message })),
    };
  }
  const warn = effective.find((v) => v.status === "warning");
  if (warn) {
    const message = prefix(warn) + warn.explanation;
    return {
      status: "warning",
      reason: "expiring-soon",
      explanation: message,
      findings: [{ reason: "expiring-soon", message }],
    };
  }
  return {
    status: "accepted",
    explanation: `${verdicts.length} certificates, all fit to publish`,
    findings: [],
  };
}

function outcomeJudgement(u: Unit, o: Outcome): Judgement {
  switch (o.kind) {
    case "selected":
    case "not-compliant":
      return u.verdict;
    case "duplicate":
    case "superseded":
    case "over-limit":
      return {
        status: "rejected",
        reason: o.kind,
        explanation: o.message,
        findings: [{ reason: o.kind, message: o.message }],
      };
  }
}

const SELECTION_RANK: Readonly<Record<string, number>> = { "over-limit": 0, superseded: 1, duplicate: 2 };

function rank(j: Judgement): number {
  if (j.status !== "rejected") return 100;
  const r = SEVERITY.indexOf(j.reason as CertificateReason);
  return r >= 0 ? r : SEVERITY.length + (SELECTION_RANK[j.reason] ?? 0);
}

function valueJudgement(
  mode: SelectionMode,
  p: Parsed,
  mine: readonly { u: Unit; o: Outcome }[],
  desired: ReadonlySet<string>,
): Judgement {
  if (p.refusal) {
    return {
      status: "rejected",
      reason: p.refusal.reason,
      explanation: p.refusal.message,
      findings: [{ reason: p.refusal.reason, message: p.refusal.message }],
    };
  }
  if (p.formProblem !== undefined && p.candidate.source === "authority") {
    return {
      status: "rejected",
      reason: "malformed",
      explanation: p.formProblem,
      findings: [{ reason: "malformed", message: p.formProblem }],
    };
  }
  if (mode === "keep" && p.formProblem !== undefined) {
    return {
      status: "rejected",
      reason: "malformed",
      explanation: p.formProblem,
      findings: [{ reason: "malformed", message: p.formProblem }],
    };
  }
  const selected = mine.filter((x) => x.o.kind === "selected");
  if (
    mode === "derive" &&
    p.candidate.source === "authority" &&
    !desired.has(p.sha256) &&
    selected.length > 0
  ) {
    const message =
      "its certificate is published as smimesync's certs-only PKCS#7 instead (publish.userSMIMECertificate: derive)";
    return {
      status: "rejected",
      reason: "duplicate",
      explanation: message,
      findings: [{ reason: "duplicate", message }],
    };
  }
  if (selected.length > 0) {
    const judged = selected.map((x) => x.u.verdict);
    return judged.find((j) => j.status === "warning") ?? judged[0]!;
  }
  const judged = mine.map((x) => outcomeJudgement(x.u, x.o)).sort((a, b) => rank(a) - rank(b));
  const worst = judged[0];
  if (worst === undefined) {
    const message = "holds no certificate";
    return {
      status: "rejected",
      reason: "malformed",
      explanation: message,
      findings: [{ reason: "malformed", message }],
    };
  }
  if (judged.length === 1 || worst.status !== "rejected") return worst;
  return { ...worst, findings: judged.flatMap((j) => j.findings) };
}

function valueVerdict(p: Parsed, j: Judgement): ValueVerdict {
  return {
    ...j,
    index: p.index,
    candidate: p.candidate,
    sha256: p.sha256,
    form: p.parse.ok ? p.parse.form : undefined,
    certs: p.ee,
  };
}

/** Whether the plan should remove this value: a rejection for any reason whose prune switch is on. */
export function shouldPrune(policy: Policy, verdict: Judgement): boolean {
  return (
    verdict.status === "rejected" &&
    verdict.findings.some((f) => f.reason !== "expiring-soon" && policy.prune[f.reason])
  );
}

export type { Finding };
