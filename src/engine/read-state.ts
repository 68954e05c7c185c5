// The read state: what the last plan observed of both sides, with the cursors that let the next
// plan read only what changed since (AD uSNChanged per DC, Graph's deltaLink, Exchange's
// WhenChanged). One JSON-lines file per backends-and-scope key beside the verdict cache. Like the
// cache it is a convenience, never trusted blindly: a file that is not exactly what this version
// writes (truncated, corrupted, another key or format) is ignored with a note, and the plan reads
// both sides whole. Apply never uses it: it re-reads every object it writes.
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { LoadedConfig } from "../config/load.js";
import type { DirectoryCursor, DirectoryRecipient } from "../directory/types.js";
import { SmimesyncError } from "../errors.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import type { AttributeValues, CertAttribute } from "../model/attributes.js";
import { fromBase64, toBase64 } from "../model/base64.js";
import { sha256Hex as sha256 } from "../model/digest.js";
import { canonicalJson } from "../plan/canonical-json.js";
import type { CloudUser, ExchangeCursor, ExchangeRecipient, RecipientKind } from "../tenant/types.js";
import { version } from "../version.js";

/** Bumped whenever the records' shape or meaning changes; a file of another format is ignored. */
export const STATE_FORMAT = 2;
const MAGIC = "smimesync-read-state";
/** A record line longer than this is not one this version wrote (15 values of 32 KiB, base64). */
const MAX_LINE = 4 * 1024 * 1024;
/** State files kept in the directory (one per backends-and-scope key); the oldest go first. */
const MAX_FILES = 4;

export interface ReadCursors {
  /** The users' scope: absent when no directory holds users, or it has no change tracking. */
  readonly directory?: DirectoryCursor;
  /** The partner contacts' OU, the same way. */
  readonly contacts?: DirectoryCursor;
  /** Graph's /users/delta link for the next round. */
  readonly graph?: string;
  readonly exchange?: ExchangeCursor;
}

/**
 * The users' scope as the last plan read it, streamed again from the file when asked: at 100,000
 * users it is the largest part of the state, and an incremental plan streams it like a full read.
 */
export interface StateRecords {
  readonly count: number;
  /** Every record in the order written; throws (FILE_UNREADABLE) if the file changed since it was checked. */
  records(): AsyncIterable<DirectoryRecipient>;
}

/** Everything a plan read, as the next plan needs it to read only changes. */
export interface ReadState {
  readonly cursors: ReadCursors;
  /** null: no directory read for users (cloud-only, or no directory configured). */
  readonly directory: StateRecords | null;
  /** undefined: no contacts OU read. */
  readonly adContacts: readonly DirectoryRecipient[] | undefined;
  readonly cloudUsers: readonly CloudUser[];
  readonly exchange: readonly ExchangeRecipient[];
}

/**
 * What the state is valid for: the tool, the backends and what is read of them. A change to any
 * of these (another DC URL, scope, tenant or source anchor) makes another key: a full read.
 */
export function readStateKey(loaded: LoadedConfig): string {
  const c = loaded.config;
  return sha256(
    canonicalJson({
      state: STATE_FORMAT,
      tool: version,
      config: loaded.path,
      directory: c.directory ?? null,
      scope: c.scope ?? null,
      contactsOU: c.repository?.contactsOU ?? null,
      contacts: (c.repository?.contacts ?? []).some((p) => p.authority === "ad"),
      tenant: c.tenant,
    }),
  );
}

export function readStateFile(dir: string, key: string): string {
  return join(dir, `read-state-${key.slice(0, 32)}.jsonl`);
}

type Line =
  | readonly ["d", EncodedDirectory]
  | readonly ["c", EncodedDirectory]
  | readonly ["u", CloudUser]
  | readonly ["x", EncodedExchange];

interface Header {
  readonly format: typeof MAGIC;
  readonly version: number;
  readonly key: string;
}

/** Last: the cursors are known only once both sides are read, after the directory's records. */
interface Trailer {
  readonly end: true;
  readonly lines: number;
  /** SHA-256 of every line before this one, each with its newline. */
  readonly sha256: string;
  readonly cursors: ReadCursors;
  readonly hasDirectory: boolean;
  readonly hasContacts: boolean;
}

type EncodedValues = Readonly<Record<CertAttribute, readonly string[]>>;
type EncodedDirectory = Omit<DirectoryRecipient, "values"> & { readonly values: EncodedValues };
type EncodedExchange = Omit<ExchangeRecipient, "values"> & { readonly values: EncodedValues };

