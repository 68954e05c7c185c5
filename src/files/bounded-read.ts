// Reading a file some other person may have chosen (a pull request's config and the files it
// names, a plan artifact, a secret file): regular files only, and never more than the limit of
// its kind. A FIFO, /dev/zero or a directory is refused before a byte is read; the size is checked
// with fstat on the open descriptor (no race with a rename), and the read stops at limit + 1 bytes
// so a file that grows meanwhile is caught too. O_NONBLOCK keeps open() of a FIFO from waiting
// for a writer forever.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { SmimesyncError } from "../errors.js";
import { FILE_LIMITS, type FileKind, formatBytes } from "../model/limits.js";

const KIND_NAMES: Readonly<Record<FileKind, string>> = {
  config: "a config file",
  certificate: "a certificate file",
  crl: "a CRL file",
  backend: "an LDIF or tenant snapshot file",
  plan: "a plan file",
  small: "a file of this kind",
};

const HINT = "The limits are listed in the README's Reliability section.";
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

function what(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** The refusal for a file that is not regular or is over its kind's limit, or undefined. */
function refusal(st: Stats, kind: FileKind, display: string): SmimesyncError | undefined {
  if (!st.isFile()) {
    return new SmimesyncError(
      "FILE_UNREADABLE",
      `${display} is ${what(st)}; smimesync reads only regular files`,
      { hint: "Point the setting at a regular file." },
    );
  }
  return st.size > FILE_LIMITS[kind] ? tooLarge(kind, display, `is ${formatBytes(st.size)}`) : undefined;
}

function tooLarge(kind: FileKind, display: string, size: string): SmimesyncError {
  return new SmimesyncError(
    "INPUT_LIMIT",
    `${display} ${size}, over the ${formatBytes(FILE_LIMITS[kind])} limit for ${KIND_NAMES[kind]} (FILE_LIMITS.${kind})`,
    { hint: HINT },
  );
}

/** A buffer for `size` bytes and one more, never over the limit + 1. */
function bufferFor(size: number, kind: FileKind): Buffer {
  return Buffer.allocUnsafe(Math.min(size, FILE_LIMITS[kind]) + 1);
}

/** Grows a full buffer, or throws when it already holds more than the limit. */
function grown(buf: Buffer, kind: FileKind, display: string): Buffer {
  const limit = FILE_LIMITS[kind];
  if (buf.length > limit) throw tooLarge(kind, display, "grew while being read");
  const next = Buffer.allocUnsafe(Math.min(limit + 1, buf.length * 2));
  buf.copy(next);
  return next;
}

/**
 * Reads an open file in full, after checking it is regular and within the limit. Throws
 * SmimesyncError (FILE_UNREADABLE, INPUT_LIMIT) for those; I/O errors pass through.
 */
export async function readHandleBounded(
  handle: FileHandle,
  kind: FileKind,
  display: string,
): Promise<Buffer> {
  const st = await handle.stat();
  const refused = refusal(st, kind, display);
  if (refused) throw refused;
  let buf = bufferFor(st.size, kind);
  let n = 0;
  for (;;) {
    if (n === buf.length) buf = grown(buf, kind, display);
    const { bytesRead } = await handle.read(buf, n, buf.length - n, null);
    if (bytesRead === 0) return buf.subarray(0, n);
    n += bytesRead;
  }
}

/** Opens for reading without blocking on a FIFO (the caller checks what it opened). */
export function openForReading(path: string): Promise<FileHandle> {
  return open(path, READ_FLAGS);
}

/**
 * The whole file, if it is a regular file within the limit of its `kind`; `display` names it in
 * messages. Errors from the file system (ENOENT, EACCES) pass through untouched for the caller
 * to word; limits and non-regular files throw a SmimesyncError naming the limit.
 */
export async function readBoundedFile(path: string, kind: FileKind, display: string = path): Promise<Buffer> {
  const handle = await openForReading(path);
  try {
    return await readHandleBounded(handle, kind, display);
  } finally {
    await handle.close();
  }
}

/** Checks, without reading it, that the file is regular and within the limit (validate's check). */
export async function checkBoundedFile(path: string, kind: FileKind, display: string = path): Promise<void> {
  const handle = await openForReading(path);
  try {
    const refused = refusal(await handle.stat(), kind, display);
    if (refused) throw refused;
  } finally {
    await handle.close();
  }
}

/** readBoundedFile for the few synchronous callers (secret references). */
export function readBoundedFileSync(path: string, kind: FileKind, display: string = path): Buffer {
  const fd = openSync(path, READ_FLAGS);
  try {
    const refused = refusal(fstatSync(fd), kind, display);
    if (refused) throw refused;
    let buf = bufferFor(fstatSync(fd).size, kind);
    let n = 0;
    for (;;) {
      if (n === buf.length) buf = grown(buf, kind, display);
      const read = readSync(fd, buf, n, buf.length - n, null);
      if (read === 0) return buf.subarray(0, n);
      n += read;
    }
  } finally {
    closeSync(fd);
  }
}
