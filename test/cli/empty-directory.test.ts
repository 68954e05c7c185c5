// The empty-directory guard on the LDIF backend (the demo's export), through the CLI: the message
// says what the read looked at and what each filter removed. Against Samba: test/e2e/empty-directory.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { writeDemo } from "../../src/demo/write-demo.js";
import { runAt } from "../demo/run.js";

const NOW = new Date("2031-03-15T10:00:00Z");
let dir: string;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("empty-directory guard on an LDIF export", () => {
  it("counts the records outside the scope, the non-recipients and what each filter removed", async () => {
    dir = await mkdtemp(join(tmpdir(), "smimesync-empty-ldif-"));
    await writeDemo(dir, NOW);
    const doc = parseDocument(await readFile(join(dir, "smimesync.yaml"), "utf8"));
    doc.setIn(["scope", "include"], [{ attribute: "mail", match: "nobody@*" }]);
    await writeFile(join(dir, "smimesync.yaml"), doc.toString());
    const r = await runAt(NOW, ["plan"], dir);
    expect(r.code).toBe(1);
    const m = /the directory read returned no object in scope \((\d+) read: (.*)\)\.\n/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const parts = (m?.[2] ?? "").split(", ");
    const counts = Object.fromEntries(parts.map((p) => [p.replace(/^\d+ /, ""), Number.parseInt(p, 10)]));
    expect(Object.keys(counts)).toEqual(
      expect.arrayContaining(["disabled", "matching no scope.include pattern"]),
    );
    // Every record read is accounted for by exactly one filter.
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(Number(m?.[1]));
    expect(r.stderr).toMatch(
      /Set scope\.includeDisabled: true to manage disabled accounts; check scope\.include/,
    );
  });
});
