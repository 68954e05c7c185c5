// The action's cache directory across runs, against the emulator's legacy (v1) Actions cache
// service, on one runner machine (one RUNNER_TEMP, emptied at every job's start) and Node 24:
// a cold plan saves an entry, the next restores it and the CLI's verdict cache serves every value;
// entries stay in the ref that saved them (a pull request's never reach apply on main, main's
// reach pull requests); a failing or silent cache service is a warning and a cold run; `cache:
// false` sends nothing to it.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { CACHE_API } from "../github-emulator/cache-service.js";
import { removeTempDirs, tempDir } from "../gitops/helpers.js";
import { DECLARE, declare, type JobResult, type World, world } from "./harness.js";

afterAll(removeTempDirs);

let w: World;
beforeEach(async () => {
  w = await world({ runner: "one-machine" });
});
afterEach(async () => {
  await w.close();
});

const LONG = { timeout: 400_000 };
const entries = () => [...w.gh.cache.entries.values()];
const committed = () => entries().filter((e) => e.archive !== null);
const cacheRequests = () =>
  w.gh.log.filter((r) => r.path.startsWith(CACHE_API) || r.path.startsWith("/_cache-"));

/** The CLI's own account of its verdict cache in this job: [from facts, analysed] per plan. */
function verdictCache(job: JobResult): [number, number][] {
  return [...job.log.matchAll(/Verdict cache: (\d+) of \d+ values from recorded facts, (\d+) analysed/g)].map(
    (m) => [Number(m[1]), Number(m[2])],
  );
}
const warnings = (job: JobResult) => job.log.split("\n").filter((l) => l.startsWith("::warning::"));

