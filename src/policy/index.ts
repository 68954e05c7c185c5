// The public surface of src/policy: pure, no I/O, time is a parameter.
export {
  type AttributeDecision,
  type Candidate,
  type CandidateSource,
  type DesiredValue,
  evaluate,
  modeOf,
  type Recipient,
  recipientAddresses,
  type SelectionMode,
  shouldPrune,
  type ValueVerdict,
} from "./evaluate.js";
export { type CertVerdict, canEncrypt, type Judgement, judgeCertificate } from "./judge.js";
export {
  buildPolicy,
  type MaterialFile,
  materialWarnings,
  type Policy,
  type PolicyMaterial,
  type PolicyProblem,
  type Requirements,
} from "./policy.js";
export { type Finding, REASON_CODES, type ReasonCode, type RejectReason } from "./reasons.js";
