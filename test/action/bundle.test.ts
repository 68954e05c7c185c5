// The action's committed bundle is what its sources build to: rebuilt into a temporary directory
// (deterministically: no timestamps, no absolute paths) and compared byte for byte. When this
// fails, run `npm run build:action` and commit dist-action/index.mjs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildAction, WORKER_FILES } from "../../scripts/build-action.js";
import { removeTempDirs, tempDir } from "../gitops/helpers.js";

afterAll(removeTempDirs);

const ROOT = new URL("../../", import.meta.url);
const read = (p: string) => readFileSync(new URL(p, ROOT), "utf8");

describe("the action bundle", () => {
  it("is current with the sources (else: npm run build:action, and commit it)", async () => {
    const dir = tempDir();
    const built = readFileSync(await buildAction(dir), "utf8");
    const committed = read("dist-action/index.mjs");
    expect(built.length).toBe(committed.length);
    expect(built === committed).toBe(true);
    // The analysis pool's worker files beside it (src/engine/analysis-pool.ts).
    for (const name of Object.values(WORKER_FILES)) {
      expect(readFileSync(join(dir, name), "utf8") === read(`dist-action/${name}`), name).toBe(true);
    }
  });

  it("starts the analysis pool's threads on the worker files beside it", () => {
    const bundle = read("dist-action/index.mjs");
    expect(bundle).toContain(`"./${WORKER_FILES.analysis}"`);
    expect(bundle).toContain(`new URL("./${WORKER_FILES.piscina}",__smimesyncBundleUrl)`);
    // piscina's own path (its dist/ folder, by __dirname) is not left in for an ESM bundle.
    expect(bundle).not.toMatch(/__dirname/);
  });

  it("holds no path of the machine it was built on", () => {
    const bundle = read("dist-action/index.mjs");
    const root = new URL(".", ROOT).pathname.replace(/\/$/, "");
    expect(bundle.includes(root)).toBe(false);
    expect(bundle).not.toMatch(/\/(home|Users|root|work)\/[^"'\s]*smimesync/);
  });

  it("is what action.yml runs, on node24, with nothing to install", () => {
    const action = parse(read("action.yml"));
    expect(action.runs).toEqual({ using: "node24", main: "dist-action/index.mjs" });
    const text = read("action.yml");
    expect(text).not.toMatch(/npm (ci|install)|\btsc\b|setup-node/);
  });

  it("finds the package files it reads (schemas, package.json, init's templates) from dist-action/", () => {
    const bundle = read("dist-action/index.mjs");
    const urls = [...bundle.matchAll(/new URL\(["`]([^"`]+)["`],import\.meta\.url\)/g)].map(
      (m) => m[1] as string,
    );
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const u of urls) {
      const path = u.replace(/\$\{[^}]+\}\.schema\.json$/, "config.schema.json");
      expect(existsSync(new URL(path, new URL("dist-action/", ROOT))), u).toBe(true);
    }
  });
});
