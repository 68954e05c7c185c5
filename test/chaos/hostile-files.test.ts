// Hostile files (issue 15): a pull request's author chooses smimesync.yaml and every file it names.
// Endless or special files (/dev/zero, a FIFO, a directory), oversized files and oversized or
// malformed YAML end in a clear error naming the limit, before anything is read in full.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import { DiagnosticsError, SmimesyncError } from "../../src/errors.js";
import { FILE_LIMITS, YAML_LIMITS } from "../../src/model/limits.js";
import { runAt } from "../demo/run.js";

const NOW = new Date("2026-03-02T10:00:00Z");
let demo: string;
let config: string;
let anchor: string;
const figures = { cases: 0 };

beforeAll(async () => {
  demo = await mkdtemp(join(tmpdir(), "smimesync-hostile-"));
  await writeDemo(demo, NOW);
  config = await readFile(join(demo, "smimesync.yaml"), "utf8");
  anchor = /trustAnchors:\n\s+- (\S+)/.exec(config)![1]!;
});
afterAll(async () => {
  await rm(demo, { recursive: true, force: true });
  console.log(`hostile files: ${figures.cases} cases, each a clear error, no hang, no internal error`);
});

/** A copy of the demo in which `name` is replaced by what `plant` makes at its path. */
async function plantedDemo(name: string, plant: (path: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-planted-"));
  execFileSync("cp", ["-a", `${demo}/.`, dir]);
  await rm(join(dir, name), { recursive: true, force: true });
  await plant(join(dir, name));
  return dir;
}

const plants: Record<string, { plant: (p: string) => Promise<void>; says: RegExp }> = {
  "/dev/zero": {
    plant: (p) => symlink("/dev/zero", p),
    says: /is a character device; smimesync reads only regular files/,
  },
  "a FIFO": {
    plant: async (p) => {
      execFileSync("mkfifo", [p]);
    },
    says: /is a FIFO \(named pipe\); smimesync reads only regular files/,
  },
  "a directory": { plant: (p) => mkdir(p), says: /is a directory; smimesync reads only regular files/ },
};

async function expectClearFailure(dir: string, command: string[], says: RegExp): Promise<void> {
  const r = await runAt(NOW, command, dir);
  figures.cases++;
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(says);
  expect(r.stderr).not.toMatch(/Internal error|at .*\.ts:\d+/);
}

describe.each(Object.entries(plants))("a referenced file that is %s", (_, { plant, says }) => {
  it("trust anchor: validate and plan refuse it", async () => {
    const dir = await plantedDemo(anchor, plant);
    await expectClearFailure(dir, ["validate"], says);
    await expectClearFailure(dir, ["plan"], says);
  });
  it("directory.ldif and tenant.json: validate and plan refuse them", async () => {
    for (const name of ["directory.ldif", "tenant.json"]) {
      const dir = await plantedDemo(name, plant);
      await expectClearFailure(dir, ["validate"], says);
      await expectClearFailure(dir, ["plan"], says);
    }
  });
  it("the config itself", async () => {
    const dir = await plantedDemo("smimesync.yaml", plant);
    await expectClearFailure(dir, ["validate"], says);
  });
});

describe("size limits, checked before reading", () => {
  it("a 50 MB YAML list fails at once, naming the limit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-big-"));
    const big = `${config}\nextra:\n${"  - aaaaaaaaaaaaaaaaaaaaaaa\n".repeat(2_000_000)}`;
    expect(big.length).toBeGreaterThan(50_000_000);
    await writeFile(join(dir, "smimesync.yaml"), big);
    await expectClearFailure(
      dir,
      ["validate"],
      /over the 1 MiB limit for a config file \(FILE_LIMITS\.config\)/,
    );
    await rm(dir, { recursive: true, force: true });
  });

  it("an LDIF, snapshot, trust anchor or CRL over its limit (sparse files: no disk used)", async () => {
    const cases: [string, keyof typeof FILE_LIMITS][] = [
      ["directory.ldif", "backend"],
      ["tenant.json", "backend"],
      [anchor, "certificate"],
    ];
    for (const [name, kind] of cases) {
      const dir = await plantedDemo(name, async (p) => {
        await writeFile(p, "");
        await truncate(p, FILE_LIMITS[kind] + 1);
      });
      const says = new RegExp(`over the .* limit for .* \\(FILE_LIMITS\\.${kind}\\)`);
      await expectClearFailure(dir, ["validate"], says);
      await expectClearFailure(dir, ["plan"], says);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a secret file that is a FIFO is refused, not waited on", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-secret-"));
    execFileSync("mkfifo", [join(dir, "password")]);
    const { resolveSecret } = await import("../../src/config/secrets.js");
    expect(() => resolveSecret("${file:password}", {}, dir, "directory.bind.password")).toThrow(
      /FIFO \(named pipe\); smimesync reads only regular files/,
    );
    figures.cases++;
    await rm(dir, { recursive: true, force: true });
  });
});