/** What saveReadState takes: the users' scope as a list. */
export type SavedState = Omit<ReadState, "directory"> & {
  readonly directory: readonly DirectoryRecipient[] | null;
};

/** How every record line of the users' scope begins as written: checked at load, decoded when streamed. */
const DIRECTORY_LINE = '["d",';

export type StateLoad =
  | { readonly ok: true; readonly state: ReadState }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the state for `key`; absent: `{ok:false, reason:"none"}`, anything untrusted: the reason.
 * The whole file is checked here (its lines, checksum and end line), but the users' scope's
 * records are only counted: they are decoded when `directory.records()` streams them.
 */
export async function loadReadState(dir: string, key: string): Promise<StateLoad> {
  const file = readStateFile(dir, key);
  let identity: Stats;
  try {
    identity = await stat(file);
  } catch {
    return { ok: false, reason: "none" };
  }
  const hash = createHash("sha256");
  let directory = 0;
  const contacts: DirectoryRecipient[] = [];
  const users: CloudUser[] = [];
  const exchange: ExchangeRecipient[] = [];
  let header: Header | undefined;
  let trailer: Trailer | undefined;
  let count = 0;
  try {
    for await (const text of fileLines(file, identity)) {
      if (trailer !== undefined) return { ok: false, reason: "content after its end line" };
      if (text.length > MAX_LINE)
        return { ok: false, reason: `line ${count + 1} is over ${MAX_LINE} characters` };
      // The users' scope's records are counted here and decoded when streamed (directoryRecords).
      const counted = header !== undefined && text.startsWith(DIRECTORY_LINE);
      const json: unknown = counted ? undefined : JSON.parse(text);
      if (counted) directory++;
      else if (header === undefined) {
        header = decodeHeader(json, key);
        if (header === undefined) return { ok: false, reason: "not a read state of this version and config" };
      } else if (isObject(json) && json.end === true) {
        trailer = decodeTrailer(json);
        if (trailer === undefined)
          return { ok: false, reason: "its end line is not one this version writes" };
        continue;
      } else {
        const line = decodeLine(json);
        // A users' scope record not written as this version writes it is refused like garbage.
        if (line === undefined || line.kind === "d")
          return { ok: false, reason: `line ${count + 1} is not a record` };
        switch (line.kind) {
          case "c":
            contacts.push(line.record);
            break;
          case "u":
            users.push(line.record);
            break;
          case "x":
            exchange.push(line.record);
            break;
        }
      }
      hash.update(text).update("\n");
      count++;
    }
  } catch (e) {
    return { ok: false, reason: e instanceof SyntaxError ? "a line is not JSON" : (e as Error).message };
  }
  if (header === undefined || trailer === undefined) return { ok: false, reason: "truncated" };
  const sha = hash.digest("hex");
  if (trailer.lines !== count || trailer.sha256 !== sha)
    return { ok: false, reason: "its checksum does not match" };
  const checked = { file, identity, lines: count, sha256: sha };
  return {
    ok: true,
    state: {
      cursors: trailer.cursors,
      directory: trailer.hasDirectory ? { count: directory, records: () => directoryRecords(checked) } : null,
      adContacts: trailer.hasContacts ? contacts : undefined,
      cloudUsers: users,
      exchange,
    },
  };
}

/** The record lines each users' scope record was decoded from: written again as they were. */
const linesRead = new WeakMap<DirectoryRecipient, string>();

/**
 * The users' scope's records of a file loadReadState checked, decoded one at a time. The file is
 * the same inode, size and mtime, and its checksum is taken again as it goes: a file replaced or
 * edited in between fails the plan rather than feed it records nobody checked.
 */
async function* directoryRecords(checked: {
  readonly file: string;
  readonly identity: Stats;
  readonly lines: number;
  readonly sha256: string;
}): AsyncGenerator<DirectoryRecipient> {
  const changed = (what: string) =>
    new SmimesyncError(
      "FILE_UNREADABLE",
      `read state ${checked.file} changed while the plan read it (${what})`,
      {
        hint: "Another plan or apply may have saved it meanwhile: run the plan again (--full-read reads both sides whole).",
      },
    );
  const hash = createHash("sha256");
  let n = 0;
  try {
    for await (const text of fileLines(checked.file, checked.identity)) {
      if (++n > checked.lines) break; // the end line
      hash.update(text).update("\n");
      if (!text.startsWith(DIRECTORY_LINE)) continue;
      const line = decodeLine(JSON.parse(text));
      if (line?.kind !== "d") throw changed(`line ${n} is not a record`);
      linesRead.set(line.record, text);
      yield line.record;
    }
  } catch (e) {
    throw e instanceof SmimesyncError ? e : changed((e as Error).message);
  }
  if (n <= checked.lines || hash.digest("hex") !== checked.sha256)
    throw changed("its checksum no longer matches");
}

