// Canonical JSON (RFC 8785, JCS, for the values a plan holds): object keys sorted by UTF-16 code
// units, no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them. The plan's
// integrity hash and its id are computed over this form, so any JCS library can verify them.
import { createHash } from "node:crypto";

/** A JSON value as JSON.parse returns it. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * Serialises `value` canonically. Object members whose value is `undefined` are left out, as
 * JSON.stringify does, so an in-memory plan with an absent optional field and the same plan read
 * back from its file hash alike. Anything JSON cannot represent exactly is refused.
 */
export function canonicalJson(value: unknown): string {
  const out = new Out(undefined);
  write(value, "$", out);
  return out.end();
}

/**
 * SHA-256 (hex) of canonicalJson(value), without building the whole text: a 20,000-user plan's
 * is tens of megabytes, built from as many nested strings, all garbage right after hashing.
 */
export function canonicalSha256Hex(value: unknown): string {
  const hash = createHash("sha256");
  const out = new Out((chunk) => hash.update(chunk, "utf8"));
  write(value, "$", out);
  hash.update(out.end(), "utf8");
  return hash.digest("hex");
}

/** The text in pieces; with a sink, handed on about every 64 KiB instead of kept. */
class Out {
  #parts: string[] = [];
  #size = 0;
  readonly #sink: ((chunk: string) => void) | undefined;

  constructor(sink: ((chunk: string) => void) | undefined) {
    this.#sink = sink;
  }

  push(s: string): void {
    this.#parts.push(s);
    this.#size += s.length;
    if (this.#sink !== undefined && this.#size >= 65_536) this.#sink(this.end());
  }

  /** What is held, joined; the pieces are dropped. */
  end(): string {
    const text = this.#parts.join("");
    this.#parts = [];
    this.#size = 0;
    return text;
  }
}

function write(value: unknown, path: string, out: Out): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      if (!Number.isFinite(value))
        throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot hold`);
      out.push(JSON.stringify(value));
      return;
    case "string":
      out.push(JSON.stringify(value));
      return;
    case "object": {
      if (Array.isArray(value)) {
        out.push("[");
        value.forEach((v, i) => {
          if (i > 0) out.push(",");
          if (v === undefined) out.push("null");
          else write(v, `${path}[${i}]`, out);
        });
        out.push("]");
        return;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonicalJson: ${path} is not a plain object`);
      }
      const record = value as Record<string, unknown>;
      out.push("{");
      let first = true;
      // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
      for (const key of Object.keys(record).sort()) {
        const v = record[key];
        if (v === undefined) continue;
        out.push(first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`);
        first = false;
        write(v, `${path}.${key}`, out);
      }
      out.push("}");
      return;
    }
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot hold`);
  }
}
