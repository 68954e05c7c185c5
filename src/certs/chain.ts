// Chain building: from a certificate up to a configured trust anchor, through configured
// intermediates and any CA certificates found next to it (in the same PKCS#7 or Outlook blob).
// Names are matched on their DER bytes, and every link's signature is verified. Validity in time
// is not judged here (it depends on `now`); policy checks the path it gets back.
import type { KeyObject } from "node:crypto";
import { CHAIN_LIMITS } from "../model/limits.js";
import type { CrlSummary } from "./crl.js";
import type { PathFacts } from "./facts.js";
import type { CertSummary } from "./summary.js";
import { publicKeyInfo } from "./summary.js";
import { publicKeyFromSpki, verifySignedBy } from "./verify.js";

const { maxPathLength, maxCandidateIssuers, maxSignatureChecksPerCertificate } = CHAIN_LIMITS;

/** Which work bound stopped a search, named in the verdict. */
export type ChainBound =
  | "signature checks per certificate"
  | "signature checks per value"
  | "candidate issuers per step";

export type PathResult =
  | { readonly ok: true; readonly path: readonly CertSummary[]; readonly checks: number }
  | {
      readonly ok: false;
      readonly problem: string;
      /** Signature checks the search asked for (memoised or not, so the count is deterministic). */
      readonly checks: number;
      /** Set when a work bound cut the search short: no path was found, but one might exist. */
      readonly exceeded?: ChainBound;
    };

/** Chain searches recorded by an earlier run under the same material (CertCache rebuilds them). */
export interface RecordedPaths {
  pathFacts(leafSha256: string): PathFacts | undefined;
}

/** A budget of signature checks shared by the certificates of one value; `buildPath` draws on it. */
export interface ChainBudget {
  remaining: number;
}

export class TrustStore {
  readonly #anchors: Map<string, CertSummary>;
  readonly #intermediates: readonly CertSummary[];
  readonly #bySubject = new Map<string, CertSummary[]>();
  readonly #keys = new Map<string, KeyObject | null>();
  readonly #links = new Map<string, boolean>();
  readonly #paths = new Map<string, PathResult>();
  readonly #configured = new Map<string, CertSummary>();
  readonly #recorded: RecordedPaths | undefined;
  #verifications = 0;

  constructor(
    anchors: readonly CertSummary[],
    intermediates: readonly CertSummary[],
    recorded?: RecordedPaths,
  ) {
    this.#anchors = new Map(anchors.map((a) => [a.sha256, a]));
    this.#intermediates = intermediates.filter((c) => !this.#anchors.has(c.sha256));
    for (const c of [...anchors, ...intermediates]) {
      this.#index(this.#bySubject, c);
      this.#configured.set(c.sha256, c);
    }
    this.#recorded = recorded;
  }

  /** The configured-only search for this leaf, if this run made it (or adopted a recorded one). */
  searched(leafSha256: string): PathResult | undefined {
    return this.#paths.get(leafSha256);
  }

  /**
   * Lets go of this leaf's search once its facts are recorded (CertCache.settle): a later search
   * finds the verified links memoised, so no signature is checked twice.
   */
  forget(leafSha256: string): void {
    this.#paths.delete(leafSha256);
  }

