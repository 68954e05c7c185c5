// Plays GitHub for the action's tests: an `origin` repository (bare, on disk), the GitHub API
// emulator, and jobs that run the BUNDLED action (dist-action/index.mjs) as a child process in a
// fresh checkout with the environment a runner gives a JavaScript action (GITHUB_EVENT_PATH,
// GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, INPUT_*, ACTIONS_RUNTIME_TOKEN / ACTIONS_RESULTS_URL, the
// legacy cache service's ACTIONS_CACHE_URL, the OIDC request variables). The organisation is the demo's, on the offline backends; their files
// live outside the repository (absolute paths in the config), as a directory lives outside git.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { writeDemo } from "../../src/demo/write-demo.js";
import { type GitHubEmulator, startGitHubEmulator } from "../github-emulator/server.js";
import { configure, tempDir } from "../gitops/helpers.js";
import { runCli } from "../helpers/cli.js";

export const BUNDLE = new URL("../../dist-action/index.mjs", import.meta.url).pathname;
export const REPO = "corp/pki-config";
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

export interface JobResult {
  readonly code: number;
  readonly log: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
  readonly runId: number;
  readonly checkout: string;
}

export interface World {
  readonly gh: GitHubEmulator;
  readonly origin: string;
  /** The directory (LDIF) and tenant (snapshot) files the config points at. */
  readonly state: string;
  /** A developer's clone: edits, pull request branches, merges. */
  readonly dev: string;
  readonly config: () => string;
  /** Opens a pull request whose one commit rewrites smimesync.yaml with `edit`. */
  openPull(title: string, edit: (config: string) => string): Promise<{ number: number; headSha: string }>;
  /** Merges it into main (a merge commit, pushed), as the merge button does. */
  merge(number: number): Promise<string>;
  planJob(number: number, inputs?: Record<string, string>, env?: Record<string, string>): Promise<JobResult>;
  applyJob(sha: string, inputs?: Record<string, string>): Promise<JobResult>;
  reconcileJob(inputs?: Record<string, string>): Promise<JobResult>;
  /** A job of any workflow (the attacker's own workflow step, for one). */
  job(o: JobOptions): Promise<JobResult>;
  close(): Promise<void>;
}

export interface JobOptions {
  readonly workflow: string;
  readonly event: "pull_request" | "push" | "schedule";
  readonly payload: unknown;
  readonly sha: string;
  readonly ref: string;
  readonly inputs: Record<string, string>;
  /** Instead of the action, run this TypeScript file (through tsx) in the job. */
  readonly script?: string;
  readonly env?: Record<string, string>;
}

/** The demo's config with its declared certificates and partner contact taken out. */
export function baseConfig(demoConfig: string, state: string): string {
  return demoConfig
    .replace("ldif: directory.ldif", `ldif: ${join(state, "directory.ldif")}`)
    .replace("snapshot: tenant.json", `snapshot: ${join(state, "tenant.json")}`)
    .replace(/\nrepository:\n(?: {2}.*\n|\n)*/, "\n");
}

export const DECLARE = {
  grace: "  certificates:\n    - mail: grace.green@corp.example.com\n      files: [certs/grace.green.pem]\n",
  frank:
    "  certificates:\n    - mail: frank.fischer@corp.example.com\n      files: [certs/frank.fischer.pem]\n",
  pat: "  contacts:\n    - mail: pat.partner@supplier.example\n      name: Pat Partner (Supplier Ltd)\n      files: [certs/pat.partner@supplier.example.pem]\n",
};

/** Adds declarations under `repository:` (creating it), keeping what is there. */
export function declare(config: string, what: string): string {
  if (!/\nrepository:\n/.test(config)) return `${config.trimEnd()}\n\nrepository:\n${what}`;
  return config.replace(/\nrepository:\n/, `\nrepository:\n${what}`);
}

export interface WorldOptions {
  /**
   * Jobs as one runner machine runs them: one RUNNER_TEMP (emptied at the start of every job, as
   * the runner does) beside the checkouts, and the action on Node 24 (action.yml's `node24`)
   * instead of the test's Node. Default: a RUNNER_TEMP of each job's own, kept for inspection.
   */
  readonly runner?: "per-job" | "one-machine";
}

