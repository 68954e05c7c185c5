// The public surface of src/certs: parsing, summaries, chains, CRLs, PKCS#7 building. No I/O.

export { describeKey, type HashName, type KeyInfo, type SignatureAlgorithm } from "./algorithms.js";
export { type AnalysisMaterial, ValueAnalyser } from "./analyse.js";
export {
  type ChainBound,
  type ChainBudget,
  type PathResult,
  type RecordedPaths,
  TrustStore,
} from "./chain.js";
export { type CrlParseResult, type CrlSummary, type RevokedEntry, summarizeCrl } from "./crl.js";
export {
  type CertFacts,
  decodeValueFacts,
  type FactSource,
  type PathFacts,
  parseFromFacts,
  pathFacts,
  type ValueFacts,
  valueFacts,
} from "./facts.js";
export { buildOutlookBlob, OUTLOOK_CERT_TAGS } from "./outlook.js";
export {
  CertCache,
  type CertSummarizer,
  type CrlFileParseResult,
  type FileParseResult,
  type ParseError,
  type ParseErrorKind,
  type ParseResult,
  parseCertificateFile,
  parseCertificates,
  parseCrlFile,
  type SeenValue,
  type ValueForm,
} from "./parse.js";
export { buildCertsOnlyPkcs7 } from "./pkcs7.js";
export {
  readSst,
  type SerializedStore,
  type SstEntry,
  type SstError,
  type SstReadResult,
  sstCertificates,
  sstFromCertificates,
  writeSst,
} from "./sst.js";
export {
  type CertParseResult,
  type CertSummary,
  judgedCertificates,
  KEY_USAGES,
  type KeyUsageName,
  OID_EMAIL_PROTECTION,
  safeText,
  sha256Hex,
  summarizeCertificate,
} from "./summary.js";
