// The plan package's public surface: what reconcile, apply, gitops and the CLI import. Internals
// (schema error wording, consistency checks, JSON error location) stay behind it.
export { assemblePlan, type ChangeInput, compareChanges, type PlanInput } from "./assemble.js";
export { canonicalJson } from "./canonical-json.js";
export { type ChangeKey, changeId, planId, sha256Hex } from "./ids.js";
export { loadPlan, PLAN_FILE_MODE, parsePlan, planIntegrity, savePlan, serializePlan } from "./plan-file.js";
export { describeDrift, describeReason } from "./reasons.js";
export {
  GITHUB_COMMENT_LIMIT,
  isPlanFormat,
  MARKDOWN_PART_BUDGET,
  PLAN_FORMATS,
  type PlanFormat,
  type PlanRenderer,
  planRenderer,
  type RenderOptions,
  renderJson,
  renderMarkdown,
  renderText,
  splitMarkdown,
} from "./render/index.js";
export { isPlanDocument, PLAN_SCHEMA, planSchemaProblems } from "./schema.js";
export { BLOCKED_WARNING, computeSummary, driftCounts, type SummaryInput, summaryLine } from "./summary.js";
export * from "./types.js";
export { changeValue, type ValueFields, valueDigest, valueFields } from "./value.js";
