// Chain building: from a certificate up to a configured trust anchor, through configured
// intermediates and any CA certificates found next to it (in the same PKCS#7 or Outlook blob).
// Names are matched on their DER bytes, and every link's signature is verified. Validity in time
// is not judged here (it depends on `now`); policy checks the path it gets back.
import type { KeyObject } from "node:crypto";
import type { CrlSummary } from "./crl.js";
import type { CertSummary } from "./summary.js";
import { publicKeyInfo } from "./summary.js";
import { publicKeyFromSpki, verifySignedBy } from "./verify.js";

/** Longest path considered, anchors included (RFC 5280 has no limit; real S/MIME PKIs are 2–4). */
const MAX_PATH = 8;

export type PathResult =
  | { readonly ok: true; readonly path: readonly CertSummary[] }
  | { readonly ok: false; readonly problem: string };

export class TrustStore {
  readonly #anchors: Map<string, CertSummary>;
  readonly #intermediates: readonly CertSummary[];
  readonly #bySubject = new Map<string, CertSummary[]>();
  readonly #keys = new Map<string, KeyObject | null>();
  readonly #links = new Map<string, boolean>();
  readonly #paths = new Map<string, PathResult>();

  constructor(anchors: readonly CertSummary[], intermediates: readonly CertSummary[]) {
    this.#anchors = new Map(anchors.map((a) => [a.sha256, a]));
    this.#intermediates = intermediates.filter((c) => !this.#anchors.has(c.sha256));
    for (const c of [...anchors, ...intermediates]) this.#index(this.#bySubject, c);
  }

  get anchors(): readonly CertSummary[] {
    return [...this.#anchors.values()];
  }

  /** The configured intermediates (those that are not also anchors), as given. */
  get intermediates(): readonly CertSummary[] {
    return this.#intermediates;
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
   * using only configured material is memoised by the leaf's SHA-256.
   */
  buildPath(leaf: CertSummary, extra: readonly CertSummary[] = []): PathResult {
    const cached = this.#paths.get(leaf.sha256);
    if (cached !== undefined && (cached.ok || extra.length === 0)) return cached;
    const configured = cached ?? this.#search(leaf, this.#bySubject);
    if (cached === undefined) this.#paths.set(leaf.sha256, configured);
    if (configured.ok || extra.length === 0) return configured;
    const withExtra = new Map(this.#bySubject);
    for (const c of extra) {
      if (c.isCA) {
        withExtra.set(c.subjectId, [...(withExtra.get(c.subjectId) ?? [])]);
        this.#index(withExtra, c);
      }
    }
    return this.#search(leaf, withExtra);
  }

  #search(leaf: CertSummary, bySubject: ReadonlyMap<string, readonly CertSummary[]>): PathResult {
    if (this.#anchors.has(leaf.sha256)) return { ok: true, path: [leaf] };
    let problem = `issuer ${leaf.issuer} is not among the trust anchors or intermediates`;
    const walk = (path: CertSummary[]): CertSummary[] | undefined => {
      const cert = path[path.length - 1]!;
      const issuers = bySubject.get(cert.issuerId) ?? [];
      // Anchors first, then the most recent issuer: the likeliest to verify and to be valid now.
      const ordered = [...issuers].sort(
        (a, b) =>
          Number(this.#anchors.has(b.sha256)) - Number(this.#anchors.has(a.sha256)) ||
          b.notAfter.getTime() - a.notAfter.getTime(),
      );
      for (const issuer of ordered) {
        if (path.some((p) => p.sha256 === issuer.sha256)) continue;
        const isAnchor = this.#anchors.has(issuer.sha256);
        if (!isAnchor && !issuer.isCA) {
          problem = `issuer ${issuer.subject} is not a CA certificate`;
          continue;
        }
        if (!this.signed(issuer, cert)) {
          problem = `signature of ${cert.subject} does not verify against ${issuer.subject}`;
          continue;
        }
        if (isAnchor) return [...path, issuer];
        if (path.length + 1 >= MAX_PATH) {
          problem = "certificate path is too long";
          continue;
        }
        const found = walk([...path, issuer]);
        if (found) return found;
      }
      return undefined;
    };
    const path = walk([leaf]);
    return path ? { ok: true, path } : { ok: false, problem };
  }
}