describe("an LDIF holding the same record twice", () => {
  it("is a located error, not doubled publications or an internal error", async () => {
    const dir = await plantedDemo("directory.ldif", async () => {});
    const ldif = await readFile(join(demo, "directory.ldif"), "utf8");
    const records = ldif.split(/\n\n/);
    const user = records.findIndex((r) => /objectClass: user/i.test(r) && /userCertificate/i.test(r));
    expect(user).toBeGreaterThan(-1);
    await writeFile(join(dir, "directory.ldif"), `${ldif.trimEnd()}\n\n${records[user]!.trim()}\n`);
    const line = ldif.trimEnd().split("\n").length + 2;
    await expectClearFailure(
      dir,
      ["plan"],
      new RegExp(
        `directory\\.ldif:${line}: the object .* appears in two records \\(the first at line \\d+\\)`,
      ),
    );
  });
});

describe("YAML bounds", () => {
  async function loadError(yaml: string | Buffer): Promise<DiagnosticsError> {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-yaml-"));
    await writeFile(join(dir, "smimesync.yaml"), yaml);
    try {
      await loadConfig("smimesync.yaml", dir);
    } catch (e) {
      figures.cases++;
      if (e instanceof DiagnosticsError) return e;
      throw e;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    throw new Error("the config loaded");
  }

  it("more tokens than the limit, inside the size limit: a located error naming the limit", async () => {
    const yaml = `version: 1\nx: [${"1,".repeat(YAML_LIMITS.maxTokens)}1]\n`;
    const e = await loadError(yaml);
    expect(e.code).toBe("INPUT_LIMIT");
    expect(e.diagnostics[0]).toMatchObject({
      line: 2,
      message: expect.stringContaining("YAML_LIMITS.maxTokens"),
    });
  });

  it("an alias bomb (billion laughs) stops at maxAliasCount", async () => {
    let yaml = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 9; i++)
      yaml += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(", ")}]\n`;
    const e = await loadError(yaml);
    expect(e.code).toBe("INPUT_LIMIT");
    expect(e.diagnostics[0]!.message).toContain("YAML_LIMITS.maxAliasCount");
  });

  it("invalid UTF-8 is a located error, never silently replaced", async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${config.split("\n").slice(0, 3).join("\n")}\n# caf`),
      Buffer.from([0xe9]),
      Buffer.from(" au lait\n"),
    ]);
    const e = await loadError(bytes);
    expect(e.code).toBe("CONFIG_INVALID");
    expect(e.diagnostics[0]).toMatchObject({ line: 4, col: 6 });
    expect(e.diagnostics[0]!.message).toContain("invalid UTF-8 (byte 0xe9");
  });

  it("a limit error is a SmimesyncError, printed without a stack trace", () => {
    expect(new DiagnosticsError("INPUT_LIMIT", [])).toBeInstanceOf(SmimesyncError);
  });
});
