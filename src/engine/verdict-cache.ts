// The verdict cache: the facts of each value's analysis (src/certs/facts.ts), kept between runs in
// one file per policy fingerprint under the cache directory. It holds facts, never decisions:
// every check is judged again from them, at the run's `now`. A file that is not exactly what
// this version writes (corrupted, truncated, foreign) is ignored with a one-line note and rebuilt.
// Trust: whoever can write the cache directory can plant facts, as whoever can write the config
// can change the policy; the cache directory is as trusted as the config (see the README).
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  type CertCache,
  decodeValueFacts,
  type FactSource,
  type ParseResult,
  type PathFacts,
  pathFacts,
  type TrustStore,
  type ValueFacts,
  valueFacts,
} from "../certs/index.js";
import type { PolicyConfig } from "../config/types.generated.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { sha256Hex as sha256 } from "../model/digest.js";
import { CHAIN_LIMITS } from "../model/limits.js";
import { canonicalJson } from "../plan/canonical-json.js";
import type { PolicyMaterial } from "../policy/index.js";
import { version } from "../version.js";

/** Bumped whenever the facts' shape or meaning changes; a file of another format is ignored. */
export const CACHE_FORMAT = 1;
const MAGIC = "smimesync-verdict-cache";

export interface CacheLimits {
  /** Values kept per file; the least recently used go first. */
  readonly maxEntries: number;
  /** Bytes per file, the same way. */
  readonly maxBytes: number;
  /** Files (policy fingerprints) kept in the directory; the least recently written go first. */
  readonly maxFiles: number;
}

export const DEFAULT_CACHE_LIMITS: CacheLimits = {
  maxEntries: 500_000,
  maxBytes: 256 * 1024 * 1024,
  maxFiles: 4,
};

export interface VerdictCacheOptions {
  readonly dir: string;
  /** policyFingerprint() of the run's material. */
  readonly fingerprint: string;
  /** One line each, for stderr: a file ignored, a save that failed. */
  readonly note: (line: string) => void;
  readonly limits?: Partial<CacheLimits>;
}

export interface CacheStats {
  readonly file: string;
  /** Entries the file held when read (0 when absent or ignored). */
  readonly loaded: number;
  /** Values of this run rebuilt from facts, and values parsed. */
  readonly hits: number;
  readonly misses: number;
  /** Entries written at the end of the run; 0 when nothing changed and the file was kept. */
  readonly written: number;
}

interface Header {
  readonly format: typeof MAGIC;
  readonly version: number;
  readonly tool: string;
  readonly fingerprint: string;
  readonly entries: number;
  readonly bodySha256: string;
}

/**
 * Everything the recorded facts may depend on: the material by content and order, the
 * requirements, the chain limits, the cache format and the tool version (the parser).
 */
export function policyFingerprint(material: PolicyMaterial, policy: PolicyConfig): string {
  const files = (list: PolicyMaterial["trustAnchors"]) => list.map((f) => sha256(f.bytes));
  return sha256(
    canonicalJson({
      cache: CACHE_FORMAT,
      tool: version,
      limits: { ...CHAIN_LIMITS },
      trustAnchors: files(material.trustAnchors),
      intermediates: files(material.intermediates),
      crls: files(material.crls),
      requirements: policy.requirements ?? {},
    }),
  );
}

export function cacheFileName(fingerprint: string): string {
  return `verdicts-${fingerprint.slice(0, 32)}.jsonl`;
}

