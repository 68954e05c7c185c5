import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useColor } from "../../src/cli/output.js";
import { runCli } from "../helpers/cli.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const pkg = (await import("../../package.json", { with: { type: "json" } })).default as {
  version: string;
  files: string[];
};
const packaged = pkg.files;

describe("CLI conventions", () => {
  it("--help lists the commands and the exit codes", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: smimesync \[options\] \[command\]/);
    expect(r.stdout).toMatch(/validate \[options\]/);
    expect(r.stdout).toMatch(/--no-color/);
    expect(r.stdout).toMatch(/Exit codes: 0 success, 1 error, 2 changes present/);
  });

  it("validate --help describes its options", async () => {
    const r = await runCli(["validate", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-c, --config <file>\s+the configuration file \(default: "smimesync.yaml"\)/);
    expect(r.stdout).toMatch(/FILE:LINE:COL/);
  });

  it("--version prints the package version", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("--version and --help load no engine: only the CLI and the commands' option definitions", async () => {
    // A loader hook lists every module of the compiled CLI that a run resolves (dist/, as shipped).
    const dir = await mkdtemp(join(tmpdir(), "smimesync-startup-"));
    const hooks = join(dir, "hooks.mjs");
    await writeFile(
      hooks,
      `export async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes("/dist/")) process.stderr.write("LOADED " + r.url + "\\n"); return r; }`,
    );
    const register = join(dir, "register.mjs");
    await writeFile(
      register,
      `import { register } from "node:module"; register(${JSON.stringify(new URL(`file://${hooks}`).href)});`,
    );
    for (const args of [["--version"], ["--help"]]) {
      const run = spawnSync(
        process.execPath,
        ["--import", register, join(ROOT, "bin/smimesync.js"), ...args],
        {
          encoding: "utf8",
        },
      );
      expect(run.status, run.stderr).toBe(0);
      const out = run.stderr;
      const loaded = [...out.matchAll(/LOADED .*\/dist\/(.*)/g)].map((m) => m[1] as string);
      expect(loaded, args.join(" ")).toContain("cli/main.js");
      const engines = loaded.filter((m) =>
        /^(certs|config\/load|engine|directory|tenant|policy|reconcile|report\/(build|render)|plan\/render\/(?!formats))/.test(
          m,
        ),
      );
      expect(engines, `${args.join(" ")} loads engine modules`).toEqual([]);
    }
  });

  it("a usage mistake exits 1 with a suggestion", async () => {
    const r = await runCli(["valdate"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'valdate'/);
    expect(r.stderr).toMatch(/Did you mean validate\?/);
  });

  it("--debug shows the stack of a user error, the default does not", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-cli-"));
    await writeFile(join(dir, "smimesync.yaml"), "version: 1\n");
    const plain = await runCli(["validate"], { cwd: dir });
    const debug = await runCli(["--debug", "validate"], { cwd: dir });
    expect(plain.code).toBe(1);
    expect(debug.code).toBe(1);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("colours only on a TTY, never with --no-color or NO_COLOR", async () => {
    expect(useColor(false, {}, { isTTY: true })).toBe(true);
    expect(useColor(false, {}, { isTTY: false })).toBe(false);
    expect(useColor(true, {}, { isTTY: true })).toBe(false);
    expect(useColor(false, { NO_COLOR: "1" }, { isTTY: true })).toBe(false);
    const tty = await runCli(["validate", "-c", "examples/hybrid/smimesync.yaml"], { cwd: ROOT, tty: true });
    expect(tty.stdout).toContain("\u001b[32m✓");
    const noColor = await runCli(["--no-color", "validate", "-c", "examples/hybrid/smimesync.yaml"], {
      cwd: ROOT,
      tty: true,
    });
    expect(noColor.stdout).not.toContain("\u001b[");
    const envNoColor = await runCli(["validate", "-c", "examples/hybrid/smimesync.yaml"], {
      cwd: ROOT,
      tty: true,
      env: { NO_COLOR: "1" },
    });
    expect(envNoColor.stdout).not.toContain("\u001b[");
  });
});

describe("help and hints point to what exists", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const headings = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map((m) => (m[1] as string).trim()));

  it("every README section and file that --help names exists, and ships in the package", async () => {
    const main = await runCli(["--help"]);
    const commands = [...main.stdout.matchAll(/^ {2}([a-z]+) /gm)]
      .map((m) => m[1] as string)
      .filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThan(8);
    const helps = [
      main.stdout,
      ...(await Promise.all(commands.map((c) => runCli([c, "--help"])))).map((r) => r.stdout),
    ];
    const text = helps.join("\n");
    const sections = [...text.matchAll(/"([A-Z][A-Za-z ]+)"/g)].map((m) => m[1] as string);
    expect(sections).toContain("Configuration");
    for (const s of sections) expect(headings.has(s), `README section "${s}"`).toBe(true);
    for (const m of text.matchAll(/\b((?:schemas|examples)\/[\w./-]+\.\w+)/g)) {
      const path = m[1] as string;
      expect(existsSync(join(ROOT, path)), path).toBe(true);
      expect(packaged.includes(path.split("/")[0] as string), `${path} is in package.json files`).toBe(true);
    }
  });

  it("hints in the sources name commands that exist, spelled one way, and README sections that exist", () => {
    const sources = execFileSync("git", ["ls-files", "src"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => f.endsWith(".ts") && !f.includes("/generated/"));
    const text = sources.map((f) => readFileSync(join(ROOT, f), "utf8")).join("\n");
    const known = new Set([
      "validate",
      "plan",
      "drift",
      "status",
      "show",
      "apply",
      "report",
      "inspect",
      "audit",
      "init",
      "demo",
    ]);
    for (const m of text.matchAll(/`smimesync ([a-z]+)/g)) expect(known.has(m[1] as string), m[0]).toBe(true);
    // One spelling for saving a plan in hints.
    expect(text).not.toContain("`smimesync plan --out FILE`");
    for (const m of text.matchAll(/README's "?([A-Z][A-Za-z ]+?)"? section/g))
      expect(headings.has(m[1] as string), `README section ${m[1]}`).toBe(true);
  });
});
