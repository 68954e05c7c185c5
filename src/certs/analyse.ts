// One value's analysis away from the run's caches (a worker thread): parse it and search the
// configured chain of each certificate policy will judge, as the in-thread path does, and return
// the facts the verdict cache records (facts.ts). Same material in, same facts out. No I/O.
import { TrustStore } from "./chain.js";
import { pathFacts, type ValueFacts, valueFacts } from "./facts.js";
import { parseCertificateFile, parseCertificates } from "./parse.js";
import { type CertSummary, judgedCertificates } from "./summary.js";

/** The policy material's certificate files, as bytes (CRLs play no part in the facts). */
export interface AnalysisMaterial {
  readonly trustAnchors: readonly Uint8Array[];
  readonly intermediates: readonly Uint8Array[];
}

export class ValueAnalyser {
  readonly #trust: TrustStore;

  constructor(material: AnalysisMaterial) {
    // As buildPolicy reads them; a bad file is the main thread's error to report, skipped here.
    const certsOf = (files: readonly Uint8Array[]): CertSummary[] =>
      files.flatMap((f) => {
        const r = parseCertificateFile(f);
        return r.ok ? [...r.certs] : [];
      });
    this.#trust = new TrustStore(certsOf(material.trustAnchors), certsOf(material.intermediates));
  }

  /** The value's facts; undefined when they cannot be expressed as facts (PEM, CRLs inside). */
  analyse(bytes: Uint8Array): ValueFacts | undefined {
    const parse = parseCertificates(bytes);
    if (parse.ok) for (const c of judgedCertificates(parse.certs)) this.#trust.buildPath(c);
    return valueFacts(bytes, parse, (c) => {
      const r = this.#trust.searched(c.sha256);
      return r ? pathFacts(r) : null;
    });
  }
}
