// Generates src/schemas/generated/<name>.ts, ajv's standalone validator of each schema, so that
// commands load compiled code instead of compiling the schemas at every start. `npm run gen`
// rewrites them; test/schemas/generated.test.ts fails when one is stale.
import { mkdir, writeFile } from "node:fs/promises";
import { standaloneValidator } from "../src/schemas/compile.js";
import { SCHEMA_NAMES } from "../src/schemas/read.js";

if (process.argv[1]?.endsWith("gen-schema-validators.ts")) {
  const dir = new URL("../src/schemas/generated/", import.meta.url);
  await mkdir(dir, { recursive: true });
  for (const name of SCHEMA_NAMES) {
    await writeFile(new URL(`${name}.ts`, dir), await standaloneValidator(name));
  }
  console.log(`wrote ${dir.pathname}{${SCHEMA_NAMES.join(",")}}.ts`);
}
