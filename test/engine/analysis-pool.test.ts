// The cold analysis in worker threads (src/engine/analysis-pool.ts) on the demo's organisation
// with hostile and odd values added: the plan, and the verdict cache it writes, are the same with
// the pool forced on (threshold 0) as in-thread; a worker that crashes or throws costs nothing but
// time. The worker runs from a bundle of its sources, as in dist-action/.
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { buildAnalysisWorker } from "../../scripts/build-action.js";
import { buildCertsOnlyPkcs7, buildOutlookBlob } from "../../src/certs/index.js";
import { loadConfig } from "../../src/config/load.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import type { AnalysisOptions } from "../../src/engine/analysis-pool.js";
import { computePlan } from "../../src/engine/plan-run.js";
import type { Plan } from "../../src/plan/types.js";
import { makeUser, pem, privateKeyPkcs8, testPki } from "../fixtures/pki.js";

const NOW = new Date("2026-03-01T10:00:00Z");
const ALICE = "alice.archer@corp.example.com";
let worker: URL;
let dir: string;

/** Values the demo lacks: wrong chain, garbage, PKCS#7 and Outlook blobs, PEM text, a private key. */
async function oddValues(): Promise<{ userCertificate: Uint8Array[]; userSMIMECertificate: Uint8Array[] }> {
  const pki = await testPki();
  const stranger = await makeUser(pki.otherRoot, { emails: [ALICE], slot: 7 });
  const viaUnknownCa = await makeUser(pki.intermediate, { emails: [ALICE], slot: 8 });
  return {
    userCertificate: [
      stranger.der,
      Uint8Array.from([0x30, 0x03, 0x02, 0x01]),
      new TextEncoder().encode("not a certificate at all"),
      new TextEncoder().encode(pem("CERTIFICATE", viaUnknownCa.der)),
      await privateKeyPkcs8(stranger.keys),
      Uint8Array.from([0x30, 0x82, 0xff, 0xff, 0x00]),
    ],
    userSMIMECertificate: [
      buildCertsOnlyPkcs7([viaUnknownCa.der, pki.intermediate.der]),
      buildOutlookBlob([
        { tag: 3, data: stranger.der },
        { tag: 4, data: pki.intermediate.der },
      ]),
    ],
  };
}

beforeAll(async () => {
  worker = await buildAnalysisWorker(await mkdtemp(join(tmpdir(), "smimesync-worker-")));
  dir = await mkdtemp(join(tmpdir(), "smimesync-pool-"));
  await writeDemo(dir, NOW);
  const odd = await oddValues();
  const file = join(dir, "directory.ldif");
  const lines = (await readFile(file, "utf8")).split("\n");
  const at = lines.findIndex((l) => l.startsWith("dn: CN=Alice Archer,"));
  const extra = (["userCertificate", "userSMIMECertificate"] as const).flatMap((a) =>
    odd[a].map((v) => `${a}:: ${Buffer.from(v).toString("base64")}`),
  );
  lines.splice(at + 1, 0, ...extra);
  await writeFile(file, lines.join("\n"));
}, 60_000);

async function plan(
  analysis: AnalysisOptions,
  cacheDir?: string,
  notes: string[] = [],
  paging?: { objects: number; ahead: number },
) {
  const loaded = await loadConfig("smimesync.yaml", dir);
  return computePlan(loaded, {
    env: {},
    now: NOW,
    ...(paging ? { paging } : {}),
    analysis: { ...analysis, note: (l) => notes.push(l) },
    ...(cacheDir ? { cache: { dir: cacheDir, note: (l: string) => notes.push(l) } } : {}),
  });
}

const content = (p: Plan): string => {
  const { createdAt: _c, ...rest } = p;
  return JSON.stringify(rest);
};

async function cacheText(cacheDir: string): Promise<string> {
  const names = (await readdir(cacheDir)).filter((n) => n.endsWith(".jsonl"));
  expect(names).toHaveLength(1);
  return readFile(join(cacheDir, names[0]!), "utf8");
}

