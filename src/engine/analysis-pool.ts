// Cold analysis over the cores: before reconcile, the values the certificate cache cannot answer
// yet are parsed and their chains searched in a pool of worker threads (piscina), and the facts
// they return (src/certs/facts.ts) seed the cache, so that reconcile judges from them as from the
// verdict cache. Below a threshold the pool's start-up costs more than it saves: nothing is done
// and reconcile analyses in-thread. A batch that fails is left to the in-thread path.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { type CertCache, sha256Hex, type ValueFacts } from "../certs/index.js";
import { SmimesyncError } from "../errors.js";
import { CERT_ATTRIBUTES } from "../model/attributes.js";
import type { PolicyMaterial } from "../policy/index.js";
import type { ObservedState, ReconcileSettings } from "../reconcile/observed.js";

/** One task: the values' bytes end to end in one transferred buffer, and where each ends. */
export interface AnalysisBatch {
  readonly buffer: ArrayBuffer;
  readonly ends: readonly number[];
}

export interface AnalysisOptions {
  /** Worker threads at most; 0 analyses in-thread. Default: $SMIMESYNC_WORKERS, else the cores. */
  readonly workers?: number;
  /** The pool starts only for more values than this. Default: $SMIMESYNC_WORKER_THRESHOLD, else 2,000. */
  readonly threshold?: number;
  /** The worker module; default: analysis-worker next to this module (none found: in-thread). */
  readonly workerFile?: URL;
  /** One line for stderr when a batch fails and its values are analysed in-thread. */
  readonly note?: (line: string) => void;
}

export interface AnalysisStats {
  /** Distinct values the cache could not answer before reconcile (0 with no workers: not counted). */
  readonly candidates: number;
  /** Worker threads used; 0 when the analysis stayed in-thread. */
  readonly workers: number;
  /** Values whose facts came back from a worker and seeded the cache. */
  readonly seeded: number;
  /** Values a worker could not answer (a failed batch, PEM, CRLs inside, an exception). */
  readonly leftInThread: number;
}

export const DEFAULT_WORKER_THRESHOLD = 2_000;
const BATCH_VALUES = 512;
const BATCH_BYTES = 1 << 20;

// The action's bundle defines this as its own worker file (scripts/build-action.ts); tsc's build
// finds the compiled worker next to this module.
declare const __SMIMESYNC_ANALYSIS_WORKER__: string | undefined;
const COMPILED_WORKER = "./analysis-worker.js";

function defaultWorkerFile(note: AnalysisOptions["note"]): URL | undefined {
  const bundled = typeof __SMIMESYNC_ANALYSIS_WORKER__ === "string";
  const url = new URL(bundled ? __SMIMESYNC_ANALYSIS_WORKER__ : COMPILED_WORKER, import.meta.url);
  if (existsSync(url)) return url;
  // Run from the TypeScript sources (tests, tsx) there is no worker file: in-thread, as expected.
  // A bundle without its worker beside it is a broken install: said, then in-thread.
  if (bundled) note?.(`note: ${url.pathname} is missing; certificates are analysed in one thread`);
  return undefined;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^\d+$/.test(raw.trim()))
    throw new SmimesyncError("USAGE", `${name}=${raw}: expected a whole number (0 or more)`);
  return Number(raw.trim());
}

/** The options as given, else from the environment, else the defaults. */
export function analysisSettings(
  opts: AnalysisOptions | undefined,
  env: NodeJS.ProcessEnv,
): { workers: number; threshold: number } {
  return {
    workers: opts?.workers ?? count(env, "SMIMESYNC_WORKERS", availableParallelism()),
    threshold: opts?.threshold ?? count(env, "SMIMESYNC_WORKER_THRESHOLD", DEFAULT_WORKER_THRESHOLD),
  };
}

/**
 * Analyses in worker threads the distinct values of `values` the cache does not hold yet, when
 * there are more than the threshold, and seeds the cache with their facts. The pool is destroyed
 * before this returns, whatever happened.
 */
