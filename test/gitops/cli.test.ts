import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseSince } from "../../src/cli/commands/audit.js";
import { loadConfig } from "../../src/config/load.js";
import { DiagnosticsError } from "../../src/errors.js";
import { recordApply } from "../../src/gitops/audit.js";
import { pem, testPki } from "../fixtures/pki.js";
import { runCli } from "../helpers/cli.js";
import { change, makePlan, makeRepo, removeTempDirs, tempDir } from "./helpers.js";

afterAll(removeTempDirs);

describe("smimesync init", () => {
  it("writes a starter config and the two workflows, and refuses to overwrite without --force", async () => {
    const dir = tempDir();
    const first = await runCli(["init", dir]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/wrote .*smimesync\.yaml/);
    const files = [
      "smimesync.yaml",
      ".github/workflows/smimesync-plan.yml",
      ".github/workflows/smimesync-apply.yml",
      ".github/workflows/smimesync-reconcile.yml",
    ];
    const templates = ["smimesync.yaml", "plan.yml", "apply.yml", "reconcile.yml"];
    files.forEach((f, i) => {
      expect(readFileSync(join(dir, f), "utf8")).toBe(
        readFileSync(new URL(`../../examples/github/${templates[i]}`, import.meta.url), "utf8"),
      );
    });
    const config = readFileSync(join(dir, "smimesync.yaml"), "utf8");
    expect(config).toContain("method: workload-identity");
    expect(config).toContain("${env:SMIMESYNC_LDAP_PASSWORD}");

    // validate names each placeholder still to fill, with its line, and nothing else.
    const validate = await runCli(["validate", "-c", join(dir, "smimesync.yaml")]);
    expect(validate.code).toBe(1);
    const located = validate.stderr.split("\n").filter((l) => /smimesync\.yaml:\d+:\d+:/.test(l));
    expect(located.map((l) => l.replace(/^.*smimesync\.yaml:(\d+):\d+: /, "$1 "))).toEqual([
      "20 CA file pki/dc-ca.pem does not exist (paths are relative to the config file)",
      "24 placeholder: fill in your Directory (tenant) id (Entra admin center, Overview)",
      "30 placeholder: fill in the Application (client) id of smimesync's app registration",
      "48 trust anchor file pki/corp-root-ca.pem does not exist (paths are relative to the config file)",
    ]);
    // Filled in, the starter config validates as written.
    const { root } = await testPki();
    mkdirSync(join(dir, "pki"));
    writeFileSync(join(dir, "pki/dc-ca.pem"), pem("CERTIFICATE", root.der));
    writeFileSync(join(dir, "pki/corp-root-ca.pem"), pem("CERTIFICATE", root.der));
    const filled = config
      .replace(/tenantId: 0{8}-0{4}-0{4}-0{4}-0{12}/, "tenantId: 6f1c2b7e-3a4d-4e5f-9a8b-1c2d3e4f5a6b")
      .replace(/clientId: 0{8}-0{4}-0{4}-0{4}-0{12}/, "clientId: 0b9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c");
    writeFileSync(join(dir, "smimesync.yaml"), filled);
    const problems = await loadConfig("smimesync.yaml", dir).then(
      () => [],
      (e: unknown) => (e instanceof DiagnosticsError ? e.diagnostics.map((d) => d.message) : [String(e)]),
    );
    expect(problems).toEqual([]);
    writeFileSync(join(dir, "smimesync.yaml"), config);

    writeFileSync(join(dir, "smimesync.yaml"), "# mine\n");
    const again = await runCli(["init", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /not overwriting existing files: .*smimesync\.yaml, .*smimesync-plan\.yml, .*smimesync-apply\.yml, .*smimesync-reconcile\.yml/,
    );
    expect(again.stderr).toMatch(/--force/);
    expect(readFileSync(join(dir, "smimesync.yaml"), "utf8")).toBe("# mine\n");

    const forced = await runCli(["init", dir, "--force"]);
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "smimesync.yaml"), "utf8")).toBe(config);
  });
});

describe("smimesync audit", () => {
  it("prints matching changes as text and JSON", async () => {
    const repo = await makeRepo();
    repo.write("smimesync.yaml", "version: 1\n");
    const commit = await repo.commit("config");
    const alice = "alice@corp.example.com";
    const res = await recordApply({
      repoDir: repo.dir,
      plan: makePlan({
        id: "p1",
        git: { commit, dirty: false },
        changes: [change("a1", alice, "publish", 1)],
      }),
      planHash: "a".repeat(64),
      approval: { kind: "confirmed" },
      outcomes: [{ changeId: "a1", outcome: "applied" }],
      env: { SMIMESYNC_PR_NUMBER: "9", GITHUB_REPOSITORY: "corp/pki", GITHUB_RUN_ID: "5" },
      appliedAt: new Date("2025-02-03T04:05:06Z"),
    });

    const text = await runCli(["audit", "--mail", alice, "-C", repo.dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      `2025-02-03T04:05:06Z + ${alice} userCertificate CN=alice, O=Corp, thumbprint 01AB01AB (declared-in-repo) applied ` +
        `[Test Admin, PR #9, commit ${res.commit.slice(0, 12)}]\n1 change in 1 apply.\n`,
    );
    const json = await runCli(["audit", "--thumbprint", "01AB01AB", "--format", "json"], { cwd: repo.dir });
    expect(JSON.parse(json.stdout)).toMatchObject([
      { commit: res.commit, planId: "p1", pullRequest: 9, change: { changeId: "a1" } },
    ]);

    const none = await runCli(["audit", "--since", "2025-03-01", "-C", repo.dir]);
    expect(none.stdout).toBe("No audited change matches.\n");
    const bad = await runCli(["audit", "--thumbprint", "zz", "-C", repo.dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a certificate thumbprint/);
  });

  it("parses --since as a date, a date-time or an age", () => {
    const now = new Date("2025-06-30T12:00:00Z");
    expect(parseSince("2025-06-01", now).toISOString()).toBe("2025-06-01T00:00:00.000Z");
    expect(parseSince("2025-06-01T08:00:00+02:00", now).toISOString()).toBe("2025-06-01T06:00:00.000Z");
    expect(parseSince("30d", now).toISOString()).toBe("2025-05-31T12:00:00.000Z");
    expect(parseSince("2w", now).toISOString()).toBe("2025-06-16T12:00:00.000Z");
    expect(() => parseSince("last tuesday", now)).toThrow(/not a date/);
  });
});