describe("the analysis pool", () => {
  it("gives the plan and the cached facts the in-thread analysis gives", { timeout: 60_000 }, async () => {
    const inThread = await plan({ workers: 0 });
    const notes: string[] = [];
    const pooled = await plan({ workers: 2, threshold: 0, workerFile: worker }, undefined, notes);
    expect(notes).toEqual([]);
    expect(inThread.analysis.workers).toBe(0);
    expect(pooled.analysis.workers).toBe(2);
    // Everything but the PEM text value (its facts cannot point into its bytes) came from a worker.
    expect(pooled.analysis.seeded).toBe(pooled.analysis.candidates - 1);
    expect(pooled.analysis.leftInThread).toBe(1);
    expect(content(pooled.plan)).toBe(content(inThread.plan));
    expect(pooled.plan.id).toBe(inThread.plan.id);

    // The scenario holds what it claims: each kind of verdict is in the plan.
    const reasons = new Set([
      ...pooled.plan.changes.map((c) => c.reason),
      ...(pooled.plan.wouldRemove ?? []).map((c) => c.reason),
    ]);
    for (const r of ["expired", "revoked", "untrusted-issuer", "malformed", "private-key", "weak-signature"])
      expect([...reasons], r).toContain(r);

    // The verdict cache records the same facts, in the same order.
    const a = await mkdtemp(join(tmpdir(), "smimesync-pool-cache-"));
    const b = await mkdtemp(join(tmpdir(), "smimesync-pool-cache-"));
    const coldInThread = await plan({ workers: 0 }, a);
    const coldPooled = await plan({ workers: 2, threshold: 0, workerFile: worker }, b);
    expect(coldPooled.cache?.hits).toBe(0);
    expect(coldPooled.cache?.misses).toBe(coldInThread.cache?.misses);
    expect(await cacheText(b)).toBe(await cacheText(a));
    // Warm: the store answers all but the PEM value (no facts to keep); the pool is left values
    // reconcile never judges (mirror-only ones), read but not cached.
    const warm = await plan({ workers: 2, threshold: 0, workerFile: worker }, b);
    expect(warm.cache?.misses).toBe(1);
    expect(warm.analysis.candidates).toBeLessThan(5);
    expect(content(warm.plan)).toBe(content(inThread.plan));
  });

  it("streamed in small pages read ahead, pooled or not: the same plan and the same cached facts", {
    timeout: 60_000,
  }, async () => {
    const whole = await plan({ workers: 0 }, undefined, [], { objects: 100_000, ahead: 1 });
    const a = await mkdtemp(join(tmpdir(), "smimesync-pool-cache-"));
    const b = await mkdtemp(join(tmpdir(), "smimesync-pool-cache-"));
    const inThread = await plan({ workers: 0 }, a, [], { objects: 1, ahead: 1 });
    const notes: string[] = [];
    // Threshold 3: the first pages wait for the pool, which starts once enough values are queued.
    const pooled = await plan({ workers: 2, threshold: 3, workerFile: worker }, b, notes, {
      objects: 2,
      ahead: 3,
    });
    expect(notes).toEqual([]);
    expect(whole.plan.summary.inScope).toBeGreaterThan(6);
    expect(pooled.analysis.workers).toBe(2);
    expect(pooled.analysis.seeded).toBeGreaterThan(0);
    for (const p of [inThread, pooled]) {
      expect(content(p.plan)).toBe(content(whole.plan));
      expect(p.plan.id).toBe(whole.plan.id);
    }
    expect(await cacheText(b)).toBe(await cacheText(a));
  });

  it("below the threshold, or with no workers, analyses in-thread", async () => {
    const below = await plan({ workers: 2, threshold: 1_000_000, workerFile: worker });
    expect(below.analysis).toMatchObject({ workers: 0, seeded: 0 });
    expect(below.analysis.candidates).toBeGreaterThan(0);
  });

  it("a worker that crashes or throws: its values are analysed in-thread, the plan is the same", {
    timeout: 60_000,
  }, async () => {
    const inThread = await plan({ workers: 0 });
    const bad = await mkdtemp(join(tmpdir(), "smimesync-bad-worker-"));
    const variants: [string, string][] = [
      ["exits", "export default function () { process.exit(3); }\n"],
      ["throws", "export default function () { throw new Error('boom'); }\n"],
      ["fails to load", "throw new Error('no module');\n"],
      ["answers nonsense", "export default function () { return '[1'; }\n"],
    ];
    for (const [what, code] of variants) {
      const file = join(bad, `${what.replace(/\W/g, "-")}.mjs`);
      await writeFile(file, code);
      const notes: string[] = [];
      const r = await plan({ workers: 2, threshold: 0, workerFile: pathToFileURL(file) }, undefined, notes);
      expect(r.analysis.seeded, what).toBe(0);
      expect(notes, what).toHaveLength(1);
      expect(notes[0], what).toMatch(/analysis batches failed in a worker.*analysed in-thread/);
      expect(content(r.plan), what).toBe(content(inThread.plan));
    }
  });

  it("SMIMESYNC_WORKERS must be a count", async () => {
    const loaded = await loadConfig("smimesync.yaml", dir);
    await expect(computePlan(loaded, { env: { SMIMESYNC_WORKERS: "two" }, now: NOW })).rejects.toThrow(
      /SMIMESYNC_WORKERS=two: expected a whole number/,
    );
  });
});