  /** A recorded search, when every certificate on its path is configured now; else undefined. */
  #adopt(leaf: CertSummary): PathResult | undefined {
    const f = this.#recorded?.pathFacts(leaf.sha256);
    if (f === undefined) return undefined;
    if (!f.ok) {
      return f.exceeded === null
        ? { ok: false, problem: f.problem, checks: f.checks }
        : { ok: false, problem: f.problem, checks: f.checks, exceeded: f.exceeded };
    }
    const rest = f.path.map((sha) => this.#configured.get(sha));
    if (rest.some((c) => c === undefined)) return undefined;
    const path = [leaf, ...(rest as CertSummary[])];
    // The last must be an anchor, or the record is not a path under this material.
    if (!this.#anchors.has(path[path.length - 1]!.sha256)) return undefined;
    return { ok: true, path, checks: f.checks };
  }

  get anchors(): readonly CertSummary[] {
    return [...this.#anchors.values()];
  }

  /** The configured intermediates (those that are not also anchors), as given. */
  get intermediates(): readonly CertSummary[] {
    return this.#intermediates;
  }

  /** Signatures actually verified (memoised pairs not counted again) since the store was built. */
  get verifications(): number {
    return this.#verifications;
  }

  /** Configured certificates whose subject is `issuerId` (CRL issuers, chain links). */
  issuersNamed(issuerId: string): readonly CertSummary[] {
    return this.#bySubject.get(issuerId) ?? [];
  }

  #index(map: Map<string, CertSummary[]>, c: CertSummary): void {
    const list = map.get(c.subjectId);
    if (list === undefined) map.set(c.subjectId, [c]);
    else if (!list.some((x) => x.sha256 === c.sha256)) list.push(c);
  }

  /** The issuer's public key, parsed once. */
  keyOf(cert: CertSummary): KeyObject | undefined {
    let k = this.#keys.get(cert.sha256);
    if (k === undefined) {
      let spki: Uint8Array | undefined;
      try {
        spki = publicKeyInfo(cert.der);
      } catch {
        spki = undefined;
      }
      k = (spki && publicKeyFromSpki(spki)) ?? null;
      this.#keys.set(cert.sha256, k);
    }
    return k ?? undefined;
  }

  /** Whether `issuer` signed `child` (memoised per pair). */
  signed(issuer: CertSummary, child: { sha256: string; der: Uint8Array }): boolean {
    const key = `${issuer.sha256}>${child.sha256}`;
    let ok = this.#links.get(key);
    if (ok === undefined) {
      const k = this.keyOf(issuer);
      this.#verifications++;
      ok = k !== undefined && verifySignedBy(child.der, k);
      this.#links.set(key, ok);
    }
    return ok;
  }

  /** Whether a CRL's signature verifies against a configured CA of its issuer name. */
  crlSigner(crl: CrlSummary): CertSummary | undefined {
    return this.issuersNamed(crl.issuerId).find(
      (ca) =>
        (ca.keyUsage === undefined || ca.keyUsage.includes("cRLSign")) &&
        this.signed(ca, { sha256: `crl:${crl.sha256}`, der: crl.der }),
    );
  }

  /**
   * A path leaf -> ... -> anchor. `extra` are CA certificates found beside the leaf; a result
   * using only configured material is memoised by the leaf's SHA-256. The work is bounded
   * (CHAIN_LIMITS): a search cut short says which bound in `exceeded`. With a `budget`, the
   * checks are drawn from it, and a search needing more than is left fails on the value's bound.
   */
  buildPath(leaf: CertSummary, extra: readonly CertSummary[] = [], budget?: ChainBudget): PathResult {
    let configured = this.#paths.get(leaf.sha256);
    if (configured === undefined) {
      configured =
        this.#adopt(leaf) ?? this.#search(leaf, this.#bySubject, new Set(), maxSignatureChecksPerCertificate);
      this.#paths.set(leaf.sha256, configured);
    }
    let result = configured;
    const fromExtra = new Set<string>();
    if (!configured.ok && configured.exceeded === undefined) {
      const withExtra = new Map(this.#bySubject);
      for (const c of extra) {
        if (!c.isCA || this.#known(c)) continue;
        withExtra.set(c.subjectId, [...(withExtra.get(c.subjectId) ?? [])]);
        this.#index(withExtra, c);
        fromExtra.add(c.sha256);
      }
      if (fromExtra.size > 0) {
        const r = this.#search(
          leaf,
          withExtra,
          fromExtra,
          maxSignatureChecksPerCertificate - configured.checks,
        );
        result = { ...r, checks: configured.checks + r.checks };
      }
    }
    return budget === undefined ? result : charge(result, budget);
  }

  #known(c: CertSummary): boolean {
    return this.#bySubject.get(c.subjectId)?.some((x) => x.sha256 === c.sha256) ?? false;
  }

  /**
   * Depth-first, anchors and configured CAs first. Linear in the certificates at hand, loops or
   * not: a certificate whose issuers were all tried in vain is not expanded again with no more
   * depth left than then (the visited set), each step tries at most `maxCandidateIssuers`, and
   * the search stops after `cap` signature checks.
   */
  #search(
    leaf: CertSummary,
    bySubject: ReadonlyMap<string, readonly CertSummary[]>,
    fromExtra: ReadonlySet<string>,
    cap: number,
  ): PathResult {
    if (this.#anchors.has(leaf.sha256)) return { ok: true, path: [leaf], checks: 0 };
    let problem = `issuer ${leaf.issuer} is not among the trust anchors or intermediates`;
    let checks = 0;
    let exceeded: ChainBound | undefined;
    let truncated = false;
    const exhausted = new Map<string, number>();
    const path: CertSummary[] = [leaf];
    const onPath = new Set<string>([leaf.sha256]);
    const rank = (c: CertSummary) => (this.#anchors.has(c.sha256) ? 0 : fromExtra.has(c.sha256) ? 2 : 1);
    // `depthLeft`: certificates the path may still take after `cert` (the last one an anchor).
    const walk = (cert: CertSummary, depthLeft: number): boolean => {
      if ((exhausted.get(cert.sha256) ?? -1) >= depthLeft) return false;
      // Anchors first, then configured CAs, then the most recent: the likeliest to verify and be valid now.
      const ordered = (bySubject.get(cert.issuerId) ?? [])
        .filter((c) => !onPath.has(c.sha256))
        .sort((a, b) => rank(a) - rank(b) || b.notAfter.getTime() - a.notAfter.getTime());
      if (ordered.length > maxCandidateIssuers) truncated = true;
      for (const issuer of ordered.slice(0, maxCandidateIssuers)) {
        const isAnchor = this.#anchors.has(issuer.sha256);
        if (!isAnchor && !issuer.isCA) {
          problem = `issuer ${issuer.subject} is not a CA certificate`;
          continue;
        }
        if (checks >= cap) {
          exceeded = "signature checks per certificate";
          return false;
        }
        checks++;
        if (!this.signed(issuer, cert)) {
          problem = `signature of ${cert.subject} does not verify against ${issuer.subject}`;
          continue;
        }
        if (isAnchor) {
          path.push(issuer);
          return true;
        }
        if (depthLeft <= 1) {
          problem = "certificate path is too long";
          continue;
        }
        path.push(issuer);
        onPath.add(issuer.sha256);
        if (walk(issuer, depthLeft - 1)) return true;
        path.pop();
        onPath.delete(issuer.sha256);
        if (exceeded !== undefined) return false;
      }
      exhausted.set(cert.sha256, depthLeft);
      return false;
    };
    if (walk(leaf, maxPathLength - 1)) return { ok: true, path, checks };
    exceeded ??= truncated ? "candidate issuers per step" : undefined;
    if (exceeded === undefined) return { ok: false, problem, checks };
    return { ok: false, problem: boundProblem(exceeded), checks, exceeded };
  }
}

function boundProblem(bound: ChainBound): string {
  const limit =
    bound === "candidate issuers per step"
      ? `${maxCandidateIssuers} candidate issuers per step`
      : bound === "signature checks per certificate"
        ? `${maxSignatureChecksPerCertificate} signature checks per certificate`
        : `${CHAIN_LIMITS.maxSignatureChecksPerValue} signature checks per value`;
  return `chain building gave up at its limit of ${limit}, without reaching a trust anchor`;
}

/** The result as a search limited to what is left of the value's budget would have found it. */
function charge(result: PathResult, budget: ChainBudget): PathResult {
  if (result.checks <= budget.remaining) {
    budget.remaining -= result.checks;
    return result;
  }
  const checks = budget.remaining;
  budget.remaining = 0;
  const exceeded = "signature checks per value";
  return { ok: false, problem: boundProblem(exceeded), checks, exceeded };
}
