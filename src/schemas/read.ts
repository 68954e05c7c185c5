// The project's JSON Schemas as data (schemas/*.schema.json); reading one loads no validator.
import { readFileSync } from "node:fs";

export const SCHEMA_NAMES = [
  "config",
  "plan",
  "audit",
  "snapshot",
  "report",
  "status",
  "apply-result",
] as const;
export type SchemaName = (typeof SCHEMA_NAMES)[number];

export function readSchema(name: SchemaName): Record<string, unknown> {
  // From src/schemas/ and from dist/schemas/ alike, the schemas folder is two levels up.
  return JSON.parse(readFileSync(new URL(`../../schemas/${name}.schema.json`, import.meta.url), "utf8"));
}
