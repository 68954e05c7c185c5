// Builds the GitHub Action's bundle: src/action/main.ts and everything it imports (the whole
// engine, @actions/*, Octokit) into one ESM file, so a job runs it with the runner's Node and
// installs nothing. Deterministic: no timestamps, no absolute paths, no source map; the test
// test/action/bundle.test.ts rebuilds into a temporary directory and compares.
//
// Beside it, two worker files of the analysis pool (src/engine/analysis-pool.ts): its own worker
// and piscina's thread entry, each bundled the same way.
//
//   npm run build:action            -> dist-action/index.mjs, analysis-worker.mjs, piscina-worker.mjs
//   tsx scripts/build-action.ts DIR -> the same in DIR
import { readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE_DIR = "dist-action";
export const BUNDLE_FILE = "index.mjs";

/**
 * Sources find files of the package (schemas/, package.json, examples/) with
 * `new URL("<relative>", import.meta.url)`; in the bundle import.meta.url is the bundle's, so each
 * relative path is rewritten to be relative to the bundle's final location instead. The action's
 * checkout holds those files next to dist-action/.
 */
function packageFileUrls(outDir: string): Plugin {
  return {
    name: "package-file-urls",
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        const fromBundle = (rel: string) => {
          let r = relative(outDir, resolve(dirname(args.path), rel))
            .split("\\")
            .join("/");
          if (!r.startsWith(".")) r = `./${r}`;
          return rel.endsWith("/") && !r.endsWith("/") ? `${r}/` : r;
        };
        const contents = text
          .replace(
            /new URL\((["'])(\.\.?\/[^"']*)\1,\s*import\.meta\.url\)/g,
            (_m, _q: string, rel: string) => `new URL(${JSON.stringify(fromBundle(rel))}, import.meta.url)`,
          )
          // A template literal: its static directory prefix is rewritten, the rest kept.
          .replace(
            /new URL\(`(\.\.?\/(?:[^`$/]*\/)*)([^`]*)`,\s*import\.meta\.url\)/g,
            (_m, dir: string, rest: string) => `new URL(\`${fromBundle(dir)}${rest}\`, import.meta.url)`,
          );
        return { contents, loader: "ts" };
      });
    },
  };
}

/** The analysis pool's worker (src/engine/analysis-pool.ts) and piscina's own, beside the bundle. */
export const WORKER_FILES = { analysis: "analysis-worker.mjs", piscina: "piscina-worker.mjs" } as const;

/**
 * piscina starts each thread on its own dist/worker.js, found by `__dirname`, which an ESM bundle
 * has not: it is pointed at its bundled copy beside the bundle instead.
 */
function piscinaWorkerBesideBundle(): Plugin {
  return {
    name: "piscina-worker-beside-bundle",
    setup(b) {
      b.onLoad({ filter: /[\\/]piscina[\\/]dist[\\/]index\.js$/ }, async (args) => {
        const text = await readFile(args.path, "utf8");
        const from = "(0, node_path_1.resolve)(__dirname, 'worker.js')";
        if (!text.includes(from))
          throw new Error(`piscina ${args.path}: its worker path changed; update the build`);
        // No import.meta here: it would make esbuild take this CommonJS file for ESM.
        const to = `require("node:url").fileURLToPath(new URL("./${WORKER_FILES.piscina}", __smimesyncBundleUrl))`;
        return { contents: text.replace(from, to), loader: "js" };
      });
    },
  };
}

/** The bundle and the worker files, each one ESM file. */
export async function buildAction(
  outDir = resolve(ROOT, BUNDLE_DIR),
  placedAt = resolve(ROOT, BUNDLE_DIR),
): Promise<string> {
  const outfile = resolve(outDir, BUNDLE_FILE);
  await bundle("src/action/main.ts", outfile, placedAt);
  await bundle("src/engine/analysis-worker.ts", resolve(outDir, WORKER_FILES.analysis), placedAt);
  await bundle(
    resolve(ROOT, "node_modules/piscina/dist/worker.js"),
    resolve(outDir, WORKER_FILES.piscina),
    placedAt,
  );
  return outfile;
}

/** Only the analysis worker, for tests that run the pool from the TypeScript sources. */
export async function buildAnalysisWorker(outDir: string): Promise<URL> {
  const file = resolve(outDir, WORKER_FILES.analysis);
  await bundle("src/engine/analysis-worker.ts", file, outDir);
  return pathToFileURL(file);
}

async function bundle(entry: string, outfile: string, placedAt: string): Promise<void> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    // Some dependencies compare constructor and function names: keep them through minification.
    keepNames: true,
    // The license comments of the bundled packages go to the end, not inline.
    legalComments: "eof",
    sourcemap: false,
    metafile: false,
    logLevel: "warning",
    // CommonJS dependencies call require() for Node built-ins: give the ESM bundle one.
    banner: {
      js: 'import { createRequire as __smimesyncCreateRequire } from "node:module"; const require = __smimesyncCreateRequire(import.meta.url); const __smimesyncBundleUrl = import.meta.url;',
    },
    // piscina's optional native module for niceIncrement, which smimesync never sets.
    external: ["@napi-rs/nice"],
    define: { __SMIMESYNC_ANALYSIS_WORKER__: JSON.stringify(`./${WORKER_FILES.analysis}`) },
    plugins: [packageFileUrls(placedAt), piscinaWorkerBesideBundle()],
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.length} errors`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  const file = await buildAction(out);
  console.log(`wrote ${relative(process.cwd(), file)}`);
}
