// Scale benchmark: `npm run bench [-- SIZE...]` (default 1000 5000 20000 users).
// For each size it writes a synthetic hybrid organisation (LDIF directory, tenant snapshot, real
// certificates issued by a test CA, the config) and measures, on the offline backends:
//   read   reading both sides only (the baseline: what any tool must pay to look at the data)
//   plan   the whole `plan`: read, parse and judge every certificate, reconcile, assemble
//   render text and markdown (split for PR comments), and the plan file written and re-read
// with the peak RSS during `plan`. Numbers are wall-clock on this machine; nothing here asserts.
import "../src/certs/runtime.js";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Chalk } from "chalk";
import { loadConfig } from "../src/config/load.js";
import { openBackends } from "../src/engine/backends.js";
import { computePlan } from "../src/engine/plan-run.js";
import { readObserved } from "../src/engine/read.js";
import { directoryScope } from "../src/engine/settings.js";
import { loadPlan, savePlan } from "../src/plan/plan-file.js";
import { renderMarkdown, renderText, splitMarkdown } from "../src/plan/render/index.js";
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
        return await readObserved(backends.directory, directoryScope(loaded), backends.tenant);
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
    const row = `| ${n.toLocaleString("en")} | ${p.summary.publish + p.summary.remove} | ${(read.ms / 1000).toFixed(2)} s | ${(plan.ms / 1000).toFixed(2)} s | ${((plan.ms / n) * 1000).toFixed(0)} µs | ${plan.peakMiB.toFixed(0)} MiB | ${(text.ms / 1000).toFixed(2)} s | ${(md.ms / 1000).toFixed(2)} s (${md.value.length} parts) | ${(save.ms / 1000).toFixed(2)} s / ${(load.ms / 1000).toFixed(2)} s |`;
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
  "\n| users | changes | read (baseline) | plan | plan per user | peak RSS | text | markdown | plan file save / load |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
