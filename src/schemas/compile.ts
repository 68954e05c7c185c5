// The project's JSON Schemas (schemas/*.schema.json, draft 2020-12) compiled with ajv in one way:
// every error at once, strict about the schemas themselves, and the formats they use.
// Used at build time only: scripts/gen-schema-validators.ts turns them into standalone code
// (src/schemas/generated/), so that no command pays for ajv's compiler at start-up.
import { Ajv2020, type Options, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { readSchema, type SchemaName } from "./read.js";

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
type AddFormats = (ajv: Ajv2020, formats: string[]) => unknown;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ??
  (addFormatsModule as unknown as AddFormats);

/** What each schema's validator adds to the shared options. */
export const SCHEMA_OPTIONS: Readonly<Record<SchemaName, Options>> = {
  // verbose: the "unknown key" message lists the allowed keys from the failing schema.
  config: { verbose: true, useDefaults: true },
  // discriminator: an ObjectRef of the wrong shape is reported against its own `type`.
  plan: { discriminator: true },
  audit: {},
  snapshot: {},
  report: {},
  status: {},
  "apply-result": {},
};

function newAjv(name: SchemaName, options: Options): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    ...SCHEMA_OPTIONS[name],
    ...options,
  });
  addFormats(ajv, ["date-time", "email"]);
  return ajv;
}

/** Compiles one of the project's schemas at run time (the generator and tests only). */
export function compileSchema<T>(name: SchemaName, options: Options = {}): ValidateFunction<T> {
  return newAjv(name, options).compile<T>(readSchema(name));
}

/** The standalone ES module source of one schema's validator, as committed in src/schemas/generated/. */
export async function standaloneValidator(name: SchemaName): Promise<string> {
  // CommonJS under NodeNext: the function is the default of the default.
  const standalone = (await import("ajv/dist/standalone/index.js")).default.default;
  const ajv = newAjv(name, { code: { source: true, esm: true } });
  const code = standalone(ajv, ajv.compile(readSchema(name)));
  // ajv's standalone code still `require`s its runtime helpers and formats; ESM imports instead,
  // so the file loads under Node's ESM loader and bundles as it is. A CommonJS `exports.default`
  // arrives as the namespace's default (Node) or as its default's default (bundlers, vitest).
  const imports = new Map<string, string>();
  const body = code
    .replace(/^"use strict";export const validate = (\w+);export default \1;/, "")
    .replace(/require\("([^"]+)"\)\.(\w+)/g, (_: string, m: string, prop: string) => {
      const key = `${m}#${prop}`;
      const id = `runtime${imports.size}`;
      if (!imports.has(key)) {
        imports.set(
          key,
          prop === "default"
            ? `import * as ${id}Module from "${m}.js";\nconst ${id} = typeof ${id}Module.default === "function" ? ${id}Module.default : ${id}Module.default.default;\n`
            : `import { ${prop} as ${id} } from "${m}.js";\n`,
        );
      }
      return `runtime${[...imports.keys()].indexOf(key)}`;
    });
  if (body.includes("require("))
    throw new Error(`ajv standalone output for ${name} requires an unknown module`);
  const fn = /^"use strict";export const validate = (\w+);/.exec(code)?.[1];
  if (fn === undefined) throw new Error(`ajv standalone output for ${name} has an unexpected shape`);
  return (
    `// @ts-nocheck\n// Generated from schemas/${name}.schema.json by scripts/gen-schema-validators.ts. Do not edit; run \`npm run gen\`.\n` +
    `import type { ValidateFunction } from "ajv/dist/2020.js";\n${[...imports.values()].join("")}` +
    `${body}\nconst validate: ValidateFunction = ${fn};\nexport default validate;\n`
  );
}
