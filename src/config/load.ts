// Loading smimesync.yaml: YAML with source positions -> JSON Schema (defaults filled in) ->
// semantic checks. Every problem is collected and reported at once, located as FILE:LINE:COL.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { type Diagnostic, DiagnosticsError, SmimesyncError } from "../errors.js";
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
    bytes = await readFile(absolute);
  } catch (e) {
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
  const lines = new LineCounter();
  const doc = parseDocument(bytes.toString("utf8"), {
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

  const data: unknown = doc.toJS({ maxAliasCount: 100 });
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
    hash: createHash("sha256").update(bytes).digest("hex"),
    warnings: sortDiagnostics(all),
    sourceMap: map,
  };
}

function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.line - b.line || a.col - b.col);
}
