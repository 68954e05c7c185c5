// Generates src/config/types.generated.ts from schemas/config.schema.json, the single definition
// of the config. `npm run gen` rewrites it; test/config/schema-types.test.ts fails when it is stale.
import { readFile, writeFile } from "node:fs/promises";
import { compile } from "json-schema-to-typescript";

export async function generateConfigTypes(): Promise<string> {
  const schema = JSON.parse(
    await readFile(new URL("../schemas/config.schema.json", import.meta.url), "utf8"),
  );
  return compile(schema, "SmimesyncConfig", {
    bannerComment:
      "// Generated from schemas/config.schema.json by scripts/gen-config-types.ts. Do not edit; run `npm run gen`.",
    additionalProperties: false,
    unreachableDefinitions: false,
    style: { semi: true, singleQuote: false },
  });
}

if (process.argv[1]?.endsWith("gen-config-types.ts")) {
  const out = new URL("../src/config/types.generated.ts", import.meta.url);
  await writeFile(out, await generateConfigTypes());
  console.log(`wrote ${out.pathname}`);
}
