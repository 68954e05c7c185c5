// Builds the GitHub Action's bundle: src/action/main.ts and everything it imports (the whole
// engine, @actions/*, Octokit) into one ESM file, so a job runs it with the runner's Node and
// installs nothing. Deterministic: no timestamps, no absolute paths, no source map; the test
// test/action/bundle.test.ts rebuilds into a temporary directory and compares.
//
//   npm run build:action            -> dist-action/index.mjs
//   tsx scripts/build-action.ts DIR -> DIR/index.mjs
import { readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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

export async function buildAction(
  outDir = resolve(ROOT, BUNDLE_DIR),
  placedAt = resolve(ROOT, BUNDLE_DIR),
): Promise<string> {
  const outfile = resolve(outDir, BUNDLE_FILE);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ["src/action/main.ts"],
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
      js: 'import { createRequire as __smimesyncCreateRequire } from "node:module"; const require = __smimesyncCreateRequire(import.meta.url);',
    },
    plugins: [packageFileUrls(placedAt)],
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed: ${result.errors.length} errors`);
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2] ? resolve(process.argv[2]) : undefined;
  const file = await buildAction(out);
  console.log(`wrote ${relative(process.cwd(), file)}`);
}
