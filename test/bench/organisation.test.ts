// The bench's converged organisation (`npm run bench -- N --converged`) must be what its name
// says: planned with the bench's own policy it changes nothing, while the first-run organisation
// of the same size publishes to nearly every user. Otherwise the steady-state figures in the
// README would measure a different workload than they claim.
import "../../src/certs/runtime.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { writeOrganisation } from "../../bench/organisation.js";
import { loadConfig } from "../../src/config/load.js";
import { computePlan } from "../../src/engine/plan-run.js";

const NOW = new Date("2026-12-01T00:00:00Z");
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function planOf(converged: boolean) {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-bench-org-"));
  dirs.push(dir);
  await writeOrganisation(dir, 60, NOW, { converged });
  const { plan } = await computePlan(await loadConfig("smimesync.yaml", dir), { env: {}, now: NOW });
  return plan;
}

it("the converged organisation plans no change; the first-run one publishes and prunes", async () => {
  const first = await planOf(false);
  const converged = await planOf(true);
  expect(first.summary.inScope).toBe(60);
  expect(converged.summary.inScope).toBe(60);
  expect(first.changes.filter((c) => c.action === "publish").length).toBeGreaterThan(50);
  expect(first.changes.filter((c) => c.action === "remove").length).toBeGreaterThan(0);
  expect(converged.changes).toEqual([]);
  // What the policy only reports (another address's certificate) stays reported.
  expect(converged.wouldRemove.length).toBe(first.wouldRemove.length);
});
