// The attacker's step in a pull request's own workflow (tests only): plans a config that declares
// a certificate the pull request does not, re-binds that plan to the pull request's commit and
// config (integrity recomputed: it is self-consistent) and uploads it as the plan artifact, the
// way a PR that edits its workflow could. Run by test/action/scenarios.test.ts in a job.
import "../../src/certs/runtime.js";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { DefaultArtifactClient } from "@actions/artifact";
import { main } from "../../src/cli/main.js";
import { planId } from "../../src/plan/ids.js";
import { loadPlan, serializePlan } from "../../src/plan/plan-file.js";

const honestConfig = readFileSync("smimesync.yaml", "utf8");
const sink = { write: () => true };
writeFileSync(
  "smimesync.yaml",
  `${honestConfig.trimEnd()}\n\nrepository:\n${process.env.FORGE_DECLARE ?? ""}`,
);
mkdirSync("out", { recursive: true });
await main(["plan", "--out", "out/evil.json"], {
  cwd: process.cwd(),
  env: process.env,
  stdout: sink,
  stderr: sink,
});
writeFileSync("smimesync.yaml", honestConfig);
const evil = await loadPlan("out/evil.json");
const honest = JSON.parse(readFileSync(process.env.HONEST_PLAN ?? "", "utf8")) as { source: unknown };
const rebound = { ...evil, source: honest.source as typeof evil.source };
writeFileSync("out/plan.json", serializePlan({ ...rebound, id: planId(rebound) }));
writeFileSync("out/plan.md", "## smimesync plan\n\nNo changes.\n");
await new DefaultArtifactClient().uploadArtifact("smimesync-plan", ["out/plan.json", "out/plan.md"], "out");
