import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { configReference, spliceReference } from "../../scripts/gen-config-reference.js";

// The README's configuration reference is generated from the schema; stale docs fail here.
it("README.md's configuration reference matches schemas/config.schema.json (run `npm run gen`)", async () => {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  expect(spliceReference(readme, await configReference())).toBe(readme);
});
