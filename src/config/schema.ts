// JSON Schema validation of the config (schemas/config.schema.json is the single definition),
// with ajv errors turned into located, readable messages.
import type { ErrorObject } from "ajv/dist/2020.js";
import type { Diagnostic } from "../errors.js";
import validateFn from "../schemas/generated/config.js";
import type { ConfigPath, SourceMap } from "./source-map.js";

/** Validates in place (filling in defaults) and returns every problem, located. */
export function validateAgainstSchema(data: unknown, file: string, map: SourceMap): Diagnostic[] {
  if (validateFn(data)) return [];
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of validateFn.errors ?? []) {
    const d = toDiagnostic(e, file, map);
    if (!d) continue;
    const key = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function pointerToPath(pointer: string): ConfigPath {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(path: ConfigPath): string {
  return path.length === 0
    ? "the file"
    : path
        .map((p) => (typeof p === "number" ? `[${p}]` : p))
        .join(".")
        .replace(/\.\[/g, "[");
}

function toDiagnostic(e: ErrorObject, file: string, map: SourceMap): Diagnostic | undefined {
  const path = pointerToPath(e.instancePath);
  const at = (pos: { line: number; col: number }, message: string): Diagnostic => ({
    file,
    line: pos.line,
    col: pos.col,
    message,
    severity: "error",
  });
  const name = describe(path);
  switch (e.keyword) {
    case "if":
      return undefined; // the failing then/else branch reports the actual problem
    case "additionalProperties": {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as Record<string, unknown> | undefined) ?? {});
      const hint = closest(key, allowed);
      return at(
        map.keyAt([...path, key]),
        `unknown key "${key}" in ${name}${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${allowed.join(", ")}`,
      );
    }
    case "required":
      return at(
        path.length ? map.keyAt(path) : map.valueAt(path),
        `${name} is missing the required key "${String(e.params.missingProperty)}"`,
      );
    case "false schema":
      return at(
        map.keyAt(path),
        `${name} is not allowed here (it conflicts with the offline backend setting)`,
      );
    case "type":
      return at(map.valueAt(path), `${name} must be ${article(String(e.params.type))}`);
    case "enum":
      return at(
        map.valueAt(path),
        `${name} must be one of: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`,
      );
    case "const":
      return at(map.valueAt(path), `${name} must be ${JSON.stringify(e.params.allowedValue)}`);
    case "pattern":
      if (e.schemaPath.startsWith("#/$defs/secretRef/")) {
        return at(
          map.valueAt(path),
          `${name} holds a literal secret; secrets never go into this file. Write \${env:NAME} (or \${file:PATH}) and set the value in the environment, then remove the secret from git history`,
        );
      }
      if (e.schemaPath.startsWith("#/$defs/httpsUrl/")) {
        return at(
          map.valueAt(path),
          `${name} must be an https:// URL (TLS is verified; plain http is never used)`,
        );
      }
      return at(map.valueAt(path), `${name} must match ${String(e.params.pattern)}`);
    case "maximum":
    case "minimum": {
      const limit = String(e.params.limit);
      const extra =
        path[path.length - 1] === "maxPerUser"
          ? " (Exchange Online keeps at most 15 certificates per attribute)"
          : "";
      return at(
        map.valueAt(path),
        `${name} must be ${e.keyword === "maximum" ? "at most" : "at least"} ${limit}${extra}`,
      );
    }
    case "format":
      return at(map.valueAt(path), `${name} is not a valid ${String(e.params.format)}`);
    default:
      return at(map.valueAt(path), `${name} ${e.message ?? "is invalid"}`);
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** The allowed key nearest to a mistyped one, when it is close enough to be a typo. */
function closest(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const c of candidates) {
    const d = levenshtein(key.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