export async function preAnalyse(
  values: Iterable<Uint8Array>,
  cache: CertCache,
  material: PolicyMaterial,
  settings: { workers: number; threshold: number },
  opts: AnalysisOptions = {},
): Promise<AnalysisStats> {
  // No workers: not even counted (hashing every value costs a tenth of a second per 20,000).
  if (settings.workers === 0) return { candidates: 0, workers: 0, seeded: 0, leftInThread: 0 };
  const todo = new Map<string, Uint8Array>();
  for (const v of values) {
    if (v.length === 0) continue;
    const sha = sha256Hex(v);
    if (!todo.has(sha) && !cache.holds(sha)) todo.set(sha, v);
  }
  const candidates = todo.size;
  const file =
    settings.workers > 0 && candidates > settings.threshold
      ? (opts.workerFile ?? defaultWorkerFile(opts.note))
      : undefined;
  if (file === undefined) return { candidates, workers: 0, seeded: 0, leftInThread: candidates };

  // A few batches per worker, so that one slow batch does not leave the others idle at the end.
  const perBatch = Math.max(1, Math.min(BATCH_VALUES, Math.ceil(candidates / (settings.workers * 4))));
  const batches = batch([...todo], perBatch);
  const workers = Math.min(settings.workers, batches.length);
  // Loaded only when a pool is needed: most runs (and every small one) never pay for it.
  const { Piscina } = await import("piscina");
  const pool = new Piscina({
    filename: file.href,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 1_000,
    workerData: {
      trustAnchors: material.trustAnchors.map((f) => f.bytes),
      intermediates: material.intermediates.map((f) => f.bytes),
    },
  });
  let seeded = 0;
  const failures: string[] = [];
  // A worker failing outside a task (its module does not load) is not replaced: the queued tasks
  // would wait for ever. Destroying the pool rejects them, and they are analysed in-thread.
  let destroyed: Promise<void> | undefined;
  const destroy = () => {
    destroyed ??= pool.destroy();
    return destroyed;
  };
  pool.on("error", (e: unknown) => {
    failures.push(e instanceof Error ? e.message : String(e));
    void destroy();
  });
  try {
    await Promise.all(
      batches.map(async ({ shas, task }) => {
        let facts: (ValueFacts | null)[];
        try {
          const reply: unknown = await pool.run(task, { transferList: [task.buffer] });
          facts = typeof reply === "string" ? (JSON.parse(reply) as (ValueFacts | null)[]) : [];
          if (!Array.isArray(facts) || facts.length !== shas.length) throw new Error("malformed reply");
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
          return;
        }
        shas.forEach((sha, i) => {
          const f = facts[i];
          if (f === null || f === undefined) return;
          cache.seed(sha, f);
          seeded++;
        });
      }),
    );
  } finally {
    await destroy();
  }
  if (failures.length > 0)
    opts.note?.(
      `note: ${failures.length} of ${batches.length} analysis batches failed in a worker (${failures[0]}); their values are analysed in-thread`,
    );
  return { candidates, workers, seeded, leftInThread: candidates - seeded };
}

/** Every certificate value reconcile may analyse: both sides' attributes and the repository's files. */
export function* observedValues(observed: ObservedState, settings: ReconcileSettings): Generator<Uint8Array> {
  const objects = [...(observed.directory ?? []), ...(observed.adContacts ?? []), ...observed.exchange];
  for (const o of objects) for (const a of CERT_ATTRIBUTES) yield* o.values[a];
  for (const list of settings.declared.values()) yield* list;
  for (const c of settings.contacts) yield* c.values;
}

/** The values in batches of at most `perBatch` values and (past the first value) BATCH_BYTES bytes. */
function batch(
  entries: readonly [string, Uint8Array][],
  perBatch: number,
): { shas: string[]; task: AnalysisBatch }[] {
  const out: { shas: string[]; task: AnalysisBatch }[] = [];
  for (let i = 0; i < entries.length; ) {
    let j = i;
    let bytes = 0;
    while (
      j < entries.length &&
      j - i < perBatch &&
      (j === i || bytes + entries[j]![1].length <= BATCH_BYTES)
    ) {
      bytes += entries[j]![1].length;
      j++;
    }
    const buf = new Uint8Array(bytes);
    const ends: number[] = [];
    const shas: string[] = [];
    let at = 0;
    for (const [sha, v] of entries.slice(i, j)) {
      buf.set(v, at);
      at += v.length;
      ends.push(at);
      shas.push(sha);
    }
    out.push({ shas, task: { buffer: buf.buffer, ends } });
    i = j;
  }
  return out;
}
