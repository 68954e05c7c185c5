// Offline scale benchmark: `npm run bench:offline [-- SIZE...]` (default 1000 5000 20000 users).
// For each size it writes a synthetic hybrid organisation (LDIF directory, tenant snapshot, real
// certificates issued by a test CA, the config) and measures, on the offline backends:
//   read   reading both sides only (the baseline: what any tool must pay to look at the data)
//   plan   the whole `plan`: read, parse and judge every certificate, reconcile, assemble
//   render text and markdown (split for PR comments), and the plan file written and re-read
//   apply  `executeApply` of that plan on a copy of the files: the writes land in the LDIF
//          directory (the users are synced, so AD is their authority); and the same organisation
//          made cloud-only (no directory, `scope.cloudOnly`), planned and applied on the snapshot
// with the peak RSS during `plan`. Numbers are wall-clock on this machine; nothing here asserts.
import "../src/certs/runtime.js";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Chalk } from "chalk";
import { type LoadedConfig, loadConfig } from "../src/config/load.js";
import { executeApply } from "../src/engine/apply-run.js";
import { openBackends } from "../src/engine/backends.js";
import { computePlan } from "../src/engine/plan-run.js";
import { readObserved, readWhole } from "../src/engine/read.js";
import { directoryScope } from "../src/engine/settings.js";
import { loadPlan, savePlan } from "../src/plan/plan-file.js";
import { renderMarkdown, renderText, splitMarkdown } from "../src/plan/render/index.js";
import type { Plan } from "../src/plan/types.js";
import { parseSnapshot, serializeSnapshot } from "../src/tenant/snapshot/snapshot-format.js";
import { writeOrganisation } from "./organisation.js";

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SIZES = sizes.length > 0 ? sizes : [1000, 5000, 20000];
const NOW = new Date();

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t };
}

async function peakRss<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  try {
    const { value, ms } = await timed(f);
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, ms, peakMiB: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

/** executeApply of `plan` on `loaded`; returns the time and the objects written. */
async function applyTimed(loaded: LoadedConfig, plan: Plan): Promise<{ ms: number; applied: number }> {
  const { value, ms } = await timed(() => executeApply(loaded, plan, { env: {} }));
  if (value.stoppedBy !== undefined) throw value.stoppedBy;
  const notApplied = value.outcomes.filter((o) => o.outcome !== "applied");
  if (notApplied.length > 0) throw new Error(`apply: ${notApplied.length} changes not applied`);
  return { ms, applied: value.outcomes.length };
}

/**
 * The organisation in `dir` turned cloud-only in `to`: every recipient's authority becomes
 * Exchange Online, so applying its plan writes the tenant snapshot.
 */
async function cloudOnlyCopy(dir: string, to: string): Promise<LoadedConfig> {
  await cp(join(dir, "pki"), join(to, "pki"), { recursive: true });
  const file = join(dir, "tenant.json");
  const doc = parseSnapshot(await readFile(file, "utf8"), file);
  const cloud = {
    ...doc,
    users: doc.users.map((u) => ({ ...u, onPremisesSyncEnabled: null, onPremisesImmutableId: null })),
    recipients: doc.recipients.map((r) => ({ ...r, isDirSynced: false })),
  };
  await writeFile(join(to, "tenant.json"), serializeSnapshot(cloud));
  const config = (await readFile(join(dir, "smimesync.yaml"), "utf8"))
    .replace(/^directory:\n(?: {2}.*\n)+/m, "")
    .replace(/^scope:\n(?: {2}.*\n)+/m, "scope:\n  cloudOnly: true\n");
  await writeFile(join(to, "smimesync.yaml"), config);
  return loadConfig("smimesync.yaml", to);
}

const rows: string[] = [];
console.log(`smimesync bench: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}`);
for (const n of SIZES) {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-bench-"));
  try {
    const seconds = await writeOrganisation(dir, n, NOW);
    const loaded = await loadConfig("smimesync.yaml", dir);

    const read = await timed(async () => {
      const backends = await openBackends(loaded, { env: {} });
      try {
        return await readWhole(readObserved(backends.directory, directoryScope(loaded), backends.tenant));
      } finally {
        await backends.close();
      }
    });
    const plan = await peakRss(() => computePlan(loaded, { env: {}, now: NOW }));
    const p = plan.value.plan;
    const text = await timed(async () => renderText(p, new Chalk({ level: 0 })));
    const md = await timed(async () => splitMarkdown(renderMarkdown(p)));
    const file = join(dir, "plan.json");
    const save = await timed(() => savePlan(file, p));
    const load = await timed(() => loadPlan(file));

    // Apply on copies, so that every size starts from the same files.
    const ldifCopy = `${dir}-ldif`;
    await cp(dir, ldifCopy, { recursive: true });
    const cloudDir = `${dir}-cloud`;
    let ldifApply: { ms: number; applied: number };
    let snapshotApply: { ms: number; applied: number };
    try {
      ldifApply = await applyTimed(await loadConfig("smimesync.yaml", ldifCopy), p);
      await mkdir(cloudDir);
      const cloud = await cloudOnlyCopy(dir, cloudDir);
      const cloudPlan = await computePlan(cloud, { env: {}, now: NOW });
      snapshotApply = await applyTimed(cloud, cloudPlan.plan);
    } finally {
      await rm(ldifCopy, { recursive: true, force: true });
      await rm(cloudDir, { recursive: true, force: true });
    }
    const applyCell = (a: { ms: number; applied: number }) => `${(a.ms / 1000).toFixed(2)} s (${a.applied})`;
    const row = `| ${n.toLocaleString("en")} | ${p.summary.publish + p.summary.remove} | ${(read.ms / 1000).toFixed(2)} s | ${(plan.ms / 1000).toFixed(2)} s | ${((plan.ms / n) * 1000).toFixed(0)} µs | ${plan.peakMiB.toFixed(0)} MiB | ${(text.ms / 1000).toFixed(2)} s | ${(md.ms / 1000).toFixed(2)} s (${md.value.length} parts) | ${(save.ms / 1000).toFixed(2)} s / ${(load.ms / 1000).toFixed(2)} s | ${applyCell(ldifApply)} | ${applyCell(snapshotApply)} |`;
    rows.push(row);
    console.log(
      `${n} users: generated in ${seconds.toFixed(1)} s (${read.value.directory?.length} AD objects read)`,
    );
    console.log(row);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
console.log(
  "\n| users | changes | read (baseline) | plan | plan per user | peak RSS | text | markdown | plan file save / load | apply LDIF (changes) | apply snapshot, cloud-only (changes) |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
