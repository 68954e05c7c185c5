// Temp files of an interrupted apply (writeFileAtomic's `.<file>.<pid>.<hex>.tmp` beside the LDIF
// and the snapshot) are removed by the next run that opens the file; a running process's are kept.
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeDemo } from "../../src/demo/write-demo.js";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2026-03-01T10:00:00Z");

describe("temp files left by a killed apply", () => {
  it("are removed by the next plan; another live process's temp file stays", async () => {
    const dir = await mkdtemp(join(tmpdir(), "smimesync-temps-"));
    await writeDemo(dir, NOW);
    // A pid that ran and is gone: a child that has exited.
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const leftovers = [`.directory.ldif.${dead}.0badc0de.tmp`, `.tenant.json.${dead}.deadbeef.tmp`];
    const live = `.directory.ldif.${process.ppid}.12345678.tmp`;
    for (const name of [...leftovers, live]) await writeFile(join(dir, name), "half a file");
    const r = await runCli(["plan"], { cwd: dir, env: { PATH: process.env.PATH }, seams: { now: NOW } });
    expect(r.code, r.stderr).toBe(0);
    const names = await readdir(dir);
    for (const name of leftovers) expect(names).not.toContain(name);
    expect(names).toContain(live);
  });
});