describe("the action's cache directory", () => {
  it(
    "saves a cold run's cache and restores it into the next run, whose plan analyses nothing again",
    LONG,
    async () => {
      const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
      const cold = await w.planJob(pr.number);
      expect(cold.code, cold.log).toBe(0);
      expect(cold.outputs["cache-hit"]).toBe("false");
      const [coldStats] = verdictCache(cold);
      expect(coldStats?.[0]).toBe(0);
      expect(coldStats?.[1]).toBeGreaterThan(5);
      expect(committed().map((e) => [e.scope, e.key])).toEqual([
        [
          `refs/pull/${pr.number}/merge`,
          expect.stringMatching(new RegExp(`^smimesync-cache-v1-[0-9a-f]{16}-${cold.runId}-1$`)),
        ],
      ]);

      const warm = await w.planJob(pr.number);
      expect(warm.code, warm.log).toBe(0);
      expect(warm.outputs["cache-hit"]).toBe("true");
      expect(warm.log).toContain(`Cache hit: restored ${committed()[0]?.key}`);
      // Every value the cold run analysed now comes from its recorded facts.
      expect(verdictCache(warm)).toEqual([[coldStats?.[1], 0]]);
      // The same plan either way.
      expect(warm.outputs["has-changes"]).toBe(cold.outputs["has-changes"]);
      // A fresh entry of its own, beside the first.
      expect(committed().map((e) => e.key)).toEqual([
        expect.stringContaining(`-${cold.runId}-1`),
        expect.stringContaining(`-${warm.runId}-1`),
      ]);
      expect(warnings(warm)).toEqual([]);
    },
  );

  it(
    "keeps entries in the ref that saved them: a pull request's never reach apply on main, main's reach pull requests",
    LONG,
    async () => {
      const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
      const plan = await w.planJob(pr.number);
      expect(plan.code, plan.log).toBe(0);
      const [prEntry] = committed();
      expect(prEntry?.scope).toBe(`refs/pull/${pr.number}/merge`);

      // apply on main looks up the same prefix at the same version, and the pull request's entry
      // (anything its job chose to save) is not there for it.
      const apply = await w.applyJob(await w.merge(pr.number));
      expect(apply.code, apply.log).toBe(0);
      expect(apply.outputs.result).toBe("applied");
      expect(apply.outputs["cache-hit"]).toBe("false");
      expect(verdictCache(apply).every(([fromFacts]) => fromFacts === 0)).toBe(true);
      const mainEntries = committed().filter((e) => e.scope === "refs/heads/main");
      expect(mainEntries.map((e) => [e.key, e.version])).toEqual([
        [expect.stringContaining(`-${apply.runId}-1`), prEntry?.version],
      ]);

      // A later pull request restores what apply saved on main: a warm plan.
      const next = await w.openPull("Tidy a comment", (c) =>
        c.replace("# Who is managed.", "# Who is in scope."),
      );
      const warm = await w.planJob(next.number);
      expect(warm.code, warm.log).toBe(0);
      expect(warm.outputs["cache-hit"]).toBe("true");
      expect(warm.log).toContain(`Cache hit: restored ${mainEntries[0]?.key}`);
      // Every value apply saw comes from its facts; only what apply wrote is new.
      const [[, applyAnalysed] = [0, -1]] = verdictCache(apply);
      const [[fromFacts, analysed] = [0, -1]] = verdictCache(warm);
      expect(fromFacts).toBe(applyAnalysed);
      expect(analysed).toBeLessThanOrEqual(2);
      expect(committed().filter((e) => e.scope === `refs/pull/${next.number}/merge`)).toHaveLength(1);
    },
  );

  it(
    "restores a corrupted entry into a plan that ignores it, analyses everything and plans the same",
    LONG,
    async () => {
      const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
      const cold = await w.planJob(pr.number);
      expect(cold.code, cold.log).toBe(0);
      const [entry] = committed();
      if (!entry?.archive) throw new Error("no entry saved");
      // One character of a recorded entry changed, as a bad disk or a forger would.
      entry.archive = rewriteArchive(entry.archive, (name, text) => {
        if (!name.includes("verdicts-")) return text;
        const nl = text.indexOf("\n") + 1;
        return `${text.slice(0, nl)}${text[nl] === "0" ? "1" : "0"}${text.slice(nl + 1)}`;
      });
      const warm = await w.planJob(pr.number);
      expect(warm.code, warm.log).toBe(0);
      expect(warm.outputs["cache-hit"]).toBe("true");
      expect(warm.log).toMatch(/note: verdict cache .* ignored \(checksum mismatch/);
      expect(verdictCache(warm)).toEqual([[0, verdictCache(cold)[0]?.[1]]]);
      expect(warm.outputs["has-changes"]).toBe(cold.outputs["has-changes"]);
      const changes = (job: JobResult) => job.summary.slice(job.summary.indexOf("### Changes"));
      expect(changes(warm)).toBe(changes(cold));
    },
  );

  it(
    "plans as usual when the cache service fails (500), refuses a reservation (409), denies access (403) or is not there",
    LONG,
    async () => {
      const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
      w.gh.cache.failures.push({ status: 500, sticky: true });
      const failing = await w.planJob(pr.number);
      expect(failing.code, failing.log).toBe(0);
      expect(failing.outputs).toMatchObject({ result: "changes", "cache-hit": "false" });
      expect(warnings(failing).join("\n")).toMatch(/Failed to restore: .*500/);
      expect(warnings(failing).join("\n")).toMatch(/smimesync cache was not saved/);
      expect(failing.log).not.toMatch(/^::error::/m);
      expect(entries()).toEqual([]);

      w.gh.cache.failures.length = 0;
      w.gh.cache.failures.push({
        status: 409,
        match: /\/caches$/,
        body: JSON.stringify({
          message: "Cache already exists.",
          typeKey: "ArtifactCacheAlreadyExistsException",
        }),
      });
      const conflict = await w.planJob(pr.number);
      expect(conflict.code, conflict.log).toBe(0);
      expect(warnings(conflict).join("\n")).toMatch(/smimesync cache was not saved/);
      expect(entries()).toEqual([]);

      // A token the service will not let read or write (403, with the reasons it gives for a run
      // the administrator classified as untrusted).
      w.gh.cache.failures.push(
        {
          status: 403,
          match: /\/cache\?/,
          body: JSON.stringify({ message: "cache read denied: no readable scope" }),
        },
        {
          status: 403,
          match: /\/caches$/,
          body: JSON.stringify({ message: "cache write denied: read-only token" }),
        },
      );
      const denied = await w.planJob(pr.number);
      expect(denied.code, denied.log).toBe(0);
      expect(denied.outputs).toMatchObject({ result: "changes", "cache-hit": "false" });
      expect(warnings(denied).join("\n")).toMatch(/cache read denied/);
      expect(warnings(denied).join("\n")).toMatch(/cache write denied/);
      expect(entries()).toEqual([]);

      const before = w.gh.log.length;
      const none = await w.planJob(pr.number, {}, { ACTIONS_CACHE_URL: "" });
      expect(none.code, none.log).toBe(0);
      expect(none.outputs).toMatchObject({ result: "changes", "cache-hit": "false" });
      expect(warnings(none).join("\n")).toMatch(/cache service is not available/);
      expect(w.gh.log.slice(before).filter((r) => r.path.startsWith(CACHE_API))).toEqual([]);
    },
  );

  it(
    "gives up on a cache service that does not answer, with a warning, and the step still ends",
    LONG,
    async () => {
      const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
      w.gh.cache.failures.push({ hang: true, sticky: true });
      const job = await w.planJob(pr.number, {}, { SMIMESYNC_CACHE_TIMEOUT_SECONDS: "2" });
      expect(job.code, job.log).toBe(0);
      expect(job.outputs).toMatchObject({ result: "changes", "cache-hit": "false" });
      expect(warnings(job).join("\n")).toMatch(/not restored \(no answer from the cache service after 2 s/);
      expect(warnings(job).join("\n")).toMatch(/not saved .*no answer from the cache service after 2 s/);
      expect(verdictCache(job)).toHaveLength(1);
    },
  );

  it("with cache: false, sends nothing to the cache service", LONG, async () => {
    const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
    const first = await w.planJob(pr.number, { cache: "false" });
    const second = await w.planJob(pr.number, { cache: "false" });
    for (const job of [first, second]) {
      expect(job.code, job.log).toBe(0);
      expect(job.outputs["cache-hit"]).toBeUndefined();
      expect(warnings(job)).toEqual([]);
    }
    expect(cacheRequests()).toEqual([]);
    expect(entries()).toEqual([]);
    // Nothing carried over: the second plan analysed everything again.
    expect(verdictCache(second)[0]?.[0]).toBe(0);
  });
});

/** The archive with each file's text passed through `edit` (tar + zstd, as @actions/cache makes it). */
function rewriteArchive(archive: Buffer, edit: (name: string, text: string) => string): Buffer {
  const dir = tempDir("smimesync-cache-archive-");
  // Member names are relative to the workspace (../_temp/...): extract two levels down.
  const root = join(dir, "ws", "job");
  mkdirSync(root, { recursive: true });
  const zst = ["--use-compress-program", "zstd -d"];
  writeFileSync(join(dir, "in.tzst"), archive);
  const names = execFileSync("tar", ["-tf", join(dir, "in.tzst"), "-P", ...zst], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
  execFileSync("tar", ["-xf", join(dir, "in.tzst"), "-P", "-C", root, ...zst]);
  for (const name of names) {
    if (name.endsWith("/")) continue;
    const file = join(root, name);
    writeFileSync(file, edit(name, readFileSync(file, "utf8")));
  }
  execFileSync("tar", [
    "--posix",
    "-cf",
    join(dir, "out.tzst"),
    "-P",
    "-C",
    root,
    "--no-recursion",
    "--use-compress-program",
    "zstd",
    ...names,
  ]);
  return readFileSync(join(dir, "out.tzst"));
}
