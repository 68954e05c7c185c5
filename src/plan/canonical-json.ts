// Canonical JSON (RFC 8785, JCS, for the values a plan holds): object keys sorted by UTF-16 code
// units, no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them. The plan's
// integrity hash and its id are computed over this form, so any JCS library can verify them.

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
  return write(value, "$");
}

function write(value: unknown, path: string): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value))
        throw new TypeError(`canonicalJson: ${path} is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case "string":
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => (v === undefined ? "null" : write(v, `${path}[${i}]`))).join(",")}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`canonicalJson: ${path} is not a plain object`);
      }
      const record = value as Record<string, unknown>;
      const members: string[] = [];
      // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
      for (const key of Object.keys(record).sort()) {
        const v = record[key];
        if (v === undefined) continue;
        members.push(`${JSON.stringify(key)}:${write(v, `${path}.${key}`)}`);
      }
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot hold`);
  }
}
