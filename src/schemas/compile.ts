// The project's JSON Schemas (schemas/*.schema.json, draft 2020-12) compiled with ajv in one way:
// every error at once, strict about the schemas themselves, and the formats they use.
import { readFileSync } from "node:fs";
import { Ajv2020, type Options, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
type AddFormats = (ajv: Ajv2020, formats: string[]) => unknown;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

export type SchemaName = "config" | "plan" | "audit" | "snapshot" | "report";

export function readSchema(name: SchemaName): Record<string, unknown> {
  // From src/schemas/ and from dist/schemas/ alike, the schemas folder is two levels up.
  return JSON.parse(readFileSync(new URL(`../../schemas/${name}.schema.json`, import.meta.url), "utf8"));
}

/** Compiles one of the project's schemas; `options` adds to the shared ones (defaults, verbose). */
export function compileSchema<T>(name: SchemaName, options: Options = {}): ValidateFunction<T> {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    ...options,
  });
  addFormats(ajv, ["date-time", "email"]);
  return ajv.compile<T>(readSchema(name));
}