function* fileChunks(header: Header, lines: readonly string[]): Generator<string> {
  let chunk = `${JSON.stringify(header)}\n`;
  for (const l of lines) {
    chunk += `${l}\n`;
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk;
}

export class VerdictStore implements FactSource {
  readonly #file: string;
  readonly #opts: VerdictCacheOptions;
  readonly #limits: CacheLimits;
  /** Value SHA-256 -> the entry's JSON text, in file order (most recently used first). */
  readonly #entries: Map<string, string>;
  readonly #loaded: number;
  /** This run's entries (value SHA-256 -> JSON text), in the order first seen: see `record`. */
  readonly #run = new Map<string, string>();
  /** Whether this run recorded an entry the file does not hold as it is. */
  #changed = false;
  #badEntry = false;
  #written = 0;

  private constructor(opts: VerdictCacheOptions, entries: Map<string, string>) {
    this.#opts = opts;
    this.#file = join(opts.dir, cacheFileName(opts.fingerprint));
    this.#limits = { ...DEFAULT_CACHE_LIMITS, ...opts.limits };
    this.#entries = entries;
    this.#loaded = entries.size;
  }

  /** Reads the file for this fingerprint; absent, unreadable or not trusted: an empty store. */
  static async open(opts: VerdictCacheOptions): Promise<VerdictStore> {
    const file = join(opts.dir, cacheFileName(opts.fingerprint));
    const limits = { ...DEFAULT_CACHE_LIMITS, ...opts.limits };
    let text: string | undefined;
    try {
      const s = await stat(file);
      if (s.size > limits.maxBytes + 4096) {
        opts.note(`note: verdict cache ${file} ignored (${s.size} bytes, over the cap); it is rebuilt`);
      } else {
        text = await readFile(file, "utf8");
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR")
        opts.note(`note: verdict cache ${file} unreadable (${(e as Error).message}); analysing without it`);
    }
    const entries = new Map<string, string>();
    if (text !== undefined) {
      const problem = readEntries(text, opts.fingerprint, entries);
      if (problem !== undefined) {
        entries.clear();
        opts.note(`note: verdict cache ${file} ignored (${problem}); it is rebuilt`);
      }
    }
    return new VerdictStore(opts, entries);
  }

  get file(): string {
    return this.#file;
  }

  has(valueSha256: string): boolean {
    return this.#run.has(valueSha256) || this.#entries.has(valueSha256);
  }

  lookup(valueSha256: string): ValueFacts | undefined {
    const text = this.#run.get(valueSha256) ?? this.#entries.get(valueSha256);
    if (text === undefined) return undefined;
    let facts: ValueFacts | undefined;
    try {
      facts = decodeValueFacts(JSON.parse(text));
    } catch {
      facts = undefined;
    }
    if (facts === undefined) {
      // The checksum held, so this was written so or forged: never used, said once.
      this.#entries.delete(valueSha256);
      if (!this.#badEntry)
        this.#opts.note(`note: verdict cache ${this.#file}: an entry of unexpected shape was ignored`);
      this.#badEntry = true;
      return undefined;
    }
    return facts;
  }

  stats(cache: CertCache): CacheStats {
    const { values } = cache.size;
    return {
      file: this.#file,
      loaded: this.#loaded,
      hits: cache.fromFacts,
      misses: values - cache.fromFacts,
      written: this.#written,
    };
  }

  /**
   * Takes the facts of every value the cache has seen since the last call, as entries of this run,
   * and lets the cache and the trust store forget those values (CertCache.settle). plan-run calls
   * it after each page of the directory, so a large run does not hold every value to the end.
   */
  record(cache: CertCache, trust: TrustStore): void {
    const searchedNow = (sha: string) => trust.searched(sha);
    const leaves: string[] = [];
    cache.settle((seen) => {
      const old = this.#entries.get(seen.sha256);
      if (!this.#run.has(seen.sha256)) {
        if (old !== undefined && seen.recorded && !gainsPaths(seen.parse, cache, searchedNow)) {
          this.#run.set(seen.sha256, old);
        } else {
          const facts = valueFacts(seen.bytes, seen.parse, (c): PathFacts | null => {
            const r = trust.searched(c.sha256);
            return r ? pathFacts(r) : (cache.pathFacts(c.sha256) ?? null);
          });
          if (facts !== undefined) {
            this.#run.set(seen.sha256, JSON.stringify(facts));
            this.#changed = true;
          }
        }
      }
      if (seen.parse.ok) for (const c of seen.parse.certs) if (!c.isCA) leaves.push(c.sha256);
    });
    // After every value of the batch: a certificate in two values (DER and PKCS#7) keeps its path for both.
    for (const sha of leaves) trust.forget(sha);
  }

  /**
   * Writes this run's facts, most recently used first, then earlier entries while the caps allow.
   * Leaves the file as it is when it would not change. A failure is a note: the plan stands.
   */
  async save(cache: CertCache, trust: TrustStore): Promise<void> {
    try {
      this.record(cache, trust);
      const lines: string[] = [];
      let bytes = 0;
      let changed = this.#changed || this.#badEntry;
      const room = (line: string) =>
        lines.length < this.#limits.maxEntries && bytes + line.length + 1 <= this.#limits.maxBytes;
      const add = (sha: string, json: string): boolean => {
        const line = `${sha} ${json}`;
        if (!room(line)) {
          changed = true; // evicted: the oldest entries are the last in the file
          return false;
        }
        lines.push(line);
        bytes += line.length + 1;
        return true;
      };
      let full = false;
      for (const [sha, json] of this.#run) {
        if (!add(sha, json)) {
          full = true;
          break;
        }
      }
      if (!full) for (const [sha, json] of this.#entries) if (!this.#run.has(sha) && !add(sha, json)) break;
      if (!changed && lines.length === this.#entries.size) return;
      // Hashed line by line and written in chunks: never one string of the whole file.
      const hash = createHash("sha256");
      for (const l of lines) hash.update(l).update("\n");
      const header: Header = {
        format: MAGIC,
        version: CACHE_FORMAT,
        tool: version,
        fingerprint: this.#opts.fingerprint,
        entries: lines.length,
        bodySha256: hash.digest("hex"),
      };
      await mkdir(this.#opts.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.#file, fileChunks(header, lines), { mode: 0o600 });
      this.#written = lines.length;
      await this.#evictFiles();
    } catch (e) {
      this.#opts.note(`note: verdict cache not saved to ${this.#file}: ${(e as Error).message}`);
    }
  }

  /** Keeps the most recently written files of the directory; the others belong to old policies. */
  async #evictFiles(): Promise<void> {
    const names = (await readdir(this.#opts.dir)).filter((n) => /^verdicts-[0-9a-f]{32}\.jsonl$/.test(n));
    const dated = await Promise.all(
      names.map(async (n) => ({
        n,
        t: (await stat(join(this.#opts.dir, n)).catch(() => undefined))?.mtimeMs,
      })),
    );
    const old = dated
      .filter((d) => d.t !== undefined && join(this.#opts.dir, d.n) !== this.#file)
      .sort((a, b) => (b.t ?? 0) - (a.t ?? 0))
      .slice(Math.max(0, this.#limits.maxFiles - 1));
    for (const d of old) await rm(join(this.#opts.dir, d.n), { force: true });
  }
}

/** Whether this run searched a chain for a certificate whose recorded facts had none. */
function gainsPaths(parse: ParseResult, cache: CertCache, searchedNow: (sha: string) => unknown): boolean {
  if (!parse.ok) return false;
  return parse.certs.some(
    (c) => cache.pathFacts(c.sha256) === undefined && searchedNow(c.sha256) !== undefined,
  );
}

/** Fills `into` from the file's text; returns why the file is not trusted, or undefined. */
function readEntries(text: string, fingerprint: string, into: Map<string, string>): string | undefined {
  const nl = text.indexOf("\n");
  if (nl < 0) return "no header line: truncated or not a cache file";
  let header: unknown;
  try {
    header = JSON.parse(text.slice(0, nl));
  } catch {
    return "header is not JSON: not a cache file";
  }
  if (typeof header !== "object" || header === null) return "not a cache file";
  const h = header as Partial<Header>;
  if (h.format !== MAGIC) return "not a smimesync verdict cache";
  if (h.version !== CACHE_FORMAT || h.tool !== version)
    return `written by smimesync ${String(h.tool)} in format ${String(h.version)}; this is ${version}, format ${CACHE_FORMAT}`;
  if (h.fingerprint !== fingerprint) return "recorded under other policy material";
  const body = text.slice(nl + 1);
  if (sha256(body) !== h.bodySha256) return "checksum mismatch: corrupted or truncated";
  const lines = body.length === 0 ? [] : body.slice(0, -1).split("\n");
  if (lines.length !== h.entries) return "entry count mismatch";
  for (const line of lines) {
    const sha = line.slice(0, 64);
    if (line[64] !== " " || !/^[0-9a-f]{64}$/.test(sha)) return "malformed entry line";
    into.set(sha, line.slice(65));
  }
  return undefined;
}
