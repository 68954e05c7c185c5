import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { compileSchema, standaloneValidator } from "../../src/schemas/compile.js";
import validateConfig from "../../src/schemas/generated/config.js";
import { SCHEMA_NAMES } from "../../src/schemas/read.js";

// Commands load the validators ajv generated at build time; a schema edited without `npm run gen`
// would be checked by the old rules, so a stale file fails here.
describe("src/schemas/generated", () => {
  for (const name of SCHEMA_NAMES) {
    it(`${name}.ts matches schemas/${name}.schema.json`, async () => {
      const committed = await readFile(
        new URL(`../../src/schemas/generated/${name}.ts`, import.meta.url),
        "utf8",
      );
      expect(committed).toBe(await standaloneValidator(name));
    });
  }

  it("the generated config validator reports what the run-time compiled one reports, defaults included", () => {
    const runtime = compileSchema("config");
    for (const doc of [
      { version: 1, tenant: { snapshot: "t.json" }, scope: {}, policy: {} },
      { version: 2, tenant: {}, bogus: true },
    ]) {
      const a = structuredClone(doc);
      const b = structuredClone(doc);
      expect(validateConfig(a)).toBe(runtime(b));
      expect(validateConfig.errors?.map((e) => [e.instancePath, e.keyword])).toEqual(
        runtime.errors?.map((e) => [e.instancePath, e.keyword]),
      );
      expect(a).toEqual(b);
    }
  });
});