let node24: string | undefined;
/** A Node 24 binary (npx fetches it once), for jobs run as `runs.using: node24` runs them. */
function node24Binary(): string {
  node24 ??= execFileSync("npx", ["-y", "node@24", "-p", "process.execPath"], { encoding: "utf8" }).trim();
  return node24;
}

export async function world(options: WorldOptions = {}): Promise<World> {
  const gh = await startGitHubEmulator(REPO);
  const root = tempDir("smimesync-action-");
  const origin = join(root, "origin.git");
  const state = join(root, "state");
  const dev = join(root, "dev");
  mkdirSync(state);
  await simpleGit().raw(["init", "--quiet", "--bare", "--initial-branch=main", origin]);
  await writeDemo(dev, new Date());
  for (const f of ["directory.ldif", "tenant.json"]) {
    writeFileSync(join(state, f), readFileSync(join(dev, f)));
  }
  const configPath = join(dev, "smimesync.yaml");
  writeFileSync(configPath, baseConfig(readFileSync(configPath, "utf8"), state));
  // The directory starts converged: what main's config wants is already published.
  const converged = await runCli(["apply", "--auto-approve", "--no-audit"], {
    cwd: dev,
    env: { PATH: process.env.PATH },
  });
  if (converged.code !== 0) throw new Error(`could not converge the demo: ${converged.stderr}`);
  const git = simpleGit(dev);
  await git.init(["--initial-branch=main"]);
  await configure(git);
  writeFileSync(join(dev, ".gitignore"), "directory.ldif\ntenant.json\nREADME.md\n");
  await git.add(".");
  await git.commit("desired state");
  await git.addRemote("origin", origin);
  await git.push("origin", "main");

  let jobs = 0;
  async function job(o: JobOptions): Promise<JobResult> {
    const n = ++jobs;
    const checkout = join(root, `job-${n}`);
    await simpleGit().clone(origin, checkout, ["--quiet"]);
    await simpleGit(checkout).raw(["checkout", "--quiet", "--detach", o.sha]);
    const files = join(root, `job-${n}-files`);
    mkdirSync(files);
    const eventPath = join(files, "event.json");
    writeFileSync(eventPath, JSON.stringify(o.payload));
    const output = join(files, "output");
    const summary = join(files, "summary.md");
    writeFileSync(output, "");
    writeFileSync(summary, "");
    const oneMachine = options.runner === "one-machine";
    const runnerTemp = oneMachine ? join(root, "_temp") : join(files, "tmp");
    if (oneMachine) rmSync(runnerTemp, { recursive: true, force: true });
    mkdirSync(runnerTemp);
    const run = gh.startRun({
      workflow: o.workflow,
      headSha: o.sha,
      event: o.event,
      ref: o.ref,
      ...(o.event === "pull_request" ? { baseRef: "refs/heads/main" } : {}),
    });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: files,
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_WORKSPACE: checkout,
      GITHUB_REPOSITORY: REPO,
      GITHUB_REPOSITORY_OWNER: REPO.split("/")[0],
      GITHUB_SERVER_URL: "https://github.com",
      GITHUB_API_URL: gh.url,
      GITHUB_RUN_ID: String(run.id),
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_ACTOR: "octo-admin",
      GITHUB_ACTOR_ID: "4242",
      GITHUB_EVENT_NAME: o.event,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_SHA: o.sha,
      GITHUB_REF: o.ref,
      GITHUB_WORKFLOW_REF: `${REPO}/.github/workflows/${o.workflow}@${o.ref}`,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      RUNNER_TEMP: runnerTemp,
      ACTIONS_RUNTIME_TOKEN: gh.runtimeToken(run),
      ACTIONS_RESULTS_URL: `${gh.url}/`,
      ACTIONS_CACHE_URL: `${gh.url}/`,
      ACTIONS_ID_TOKEN_REQUEST_URL: `${gh.url}/_oidc/token`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "emulated-request-token",
      // Fail fast instead of @actions/artifact's 5 s retries.
      ACTIONS_ARTIFACT_UPLOAD_TIMEOUT_MS: "20000",
      ...o.env,
      ...Object.fromEntries(
        Object.entries({ "github-token": gh.token, ...o.inputs }).map(([k, v]) => [
          `INPUT_${k.toUpperCase()}`,
          v,
        ]),
      ),
    };
    const args = o.script ? ["--import", TSX, o.script] : [BUNDLE];
    const node = oneMachine && !o.script ? node24Binary() : process.execPath;
    const { code, log } = await new Promise<{ code: number; log: string }>((resolve, reject) => {
      const child = spawn(node, args, { cwd: checkout, env, stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString("utf8")));
      child.stderr.on("data", (d: Buffer) => (text += d.toString("utf8")));
      child.on("error", reject);
      child.on("close", (c) => resolve({ code: c ?? 1, log: text }));
    });
    gh.finishRun(run.id, code === 0 ? "success" : "failure");
    return {
      code,
      log,
      outputs: parseOutputs(readFileSync(output, "utf8")),
      summary: readFileSync(summary, "utf8"),
      runId: run.id,
      checkout,
    };
  }

  const w: World = {
    gh,
    origin,
    state,
    dev,
    config: () => readFileSync(configPath, "utf8"),
    async openPull(title, edit) {
      const g = simpleGit(dev);
      await g.fetch("origin");
      await g.raw(["checkout", "--quiet", "-B", "main", "origin/main"]);
      const branch = `pr-${jobs}-${title.replace(/\W+/g, "-").toLowerCase()}`;
      await g.raw(["checkout", "--quiet", "-b", branch]);
      writeFileSync(configPath, edit(readFileSync(configPath, "utf8")));
      await g.add("smimesync.yaml");
      await g.commit(title);
      const headSha = (await g.revparse(["HEAD"])).trim();
      await g.push("origin", branch);
      await g.raw(["checkout", "--quiet", "main"]);
      const pull = gh.openPull({ title, headSha, headRef: branch });
      return { number: pull.number, headSha };
    },
    async merge(number) {
      const pull = gh.pulls.get(number);
      if (!pull) throw new Error(`no pull #${number}`);
      const g = simpleGit(dev);
      await g.fetch("origin");
      await g.raw(["checkout", "--quiet", "-B", "main", "origin/main"]);
      await g.raw([
        "merge",
        "--quiet",
        "--no-ff",
        "-m",
        `Merge pull request #${number}`,
        `origin/${pull.headRef}`,
      ]);
      const sha = (await g.revparse(["HEAD"])).trim();
      await g.push("origin", "main");
      gh.mergePull(number, sha);
      return sha;
    },
    planJob(number, inputs = {}, env = {}) {
      const pull = gh.pulls.get(number);
      if (!pull) throw new Error(`no pull #${number}`);
      return job({
        workflow: "smimesync-plan.yml",
        event: "pull_request",
        payload: { number, pull_request: { number, head: { sha: pull.headSha, ref: pull.headRef } } },
        sha: pull.headSha,
        ref: `refs/pull/${number}/merge`,
        inputs: { mode: "plan", ...inputs },
        env,
      });
    },
    applyJob(sha, inputs = {}) {
      return job({
        workflow: "smimesync-apply.yml",
        event: "push",
        payload: { ref: "refs/heads/main", after: sha },
        sha,
        ref: "refs/heads/main",
        inputs: { mode: "apply", ...inputs },
      });
    },
    async reconcileJob(inputs = {}) {
      const head = (await simpleGit().raw(["--git-dir", origin, "rev-parse", "main"])).trim();
      return job({
        workflow: "smimesync-reconcile.yml",
        event: "schedule",
        payload: { schedule: "17 6 * * *" },
        sha: head,
        ref: "refs/heads/main",
        inputs: { mode: "reconcile", ...inputs },
      });
    },
    job,
    close: () => gh.close(),
  };
  return w;
}

/** GITHUB_OUTPUT as @actions/core writes it: `name<<DELIM\nvalue\nDELIM`. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1] as string] = m[3] as string;
  return out;
}