/** The file's lines, from a handle that is checked to be the file `identity` describes. */
async function* fileLines(file: string, identity: Stats): AsyncGenerator<string> {
  const handle = await open(file, "r");
  try {
    const now = await handle.stat();
    if (now.ino !== identity.ino || now.size !== identity.size || now.mtimeMs !== identity.mtimeMs)
      throw new Error("it was replaced");
    yield* handle.readLines({ encoding: "utf8", autoClose: false });
  } finally {
    await handle.close();
  }
}

/** Writes the state atomically (a reader sees the old file or the new one); old keys are pruned. */
export async function saveReadState(dir: string, key: string, state: SavedState): Promise<void> {
  const writer = new ReadStateWriter(dir, key);
  for (const r of state.directory ?? []) writer.directory(r);
  await writer.finish({ ...state, hasDirectory: state.directory !== null });
}

/** What is written after the directory's records: the rest of the state, once both sides are read. */
export type StateRest = Omit<ReadState, "directory"> & { readonly hasDirectory: boolean };

/**
 * The state written as the directory streams (plan-run.ts): each record of the users' scope is
 * encoded and written as it is planned, so the whole directory is never held for the save. The
 * file appears, atomically, only at `finish`; `abort` (the plan failed) leaves the old one.
 */
export class ReadStateWriter {
  readonly #file: string;
  readonly #hash = createHash("sha256");
  #lines = 0;
  #buffer = "";
  readonly #queue: string[] = [];
  #wake: (() => void) | undefined;
  #end: { rest: StateRest } | { abort: true } | undefined;
  #failed = false;
  readonly #written: Promise<void>;

  constructor(
    private readonly dir: string,
    key: string,
  ) {
    this.#file = readStateFile(dir, key);
    this.#add({ format: MAGIC, version: STATE_FORMAT, key } satisfies Header);
    this.#written = this.#write();
    // Awaited by finish or abort; a failure meanwhile only stops the queue from growing.
    this.#written.catch(() => {
      this.#failed = true;
      this.#queue.length = 0;
    });
  }

  /** A record of the users' scope, in the order read. */
  directory(r: DirectoryRecipient): void {
    if (this.#failed || this.#end) return;
    // An unchanged record of the last state goes back as the line it was read from.
    this.#addLine(linesRead.get(r) ?? JSON.stringify(["d", encodeValuesOf(r)] satisfies Line));
    if (this.#buffer.length >= 1 << 20) this.#flush();
  }

  /** The rest of the state and the end line; the file then replaces the last plan's. */
  async finish(rest: StateRest): Promise<void> {
    this.#end = { rest };
    this.#kick();
    await this.#written;
    await pruneOld(this.dir, this.#file);
  }

  /** The plan failed: the temp file is removed, the last plan's state stays. */
  async abort(): Promise<void> {
    this.#end ??= { abort: true };
    this.#kick();
    await this.#written.catch(() => {});
  }

  #add(value: unknown): void {
    this.#addLine(JSON.stringify(value));
  }

  #addLine(json: string): void {
    const line = `${json}\n`;
    this.#hash.update(line);
    this.#lines++;
    this.#buffer += line;
  }

  #flush(): void {
    if (this.#buffer !== "") this.#queue.push(this.#buffer);
    this.#buffer = "";
    this.#kick();
  }

  #kick(): void {
    this.#wake?.();
    this.#wake = undefined;
  }

  async #write(): Promise<void> {
    // As private as the verdict cache: it mirrors the directory's addresses and certificates.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#file, this.#chunks(), { mode: 0o600 });
  }

  async *#chunks(): AsyncGenerator<string> {
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      const end = this.#end;
      if (end !== undefined) {
        if ("abort" in end) throw new Error("the plan failed: read state not saved");
        yield* this.#tail(end.rest);
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** The records after the directory's, then the end line with the checksum of all before it. */
  *#tail(rest: StateRest): Generator<string> {
    const flushAt = () => {
      if (this.#buffer.length < 1 << 20) return undefined;
      const out = this.#buffer;
      this.#buffer = "";
      return out;
    };
    for (const line of restLines(rest)) {
      this.#add(line);
      const out = flushAt();
      if (out !== undefined) yield out;
    }
    const trailer: Trailer = {
      end: true,
      lines: this.#lines,
      sha256: this.#hash.digest("hex"),
      cursors: rest.cursors,
      hasDirectory: rest.hasDirectory,
      hasContacts: rest.adContacts !== undefined,
    };
    const out = `${this.#buffer}${JSON.stringify(trailer)}\n`;
    this.#buffer = "";
    yield out;
  }
}

