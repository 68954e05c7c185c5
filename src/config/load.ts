// Loading smimesync.yaml: YAML with source positions -> JSON Schema (defaults filled in) ->
// semantic checks. Every problem is collected and reported at once, located as FILE:LINE:COL.

import { isUtf8 } from "node:buffer";
import { dirname, relative, resolve } from "node:path";
import { isAlias, isCollection, Lexer, LineCounter, parseDocument, visit } from "yaml";
import { type Diagnostic, DiagnosticsError, SmimesyncError } from "../errors.js";
import { readBoundedFile } from "../files/bounded-read.js";
import { sha256Hex } from "../model/digest.js";
import { YAML_LIMITS } from "../model/limits.js";
import { validateAgainstSchema } from "./schema.js";
import { checkSemantics } from "./semantic.js";
import { SourceMap } from "./source-map.js";
import type { SmimesyncConfig } from "./types.generated.js";

export interface LoadedConfig {
  readonly config: SmimesyncConfig;
  /** Absolute path of the file. */
  readonly path: string;
  /** The path as the user named it (used in messages). */
  readonly displayPath: string;
  /** Relative paths in the config resolve against this directory. */
  readonly baseDir: string;
  /** SHA-256 (hex) of the file's bytes: a plan is bound to it. */
  readonly hash: string;
  /** Problems that do not stop the run. */
  readonly warnings: readonly Diagnostic[];
  /** Finds the line and column of a path in the config, for later located messages. */
  readonly sourceMap: SourceMap;
}

export { DEFAULT_CONFIG_FILE } from "./default-file.js";

export async function loadConfig(path: string, cwd: string = process.cwd()): Promise<LoadedConfig> {
  const absolute = resolve(cwd, path);
  const displayPath = relative(cwd, absolute).startsWith("..") ? absolute : relative(cwd, absolute) || path;
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(absolute, "config", displayPath);
  } catch (e) {
    if (e instanceof SmimesyncError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new SmimesyncError("CONFIG_NOT_FOUND", `config file ${displayPath} does not exist`, {
        hint: "Pass -c/--config PATH, or run `smimesync init` to write a starter config.",
      });
    }
    throw new SmimesyncError("FILE_UNREADABLE", `cannot read ${displayPath}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return parseConfig(bytes, absolute, displayPath);
}

/** Parses and checks config bytes; exported for tests and for `validate` on standard input. */
export async function parseConfig(
  bytes: Buffer,
  absolute: string,
  displayPath: string,
): Promise<LoadedConfig> {
  const text = decodeUtf8(bytes, displayPath);
  const tooMany = tokenLimitOffset(text);
  if (tooMany !== undefined) {
    const before = text.slice(0, tooMany);
    const line = before.split("\n").length;
    throw new DiagnosticsError("INPUT_LIMIT", [
      {
        file: displayPath,
        line,
        col: tooMany - before.lastIndexOf("\n"),
        message: `the config holds more than ${YAML_LIMITS.maxTokens.toLocaleString("en-US")} YAML tokens (YAML_LIMITS.maxTokens); a real config holds a few thousand`,
        severity: "error",
      },
    ]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const map = SourceMap.create(doc, lines);
  const at = (offset: number, message: string): Diagnostic => ({
    file: displayPath,
    ...map.offset(offset),
    message,
    severity: "error",
  });
  const syntax = doc.errors.map((e) => at(e.pos[0], `YAML: ${e.message.split("\n")[0]}`));
  if (syntax.length > 0) throw new DiagnosticsError("CONFIG_INVALID", syntax);
  // A key that is a list, a mapping or an alias (`? [a, b]: x`) means nothing in a config; yaml
  // would stringify it with only a process warning. Refused, located, before any conversion.
  const oddKeys: Diagnostic[] = [];
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key) || isAlias(pair.key))
        oddKeys.push(
          at(pair.key.range?.[0] ?? 0, "YAML: a key must be plain text, not a list, mapping or alias"),
        );
    },
  });
  if (oddKeys.length > 0) throw new DiagnosticsError("CONFIG_INVALID", oddKeys);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (e) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount (billion laughs).
    throw new DiagnosticsError("INPUT_LIMIT", [
      at(0, `YAML: ${(e as Error).message} (YAML_LIMITS.maxAliasCount is ${YAML_LIMITS.maxAliasCount})`),
    ]);
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new DiagnosticsError("CONFIG_INVALID", [
      at(0, "the config must be a mapping (key: value pairs), starting with `version: 1`"),
    ]);
  }
  const baseDir = dirname(absolute);
  const schemaProblems = validateAgainstSchema(data, displayPath, map);
  // Semantic checks assume the shape is right; run them on what the schema accepted so that one
  // run still reports problems of both kinds when they are in different sections.
  const semantic = await checkSemantics(data as SmimesyncConfig, {
    file: displayPath,
    baseDir,
    map,
    schemaProblems,
  });
  const all = [...schemaProblems, ...semantic];
  const errors = all.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new DiagnosticsError("CONFIG_INVALID", sortDiagnostics(all));
  return {
    config: data as SmimesyncConfig,
    path: absolute,
    displayPath,
    baseDir,
    hash: sha256Hex(bytes),
    warnings: sortDiagnostics(all),
    sourceMap: map,
  };
}

function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** The text, or a located error at the first byte that is not UTF-8 (never silent U+FFFD). */
function decodeUtf8(bytes: Buffer, file: string): string {
  if (isUtf8(bytes)) return bytes.toString("utf8");
  const offset = firstInvalidUtf8(bytes);
  const before = bytes.subarray(0, offset);
  const line = before.filter((b) => b === 0x0a).length + 1;
  const lineStart = before.lastIndexOf(0x0a) + 1;
  const col = before.subarray(lineStart).toString("utf8").length + 1;
  throw new DiagnosticsError("CONFIG_INVALID", [
    {
      file,
      line,
      col,
      message: `invalid UTF-8 (byte 0x${bytes[offset]!.toString(16).padStart(2, "0")} at offset ${offset}); save the file as UTF-8`,
      severity: "error",
    },
  ]);
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n =
      b < 0x80
        ? 0
        : b >= 0xc2 && b <= 0xdf
          ? 1
          : b >= 0xe0 && b <= 0xef
            ? 2
            : b >= 0xf0 && b <= 0xf4
              ? 3
              : -1;
    if (n < 0) return i;
    if (i + n >= bytes.length) return i; // truncated sequence
    // Second-byte ranges that exclude overlong forms, surrogates and code points over U+10FFFF.
    const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return i;
}

/** Where the document passes YAML_LIMITS.maxTokens tokens, or undefined; stops lexing there. */
function tokenLimitOffset(text: string): number | undefined {
  let count = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    // The lexer interleaves one-character control tokens (below U+0020) that are not in the source.
    if (token.length === 1 && token < " " && token !== "\n" && token !== "\t" && token !== "\r") continue;
    offset += token.length;
    if (token.trim() !== "" && ++count > YAML_LIMITS.maxTokens) return offset - token.length;
  }
  return undefined;
}
