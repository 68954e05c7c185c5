// Replace a file so that readers see the old or the new content, never a torn one: write a
// sibling temp file, fsync it, rename over the target (atomic on POSIX within a filesystem),
// then fsync the directory so the rename itself survives a crash. The file keeps its mode.
import { randomBytes } from "node:crypto";
import { open, rename, rm, stat } from "node:fs/promises";
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
  content: string,
  options: WriteAtomicOptions = {},
): Promise<WrittenFile> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
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
      await handle.writeFile(content, "utf8");
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