/** The records after the directory's, each encoded only as it is written. */
function* restLines(rest: StateRest): Generator<Line> {
  for (const r of rest.adContacts ?? []) yield ["c", encodeValuesOf(r)];
  for (const r of rest.cloudUsers) yield ["u", r];
  for (const r of rest.exchange) yield ["x", encodeValuesOf(r)];
}

async function pruneOld(dir: string, keep: string): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter(
    (n) => n.startsWith("read-state-") && n.endsWith(".jsonl"),
  );
  if (names.length <= MAX_FILES) return;
  const dated = await Promise.all(
    names.map(async (n) => ({
      path: join(dir, n),
      mtime: (await stat(join(dir, n)).catch(() => undefined))?.mtimeMs ?? 0,
    })),
  );
  dated.sort((a, b) => b.mtime - a.mtime);
  for (const old of dated.slice(MAX_FILES)) if (old.path !== keep) await rm(old.path, { force: true });
}

function encodeValuesOf<T extends { readonly values: AttributeValues }>(
  r: T,
): Omit<T, "values"> & { values: EncodedValues } {
  return {
    ...r,
    values: {
      userCertificate: r.values.userCertificate.map(toBase64),
      userSMIMECertificate: r.values.userSMIMECertificate.map(toBase64),
    },
  };
}

// Decoding: every field checked, so a hand-edited or foreign file is refused, never half-trusted.

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === "string";
const optString = (v: unknown): v is string | undefined => v === undefined || typeof v === "string";
const nullString = (v: unknown): v is string | null => v === null || typeof v === "string";
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function decodeHeader(v: unknown, key: string): Header | undefined {
  if (!isObject(v) || v.format !== MAGIC || v.version !== STATE_FORMAT || v.key !== key) return undefined;
  return { format: MAGIC, version: STATE_FORMAT, key };
}

function decodeTrailer(v: Json): Trailer | undefined {
  if (typeof v.lines !== "number" || !isString(v.sha256)) return undefined;
  if (typeof v.hasDirectory !== "boolean" || typeof v.hasContacts !== "boolean") return undefined;
  const c = v.cursors;
  if (!isObject(c)) return undefined;
  const cursors: { -readonly [K in keyof ReadCursors]: ReadCursors[K] } = {};
  for (const side of ["directory", "contacts"] as const) {
    const d = c[side];
    if (d === undefined) continue;
    if (
      !isObject(d) ||
      !isString(d.invocationId) ||
      !isString(d.usn) ||
      !/^\d+$/.test(d.usn) ||
      !isString(d.server)
    )
      return undefined;
    cursors[side] = { invocationId: d.invocationId, usn: d.usn, server: d.server };
  }
  if (c.graph !== undefined) {
    if (!isString(c.graph)) return undefined;
    cursors.graph = c.graph;
  }
  if (c.exchange !== undefined) {
    const x = c.exchange;
    if (!isObject(x) || !isString(x.since) || Number.isNaN(Date.parse(x.since))) return undefined;
    cursors.exchange = { since: x.since };
  }
  return {
    end: true,
    lines: v.lines,
    sha256: v.sha256,
    cursors,
    hasDirectory: v.hasDirectory,
    hasContacts: v.hasContacts,
  };
}

type Decoded =
  | { readonly kind: "d" | "c"; readonly record: DirectoryRecipient }
  | { readonly kind: "u"; readonly record: CloudUser }
  | { readonly kind: "x"; readonly record: ExchangeRecipient };

function decodeLine(v: unknown): Decoded | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [kind, r] = v as [unknown, unknown];
  if (kind === "d" || kind === "c") {
    const record = decodeDirectory(r);
    return record && { kind, record };
  }
  if (kind === "u") {
    const record = decodeUser(r);
    return record && { kind, record };
  }
  if (kind === "x") {
    const record = decodeExchange(r);
    return record && { kind, record };
  }
  return undefined;
}

