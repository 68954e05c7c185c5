// Cold analysis over the cores: as the directory streams in, the values the certificate cache
// cannot answer yet are parsed and their chains searched in a pool of worker threads (piscina),
// and the facts they return (src/certs/facts.ts) seed the cache, so that reconcile judges from
// them as from the verdict cache. Below a threshold the pool's start-up costs more than it saves: nothing is done
// and reconcile analyses in-thread. A batch that fails is left to the in-thread path.
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { type CertCache, sha256Hex, type ValueFacts } from "../certs/index.js";
import { SmimesyncError } from "../errors.js";
import { type AttributeValues, CERT_ATTRIBUTES } from "../model/attributes.js";
import type { PolicyMaterial } from "../policy/index.js";
import type { ReconcileSettings } from "../reconcile/observed.js";

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
 * The cold analysis as the directory streams past (plan-run.ts): each page's values are handed to
 * `add` as soon as they are read, and reconcile awaits the page's promise before judging it, so
 * the workers analyse the pages ahead while the main thread reconciles the current one.
 *
 * The pool starts once more distinct values than the threshold wait for it; a page reconcile asks
 * for before that (a small directory) is left to the in-thread path. `close` destroys the pool,
 * whatever happened, and says what it did.
 */
export class StreamAnalysis {
  readonly #pending: { entries: [string, Uint8Array][]; settle: () => void }[] = [];
  #pendingValues = 0;
  readonly #queued = new Set<string>();
  #pool: Promise<PoolHandle | undefined> | undefined;
  #candidates = 0;
  #seeded = 0;
  #batches = 0;
  readonly #failures: string[] = [];
  readonly #running: Promise<void>[] = [];

  constructor(
    private readonly cache: CertCache,
    private readonly material: PolicyMaterial,
    private readonly settings: { readonly workers: number; readonly threshold: number },
    private readonly opts: AnalysisOptions = {},
  ) {}

  /**
   * The values reconcile is about to judge; resolves when those the cache cannot answer yet have
   * been analysed in a worker (their facts seed the cache) or left to the in-thread path. Never
   * rejects: a failed batch is noted at `close`.
   */
  add(values: Iterable<Uint8Array>): { readonly ready: () => Promise<void> } {
    // No workers: not even counted (hashing every value costs a tenth of a second per 20,000).
    if (this.settings.workers === 0) return READY;
    const entries: [string, Uint8Array][] = [];
    for (const v of values) {
      if (v.length === 0) continue;
      const sha = sha256Hex(v);
      if (this.#queued.has(sha) || this.cache.holds(sha)) continue;
      this.#queued.add(sha);
      entries.push([sha, v]);
    }
    this.#candidates += entries.length;
    if (entries.length === 0) return READY;
    let settle = () => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const waiting = { entries, settle };
    if (this.#pool !== undefined) this.#dispatch([waiting]);
    else {
      this.#pending.push(waiting);
      this.#pendingValues += entries.length;
      if (this.#pendingValues > this.settings.threshold) this.#start();
    }
    return {
      ready: () => {
        // Asked for before the pool was worth starting: these are left to reconcile's own thread.
        if (this.#pool === undefined) this.#release();
        return done;
      },
    };
  }

  /** Destroys the pool (waiting for what it runs) and reports what the analysis did. */
  async close(): Promise<AnalysisStats> {
    this.#release();
    await Promise.all(this.#running);
    const pool = await this.#pool;
    await pool?.destroy();
    const failures = this.#failures;
    if (failures.length > 0)
      this.opts.note?.(
        `note: ${failures.length} of ${this.#batches} analysis batches failed in a worker (${failures[0]}); their values are analysed in-thread`,
      );
    return {
      candidates: this.#candidates,
      workers: pool?.workers ?? 0,
      seeded: this.#seeded,
      leftInThread: this.#candidates - this.#seeded,
    };
  }

  #release(): void {
    for (const w of this.#pending.splice(0)) w.settle();
    this.#pendingValues = 0;
  }

  #start(): void {
    const file = this.opts.workerFile ?? defaultWorkerFile(this.opts.note);
    // No worker file (run from the sources): every batch settles at once, left in-thread.
    this.#pool =
      file === undefined
        ? Promise.resolve(undefined)
        : openPool(file, this.material, this.settings.workers, this.#failures);
    this.#dispatch(this.#pending.splice(0));
    this.#pendingValues = 0;
  }

  #dispatch(waiting: readonly { entries: [string, Uint8Array][]; settle: () => void }[]): void {
    const pool = this.#pool;
    if (pool === undefined) return;
    for (const w of waiting) {
      // A few batches per worker, so that one page keeps every worker busy.
      const perBatch = Math.max(
        1,
        Math.min(BATCH_VALUES, Math.ceil(w.entries.length / (this.settings.workers * 2))),
      );
      const batches = batch(w.entries, perBatch);
      this.#batches += batches.length;
      const run = Promise.all(batches.map((b) => this.#runBatch(pool, b))).then(w.settle);
      this.#running.push(run);
    }
  }

  async #runBatch(pool: Promise<PoolHandle | undefined>, { shas, task }: PendingBatch): Promise<void> {
    const handle = await pool;
    if (handle === undefined) return;
    let facts: (ValueFacts | null)[];
    try {
      const reply: unknown = await handle.run(task);
      facts = typeof reply === "string" ? (JSON.parse(reply) as (ValueFacts | null)[]) : [];
      if (!Array.isArray(facts) || facts.length !== shas.length) throw new Error("malformed reply");
    } catch (e) {
      this.#failures.push(e instanceof Error ? e.message : String(e));
      return;
    }
    shas.forEach((sha, i) => {
      const f = facts[i];
      if (f === null || f === undefined) return;
      this.cache.seed(sha, f);
      this.#seeded++;
    });
  }
}

const READY = { ready: () => Promise.resolve() };

interface PendingBatch {
  readonly shas: string[];
  readonly task: AnalysisBatch;
}

interface PoolHandle {
  readonly workers: number;
  run(task: AnalysisBatch): Promise<unknown>;
  destroy(): Promise<void>;
}

async function openPool(
  file: URL,
  material: PolicyMaterial,
  workers: number,
  failures: string[],
): Promise<PoolHandle> {
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
  return {
    workers,
    run: (task) =>
      destroyed === undefined
        ? pool.run(task, { transferList: [task.buffer] })
        : Promise.reject(new Error("the pool was stopped")),
    destroy,
  };
}

/** The certificate values of these objects, every attribute. */
export function* valuesOf(objects: Iterable<{ readonly values: AttributeValues }>): Generator<Uint8Array> {
  for (const o of objects) for (const a of CERT_ATTRIBUTES) yield* o.values[a];
}

/** The repository's certificate files: declared per recipient, and the partner contacts'. */
export function* repositoryValues(settings: ReconcileSettings): Generator<Uint8Array> {
  for (const list of settings.declared.values()) yield* list;
  for (const c of settings.contacts) yield* c.values;
}

/** The values in batches of at most `perBatch` values and (past the first value) BATCH_BYTES bytes. */
function batch(entries: readonly [string, Uint8Array][], perBatch: number): PendingBatch[] {
  const out: PendingBatch[] = [];
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
