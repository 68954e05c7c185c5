// The audit trail survives a kill: apply journals what it is about to write before the first write
// and each outcome as it happens; an apply killed with SIGKILL mid-way leaves the journal, and the
// next run (plan or apply) completes it as interrupted, commits it with a bounded message and says
// so. A second apply then converges and commits its own record.
import { existsSync, readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { beforeEach, describe, expect, it } from "vitest";
import { JOURNAL_DIR } from "../../src/gitops/audit-journal.js";
import { type AuditRecord, isAuditRecord } from "../../src/gitops/audit-record.js";
import { demoRepo } from "../fixtures/demo-repo.js";
import { runCli } from "../helpers/cli.js";
import { cliEntry, spawnCli } from "./spawn-cli.js";

let dir: string;
const env = { PATH: process.env.PATH };

beforeEach(async () => {
  dir = await demoRepo("journal", new Date());
});

const journals = () => (existsSync(join(dir, JOURNAL_DIR)) ? readdirSync(join(dir, JOURNAL_DIR)) : []);

describe("the audit journal", () => {
  it("a kill -9 mid-apply leaves the journal; the next plan commits it as interrupted", async () => {
    const killed = await spawnCli(cliEntry(dir), ["apply", "--auto-approve"], {
      cwd: dir,
      env: { ...env, SMIMESYNC_TEST_KILL_AFTER_WRITES: "2" },
    });
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    expect(journals()).toHaveLength(1);
    // Nothing was committed by the killed run.
    expect((await simpleGit(dir).log()).total).toBe(1);

    const planned = await runCli(["plan"], { cwd: dir, env });
    expect(planned.stderr).toMatch(
      /Found the journal of an interrupted apply \(plan [0-9a-z]+, started .*\): outcomes unknown for [1-9]\d* changes?, \d+ not attempted\. Committed its audit record (audit\/\d{4}\/\d{2}\/\S+\.json) as [0-9a-f]{12}\./,
    );
    expect(journals()).toHaveLength(0);
    const log = await simpleGit(dir).log();
    expect(log.total).toBe(2);
    expect(log.latest?.message).toMatch(/^smimesync: interrupted apply, outcomes unknown for [1-9]/);
    const path = /Committed its audit record (\S+) as/.exec(planned.stderr)?.[1] as string;
    const record = JSON.parse(await readFile(join(dir, path), "utf8")) as AuditRecord;
    expect(isAuditRecord(record)).toBe(true);
    // The first object's outcome reached the journal; the second was written, then killed before
    // its outcome was journaled: unknown. The rest were never started.
    const outcomes = record.changes.map((c) => c.outcome);
    expect(outcomes.filter((o) => o === "applied").length).toBeGreaterThan(0);
    expect(record.interrupted?.unknown).toBe(outcomes.filter((o) => o === "unknown").length);
    expect(record.summary.unknown).toBe(record.interrupted?.unknown);
    expect(outcomes.filter((o) => o === "skipped").length).toBeGreaterThan(0);
    expect(
      await simpleGit(dir)
        .status()
        .then((s) => s.not_added.filter((f) => f.startsWith("audit/"))),
    ).toEqual([]);

    // Then an apply converges and records itself; no journal is left behind.
    const applied = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).not.toMatch(/Found the journal/);
    expect(journals()).toHaveLength(0);
    expect((await simpleGit(dir).log()).total).toBe(3);
    const again = await runCli(["plan", "--detailed-exitcode"], { cwd: dir, env });
    expect(again.code, again.stdout).toBe(0);
  });

  it("an apply that runs through keeps its journal only until the record is committed", async () => {
    const applied = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(journals()).toHaveLength(0);
    const log = await simpleGit(dir).log();
    expect(log.latest?.message).toMatch(/^smimesync: published \d+/);
  });

  it("the next apply commits a leftover journal before writing anything new", async () => {
    const killed = await spawnCli(cliEntry(dir), ["apply", "--auto-approve"], {
      cwd: dir,
      env: { ...env, SMIMESYNC_TEST_KILL_AFTER_WRITES: "1" },
    });
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const applied = await runCli(["apply", "--auto-approve"], { cwd: dir, env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toMatch(/Found the journal of an interrupted apply/);
    const messages = (await simpleGit(dir).log()).all.map((c) => c.message);
    expect(messages[0]).toMatch(/^smimesync: published/);
    expect(messages[1]).toMatch(/^smimesync: interrupted apply/);
  });
});
