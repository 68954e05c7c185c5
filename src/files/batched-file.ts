// A document kept in a file and written in batches: the offline backends (the LDIF directory, the
// tenant snapshot) hold the parsed file in memory, apply each write to it, and save the whole file
// now and then, so that applying N objects costs O(N) instead of one whole-file rewrite per object.
// (It serves the directory too; it lives beside atomic-write.ts, the helper it builds on.)
//
// Consistency, the part that must be exactly right:
// - Freshness. Before each write the file is `stat`ed; when its device, inode, size or mtime (ns)
//   differ from what this process last read or wrote, it is read and parsed again, so the write's
//   fingerprint check runs against the file's current content (as far as stat can tell: the
//   racy check below catches the rest before any save). Re-reading only then keeps a write O(1).
// - Writes reported `ok` before they are saved are never lost and never clobber someone else's
//   edit: a changed file is never overwritten. It is re-read, and every pending write is replayed
//   onto the fresh content when its object is still as the write found it (same fingerprint);
//   the merged file is then saved at once, before the current write goes on. A pending write
//   whose object the other edit changed or deleted cannot be replayed without undoing that edit:
//   the edit is kept, every other write is saved, and a PLAN_STALE error names those objects (the
//   run stops; a new plan picks them up). Its `ok` cannot be taken back: that is the price of
//   answering before saving, and it needs someone editing the same object during the seconds a
//   write waits in memory.
// - Saves replace the file atomically (temp file, fsync, rename) after a last check, just before
//   the rename, that the file is still the one this process last saw. When that check cannot
//   trust the mtime (the last read or write is within the filesystem's timestamp granularity of
//   it), the content is compared too, as git does for "racily clean" files.
// - Batches: a save happens when `objects` writes wait, or when the oldest of them is `ms` old,
//   and at close; but never sooner than `costFactor` times what the last save took after it. A
//   save costs O(file), so that floor keeps saving under 1/(1+costFactor) of the run, whatever
//   the file's size: the whole apply stays O(N). A killed apply loses at most the last batch
//   (seconds of work): the file holds a prefix of the writes, and a new plan lists what is left.
// - A failed save (disk full, permissions) leaves the previous file, refuses further writes
//   (FILE_UNWRITABLE, which stops the run), and is tried once more at close.
import { statSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { SmimesyncError } from "../errors.js";
import { removeAbandonedTemps, type WrittenFile, writeFileAtomic } from "./atomic-write.js";
import { openForReading, readHandleBounded } from "./bounded-read.js";

export interface DocumentCodec<D> {
  /** What the file is, for messages: "LDIF directory", "tenant snapshot". */
  readonly noun: string;
  /** Throws a SmimesyncError naming the file and the problem. */
  parse(text: string, path: string): D;
  render(doc: D): string;
}

/** One write made to the document in memory and not yet saved. */
export interface PendingWrite<D> {
  /** The object, for messages (a DN, `Mailbox <identity>`). */
  readonly label: string;
  /**
   * Applies the write again to a freshly read document, when its object is still as the write
   * found it; otherwise returns why it cannot be (the fresh document is then left as it is).
   */
  replay(fresh: D): string | undefined;
}

export interface FlushPolicy {
  readonly objects: number;
  readonly ms: number;
  readonly costFactor: number;
}

/**
 * 500 objects or 2 s bound what a kill loses to a few seconds of work on a small file; on a large
 * one (20,000 users: ~25 MB, a few hundred ms a save) the cost factor spaces the saves out, so
 * that they never take more than a tenth of the apply.
 */
export const DEFAULT_FLUSH: FlushPolicy = { objects: 500, ms: 2000, costFactor: 10 };

export interface BatchOptions {
  readonly flush?: Partial<FlushPolicy>;
  /**
   * Save after every write, before the write returns (the kill -9 loop's test hook, see
   * `testBatchOptions`): a kill then lands between real saves, not before the first one.
   */
  readonly saveEachWrite?: boolean;
  /** How the file is replaced; tests wrap it to count saves. */
  readonly writeFile?: typeof writeFileAtomic;
}

interface Stamp extends WrittenFile {
  /** The content read or written (kept, rather than a hash, so a racy check is one compare). */
  readonly text: string;
  /** Wall clock when the stamp was taken, ns. */
  readonly takenAtNs: bigint;
}

/** Coarser than any local filesystem's mtime resolution (FAT's 2 s; ext4 ticks are ms). */
const RACY_NS = 2_000_000_000n;

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;

class ChangedUnderneath extends Error {}

export class BatchedFile<D> {
  readonly path: string;
  readonly #codec: DocumentCodec<D>;
  readonly #policy: FlushPolicy;
  readonly #writeFile: typeof writeFileAtomic;
  readonly #saveEachWrite: boolean;
  #doc: D;
  #stamp: Stamp;
  #pending: PendingWrite<D>[] = [];
  /** performance.now() of the oldest pending write. */
  #oldestAt = 0;
  /** How long the last save took, and when it ended (performance.now()). */
  #lastSaveMs = 0;
  #lastSaveEnd = 0;
  #timer: NodeJS.Timeout | undefined;
  /** Writes, saves and re-reads one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Set when a save failed: its writes are not in the file, and no new write is accepted. */
  #broken: SmimesyncError | undefined;
  /** An error met by a save the timer started, for the next caller to see. */
  #unreported: SmimesyncError | undefined;

  private constructor(path: string, codec: DocumentCodec<D>, doc: D, stamp: Stamp, options: BatchOptions) {
    this.path = path;
    this.#codec = codec;
    this.#doc = doc;
    this.#stamp = stamp;
    this.#policy = { ...DEFAULT_FLUSH, ...options.flush };
    this.#writeFile = options.writeFile ?? writeFileAtomic;
    this.#saveEachWrite = options.saveEachWrite === true;
  }

  static async open<D>(
    path: string,
    codec: DocumentCodec<D>,
    options: BatchOptions = {},
  ): Promise<BatchedFile<D>> {
    await removeAbandonedTemps(path);
    const { text, stamp } = await readStamped(path, codec.noun);
    return new BatchedFile(path, codec, codec.parse(text, path), stamp, options);
  }

  /** The document as this process sees it: the file as last read, plus the pending writes. */
  get doc(): D {
    return this.#doc;
  }

  /**
   * Runs `task` alone, on a document that is the file's current content plus the pending writes.
   * The task validates before changing anything and records each change with `written`.
   */
  exclusive<T>(task: (doc: D) => T): Promise<T> {
    return this.#enqueue(async () => {
      this.#throwUnreported();
      if (this.#broken) throw this.#broken;
      if (this.#changedOnDisk()) {
        // Save the replayed writes now, so the other edit and ours are both on disk before
        // anything else is decided.
        await this.#save(await this.#reload());
      } else if (this.#due()) {
        await this.#save();
      }
      const result = task(this.#doc);
      if (this.#saveEachWrite && this.#pending.length > 0) await this.#save();
      this.#arm();
      return result;
    });
  }

  /** Records a change the running task made to the document. */
  written(write: PendingWrite<D>): void {
    if (this.#pending.length === 0) this.#oldestAt = performance.now();
    this.#pending.push(write);
  }

  /** Saves what is pending; throws what a save met that no caller has seen yet. */
  close(): Promise<void> {
    this.#disarm();
    return this.#enqueue(async () => {
      // One more attempt after a failed save: its cause (a full disk) may be gone, and a write
      // reported ok should reach the file whenever it still can.
      this.#broken = undefined;
      try {
        await this.#save();
      } finally {
        this.#disarm();
      }
      this.#throwUnreported();
    });
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #throwUnreported(): void {
    const e = this.#unreported;
    this.#unreported = undefined;
    if (e) throw e;
  }

  #due(): boolean {
    if (this.#pending.length === 0) return false;
    const now = performance.now();
    if (now - this.#lastSaveEnd < this.#policy.costFactor * this.#lastSaveMs) return false;
    return this.#pending.length >= this.#policy.objects || now - this.#oldestAt >= this.#policy.ms;
  }

  /** When #due() becomes true without another write. */
  #dueInMs(): number {
    const now = performance.now();
    return Math.max(
      0,
      this.#oldestAt + this.#policy.ms - now,
      this.#lastSaveEnd + this.#policy.costFactor * this.#lastSaveMs - now,
    );
  }

  #arm(): void {
    if (this.#pending.length === 0 || this.#timer !== undefined) return;
    const wait = this.#dueInMs();
    // unref: the timer bounds what a kill loses; it must not keep a finished process alive
    // (every caller closes the backend, which saves).
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#enqueue(() => this.#save()).catch((e: unknown) => {
        this.#unreported ??= asSmimesyncError(e, this.path);
      });
    }, wait).unref();
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #changedOnDisk(): boolean {
    let s: ReturnType<typeof statBig>;
    try {
      // Sync: one local stat per write takes microseconds, a threadpool round trip ten times that.
      s = statBig(this.path);
    } catch (e) {
      throw new SmimesyncError("FILE_UNREADABLE", `cannot read the ${this.#codec.noun} ${this.path}`, {
        cause: e,
      });
    }
    const t = this.#stamp;
    return s.dev !== t.dev || s.ino !== t.ino || s.size !== t.size || s.mtimeNs !== t.mtimeNs;
  }

  /** The last check before a save's rename: the file is still what this process last saw. */
  async #assertUnchanged(): Promise<void> {
    if (this.#changedOnDisk()) throw new ChangedUnderneath();
    if (this.#stamp.takenAtNs - this.#stamp.mtimeNs < RACY_NS) {
      // Same stat, but a change within the mtime's granularity would look the same.
      const { text } = await readStamped(this.path, this.#codec.noun);
      if (text !== this.#stamp.text) throw new ChangedUnderneath();
    }
  }

  /**
   * Reads the file again and replays the pending writes onto it; returns those that could not be
   * replayed (their objects changed), which are dropped. Never writes.
   */
  async #reload(): Promise<string[]> {
    let fresh: D;
    let stamp: Stamp;
    try {
      const read = await readStamped(this.path, this.#codec.noun);
      fresh = this.#codec.parse(read.text, this.path);
      stamp = read.stamp;
    } catch (e) {
      if (this.#pending.length === 0) throw e;
      // Our writes cannot be merged into a file we cannot read, and must not overwrite it.
      this.#broken = new SmimesyncError(
        "FILE_UNWRITABLE",
        `${this.path} was changed during the apply and cannot be read back (${e instanceof Error ? e.message : String(e)}): ${this.#pendingNote()} are not in it`,
        { cause: e, hint: "Repair the file, then run `smimesync plan` again: it plans what is left." },
      );
      throw this.#broken;
    }
    const conflicts: string[] = [];
    const kept: PendingWrite<D>[] = [];
    for (const write of this.#pending) {
      const why = write.replay(fresh);
      if (why === undefined) kept.push(write);
      else conflicts.push(`${write.label} (${why})`);
    }
    this.#doc = fresh;
    this.#stamp = stamp;
    this.#pending = kept;
    return conflicts;
  }

  /** Writes the pending writes to the file; `conflicts` are replays that already failed. */
  async #save(conflicts: string[] = []): Promise<void> {
    this.#disarm();
    const started = performance.now();
    // A change already visible is merged before rendering, rather than found at the rename.
    if (this.#pending.length > 0 && this.#changedOnDisk()) conflicts.push(...(await this.#reload()));
    for (let attempt = 1; this.#pending.length > 0; attempt++) {
      const text = this.#codec.render(this.#doc);
      let written: WrittenFile;
      try {
        written = await this.#writeFile(this.path, text, { beforeRename: () => this.#assertUnchanged() });
      } catch (e) {
        if (e instanceof ChangedUnderneath && attempt < 3) {
          conflicts.push(...(await this.#reload()));
          continue;
        }
        this.#broken = new SmimesyncError(
          "FILE_UNWRITABLE",
          e instanceof ChangedUnderneath
            ? `${this.path} keeps changing during the apply: ${this.#pendingNote()} are not in it`
            : `cannot save the ${this.#codec.noun} ${this.path} (${e instanceof Error ? e.message : String(e)}): ${this.#pendingNote()} are not in it; the file is as it was before them`,
          {
            cause: e,
            hint: "Fix the cause (space, permissions, another writer), then run `smimesync plan` again: it plans what is left.",
          },
        );
        throw this.#broken;
      }
      this.#stamp = { ...written, text, takenAtNs: nowNs() };
      this.#pending = [];
      this.#lastSaveEnd = performance.now();
      this.#lastSaveMs = this.#lastSaveEnd - started;
    }
    if (conflicts.length > 0) {
      throw new SmimesyncError(
        "PLAN_STALE",
        `${this.path} was changed by someone else during the apply, and the change touched ${conflicts.length} object(s) this apply had already written and reported applied: ${conflicts.join("; ")}. The file keeps that change instead of these writes; every other write is saved.`,
        { hint: "Run `smimesync plan` again: it plans what is left against the file as it is now." },
      );
    }
  }

  #pendingNote(): string {
    const n = this.#pending.length;
    return `${n} write${n === 1 ? "" : "s"} reported applied since the last save`;
  }
}

/**
 * Test hook of the kill -9 loop (test/chaos/kill-apply.test.ts), inert unless set: with
 * `SMIMESYNC_TEST_SAVE_EACH_WRITE=1`, or while `SMIMESYNC_TEST_KILL_AFTER_WRITES` is set, the
 * offline backends save after every write, so that a kill lands between real writes to the file
 * (with batching, a kill before the first save would lose nothing only because nothing was saved).
 */
export function testBatchOptions(env: NodeJS.ProcessEnv): BatchOptions {
  const on = env.SMIMESYNC_TEST_SAVE_EACH_WRITE === "1" || env.SMIMESYNC_TEST_KILL_AFTER_WRITES !== undefined;
  return on ? { saveEachWrite: true } : {};
}

const statBig = (path: string) => statSync(path, { bigint: true });

/** The file's text and a stamp that matches it (re-read when it changed while being read). */
async function readStamped(path: string, noun: string): Promise<{ text: string; stamp: Stamp }> {
  const unreadable = (cause: unknown, why = "") =>
    new SmimesyncError("FILE_UNREADABLE", `cannot read the ${noun} ${path}${why}`, { cause });
  for (let attempt = 1; attempt <= 5; attempt++) {
    let handle: FileHandle;
    try {
      handle = await openForReading(path);
    } catch (e) {
      throw unreadable(e);
    }
    try {
      const before = await handle.stat({ bigint: true });
      const text = (await readHandleBounded(handle, "backend", `the ${noun} ${path}`)).toString("utf8");
      const after = await handle.stat({ bigint: true });
      if (before.size === after.size && before.mtimeNs === after.mtimeNs) {
        const stamp: Stamp = {
          dev: after.dev,
          ino: after.ino,
          size: after.size,
          mtimeNs: after.mtimeNs,
          text,
          takenAtNs: nowNs(),
        };
        return { text, stamp };
      }
    } catch (e) {
      if (e instanceof SmimesyncError) throw e;
      throw unreadable(e);
    } finally {
      await handle.close();
    }
  }
  throw unreadable(undefined, ": it kept changing while being read");
}

function asSmimesyncError(e: unknown, path: string): SmimesyncError {
  return e instanceof SmimesyncError
    ? e
    : new SmimesyncError(
        "FILE_UNWRITABLE",
        `cannot save ${path}: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
        },
      );
}
