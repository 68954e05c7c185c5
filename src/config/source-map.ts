// Maps a JSON-pointer-like path in the parsed config back to a line and column in the YAML
// source, so every problem can be reported as FILE:LINE:COL.
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";

export type ConfigPath = readonly (string | number)[];

export interface Position {
  readonly line: number;
  readonly col: number;
}

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  static create(doc: Document, lines: LineCounter): SourceMap {
    return new SourceMap(doc, lines);
  }

  offset(offset: number): Position {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** Position of the value at `path`, or of its nearest existing ancestor. */
  valueAt(path: ConfigPath): Position {
    return this.offset(this.nodeAt(path)?.range?.[0] ?? 0);
  }

  /** Position of the key of the entry at `path` (for "unknown key" and "not allowed here"). */
  keyAt(path: ConfigPath): Position {
    const parent = this.nodeAt(path.slice(0, -1));
    const last = path[path.length - 1];
    if (parent && isMap(parent)) {
      for (const item of parent.items) {
        if (isPair(item) && isScalar(item.key) && item.key.value === last && item.key.range) {
          return this.offset(item.key.range[0]);
        }
      }
    }
    return this.valueAt(path);
  }

  private nodeAt(path: ConfigPath): Node | undefined {
    let node: unknown = this.doc.contents;
    let found: Node | undefined = isScalar(node) || isMap(node) || isSeq(node) ? node : undefined;
    for (const key of path) {
      if (isMap(node)) node = node.get(key, true);
      else if (isSeq(node) && typeof key === "number") node = node.get(key, true);
      else break;
      if (isScalar(node) || isMap(node) || isSeq(node)) found = node;
      else break;
    }
    return found;
  }
}
