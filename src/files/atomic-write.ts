// Replace a file so that readers see the old or the new content, never a torn one: write a
// sibling temp file, fsync it, rename over the target (atomic on POSIX within a filesystem),
// then fsync the directory so the rename itself survives a crash. The file keeps its mode.
import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface WriteAtomicOptions {
  /**
   * Called after the new content is durable and just before the rename; throwing abandons the
   * write (temp file removed, target untouched). Callers re-check here that nobody changed the
   * target meanwhile, which leaves the smallest possible window before the rename.
   */
  readonly beforeRename?: () => Promise<void>;
  /** The file's mode; default: the target's current mode, or 0644 for a new file. */
  readonly mode?: number;
}

/** What the written file looked like (fstat of the temp file: rename keeps inode, size, mtime). */
export interface WrittenFile {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
}

export async function writeFileAtomic(
  path: string,
  /** The text, or its chunks in order (a large file need not be one string, nor be ready yet). */
  content: string | Iterable<string> | AsyncIterable<string>,
  options: WriteAtomicOptions = {},
): Promise<WrittenFile> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`); // see tempPattern
  // Keep the target's permissions (an export may be 0640); a new file gets the usual 0644.
  const mode =
    options.mode ??
    (await stat(path).then(
      (s) => s.mode & 0o777,
      () => 0o644,
    ));
  let written: WrittenFile;
  try {
    const handle = await open(tmp, "wx", mode);
    try {
      await handle.chmod(mode); // open's mode is filtered by the umask
      if (typeof content === "string") await handle.writeFile(content, "utf8");
      else for await (const chunk of content) await handle.write(chunk, null, "utf8");
      await handle.sync();
      const s = await handle.stat({ bigint: true });
      written = { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs };
    } finally {
      await handle.close();
    }
    await options.beforeRename?.();
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dirHandle = await open(dir, "r").catch(() => undefined);
  if (dirHandle) {
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
  return written;
}

/** The temp files writeFileAtomic makes for `path`: `.<name>.<pid>.<8 hex>.tmp`. */
function tempPattern(path: string): RegExp {
  const name = basename(path).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\.${name}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
}

/**
 * Removes the temp files an interrupted write left beside `path` (a killed apply), so that they
 * do not pile up. A temp file of a process still running is left alone: it may be mid-write.
 * Returns the names removed.
 */
export async function removeAbandonedTemps(path: string): Promise<string[]> {
  const pattern = tempPattern(path);
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || isRunning(Number(m[1]))) continue;
    await rm(join(dirname(path), name), { force: true });
    removed.push(name);
  }
  return removed;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