function decodeValues(v: unknown): AttributeValues | undefined {
  if (!isObject(v)) return undefined;
  const { userCertificate, userSMIMECertificate } = v;
  if (!strings(userCertificate) || !strings(userSMIMECertificate)) return undefined;
  return {
    userCertificate: userCertificate.map(fromBase64),
    userSMIMECertificate: userSMIMECertificate.map(fromBase64),
  };
}

function decodeDirectory(r: unknown): DirectoryRecipient | undefined {
  if (!isObject(r) || (r.kind !== "user" && r.kind !== "contact")) return undefined;
  if (
    !isString(r.dn) ||
    !isString(r.objectGuid) ||
    !strings(r.proxyAddresses) ||
    typeof r.disabled !== "boolean"
  )
    return undefined;
  for (const f of ["sourceAnchor", "sAMAccountName", "userPrincipalName", "mail", "usnChanged"] as const)
    if (!optString(r[f])) return undefined;
  const values = decodeValues(r.values);
  if (values === undefined) return undefined;
  return {
    kind: r.kind,
    dn: r.dn,
    objectGuid: r.objectGuid,
    sourceAnchor: r.sourceAnchor as string | undefined,
    sAMAccountName: r.sAMAccountName as string | undefined,
    userPrincipalName: r.userPrincipalName as string | undefined,
    mail: r.mail as string | undefined,
    proxyAddresses: r.proxyAddresses,
    disabled: r.disabled,
    usnChanged: r.usnChanged as string | undefined,
    values,
  };
}

const KINDS: readonly RecipientKind[] = ["Mailbox", "MailUser", "MailContact"];

function decodeExchange(r: unknown): ExchangeRecipient | undefined {
  if (!isObject(r) || !KINDS.includes(r.kind as RecipientKind)) return undefined;
  if (!isString(r.identity) || !isString(r.primarySmtpAddress) || !strings(r.emailAddresses))
    return undefined;
  if (!optString(r.externalDirectoryObjectId) || typeof r.isDirSynced !== "boolean") return undefined;
  const values = decodeValues(r.values);
  if (values === undefined) return undefined;
  return {
    kind: r.kind as RecipientKind,
    identity: r.identity,
    externalDirectoryObjectId: r.externalDirectoryObjectId,
    primarySmtpAddress: r.primarySmtpAddress,
    emailAddresses: r.emailAddresses,
    isDirSynced: r.isDirSynced,
    values,
  };
}

function decodeUser(r: unknown): CloudUser | undefined {
  if (!isObject(r) || !isString(r.id) || !isString(r.userPrincipalName)) return undefined;
  if (!nullString(r.mail) || !strings(r.proxyAddresses) || typeof r.accountEnabled !== "boolean")
    return undefined;
  if (!nullString(r.onPremisesImmutableId) || !nullString(r.onPremisesDistinguishedName)) return undefined;
  if (!nullString(r.onPremisesLastSyncDateTime)) return undefined;
  if (!(r.onPremisesSyncEnabled === null || typeof r.onPremisesSyncEnabled === "boolean")) return undefined;
  if (!Array.isArray(r.onPremisesProvisioningErrors) || !r.onPremisesProvisioningErrors.every(isObject))
    return undefined;
  if (!Array.isArray(r.serviceProvisioningErrors) || !r.serviceProvisioningErrors.every(isObject))
    return undefined;
  for (const e of r.onPremisesProvisioningErrors)
    for (const f of ["category", "occurredDateTime", "propertyCausingError", "value"])
      if (!optString(e[f])) return undefined;
  for (const e of r.serviceProvisioningErrors) {
    if (typeof e.isResolved !== "boolean") return undefined;
    for (const f of ["createdDateTime", "serviceInstance", "errorDetail"])
      if (!optString(e[f])) return undefined;
  }
  return {
    id: r.id,
    userPrincipalName: r.userPrincipalName,
    mail: r.mail,
    proxyAddresses: r.proxyAddresses,
    accountEnabled: r.accountEnabled,
    onPremisesImmutableId: r.onPremisesImmutableId,
    onPremisesSyncEnabled: r.onPremisesSyncEnabled,
    onPremisesDistinguishedName: r.onPremisesDistinguishedName,
    onPremisesLastSyncDateTime: r.onPremisesLastSyncDateTime,
    onPremisesProvisioningErrors: r.onPremisesProvisioningErrors,
    serviceProvisioningErrors:
      r.serviceProvisioningErrors as unknown as CloudUser["serviceProvisioningErrors"],
  };
}
