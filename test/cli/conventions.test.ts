import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useColor } from "../../src/cli/output.js";
import { runCli } from "../helpers/cli.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const pkg = (await import("../../package.json", { with: { type: "json" } })).default as { version: string };

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
