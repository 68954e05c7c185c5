// JSON Schema validation of plan documents (schemas/plan.schema.json is the single definition),
// with ajv's errors turned into one readable line each, named by JSON path.
import type { ErrorObject } from "ajv/dist/2020.js";
import validateFn from "../schemas/generated/plan.js";
import { readSchema } from "../schemas/read.js";
import { OBJECT_REF_TYPES, type PlanDocument } from "./types.js";

export const PLAN_SCHEMA = readSchema("plan");

/** Every schema problem of `data`, one line each, e.g. `changes[3].action must be one of: ...`. */
export function planSchemaProblems(data: unknown): string[] {
  if (validateFn(data)) return [];
  const out = new Set<string>();
  for (const e of validateFn.errors ?? []) {
    const line = describeError(e);
    if (line !== undefined) out.add(line);
  }
  return [...out];
}

export function isPlanDocument(data: unknown): data is PlanDocument {
  return validateFn(data);
}

/** `/changes/3/action` -> `changes[3].action`; the root is `the plan`. */
export function jsonPath(pointer: string, member?: string): string {
  const parts =
    pointer === ""
      ? []
      : pointer
          .slice(1)
          .split("/")
          .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (member !== undefined) parts.push(member);
  if (parts.length === 0) return "the plan";
  let path = "";
  for (const p of parts) path += /^\d+$/.test(p) ? `[${p}]` : path === "" ? p : `.${p}`;
  return path;
}

function describeError(e: ErrorObject): string | undefined {
  const name = jsonPath(e.instancePath);
  switch (e.keyword) {
    case "if":
      return undefined; // the failing then/else branch names the actual problem
    case "additionalProperties":
      return `${jsonPath(e.instancePath, String(e.params.additionalProperty))} is not part of the plan format`;
    case "required":
      return `${name} is missing "${String(e.params.missingProperty)}"`;
    case "not":
      return e.schemaPath.includes("/else/")
        ? `${name} is a removal and must not carry a value`
        : `${name} ${e.message ?? "is invalid"}`;
    case "type":
      return `${name} must be ${String(e.params.type).replace(",", " or ")}`;
    case "enum":
      return `${name} must be one of: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `${name} must be ${JSON.stringify(e.params.allowedValue)}`;
    case "pattern":
      return `${name} is malformed (expected ${String(e.params.pattern)})`;
    case "format":
      return `${name} is not a valid ${String(e.params.format)}`;
    case "discriminator":
      return `${name}.type must be one of: ${OBJECT_REF_TYPES.map((t) => JSON.stringify(t)).join(", ")}`;
    default:
      return `${name} ${e.message ?? "is invalid"}`;
  }
}
