import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { generateConfigTypes } from "../../scripts/gen-config-types.js";

// The config's TypeScript types come from schemas/config.schema.json; this fails when someone
// edits one without regenerating the other (`npm run gen`).
it("src/config/types.generated.ts matches schemas/config.schema.json", async () => {
  const committed = await readFile(new URL("../../src/config/types.generated.ts", import.meta.url), "utf8");
  expect(committed).toBe(await generateConfigTypes());
});
