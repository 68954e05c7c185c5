import { SmimesyncError } from "../errors.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { readBoundedFile } from "../files/bounded-read.js";
import { version as toolVersion } from "../version.js";
import { canonicalSha256Hex } from "./canonical-json.js";
import { planConsistencyProblems } from "./consistency.js";
import { jsonErrorOffset, lineCol } from "./json-location.js";
import { planSchemaProblems } from "./schema.js";
import { PLAN_FORMAT_VERSION, type Plan, type PlanDocument, type PlanIntegrity } from "./types.js";

/** Plans hold public certificates only: readable by all, like a `terraform plan -out` file. */
export const PLAN_FILE_MODE = 0o644;

const MODIFIED = "the plan file was modified after it was written";

/** The integrity member for `plan` (whatever `integrity` it may already carry is ignored). */
export function planIntegrity(plan: Plan): PlanIntegrity {
  return { algorithm: "sha256", hash: canonicalSha256Hex(withoutIntegrity(plan)) };
}

/**
 * The plan file's text: pretty JSON (two spaces, trailing newline), integrity last. Throws a plain
 * Error (a bug, not the admin's problem) when the plan would not pass loadPlan.
 */
export function serializePlan(plan: Plan): string {
  return [...planFileChunks(plan)].join("");
}

/**
 * serializePlan's text in pieces of about 64 KiB, for writing: byte for byte what
 * `JSON.stringify(document, null, 2)` gives, without ever holding the whole plan as one string
 * (tens of MiB at 100,000 users). Checks the plan first, as serializePlan does.
 */
export function* planFileChunks(plan: Plan): Generator<string> {
  const content = withoutIntegrity(plan);
  const document: PlanDocument = { ...content, integrity: planIntegrity(content) };
  const problems = [...planSchemaProblems(document), ...planConsistencyProblems(content)];
  if (problems.length > 0) {
    throw new Error(`refusing to write an invalid plan:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  // The top level by hand, each member and each element of a list by JSON.stringify, re-indented.
  const members = Object.entries(document).filter(([, v]) => v !== undefined);
  let out = "{\n";
  for (const [i, [key, value]] of members.entries()) {
    out += `  ${JSON.stringify(key)}: `;
    if (Array.isArray(value) && value.length > 0) {
      out += "[\n";
      for (const [j, element] of value.entries()) {
        out += `    ${(JSON.stringify(element, null, 2) ?? "null").replaceAll("\n", "\n    ")}`;
        out += j < value.length - 1 ? ",\n" : "\n";
        if (out.length >= CHUNK) {
          yield out;
          out = "";
        }
      }
      out += "  ]";
    } else {
      out += JSON.stringify(value, null, 2).replaceAll("\n", "\n  ");
    }
    out += i < members.length - 1 ? ",\n" : "\n";
  }
  yield `${out}}\n`;
}

const CHUNK = 64 * 1024;

/**
 * Writes the plan file atomically: a temporary file in the same directory (so rename stays on one
 * file system), flushed, then renamed over `path`. A reader never sees half a plan.
 */
export async function savePlan(path: string, plan: Plan): Promise<void> {
  // Checked before the file is touched: an invalid plan throws here, as serializePlan does.
  const chunks = planFileChunks(plan);
  const first = chunks.next();
  const text = (function* () {
    if (!first.done) yield first.value;
    yield* chunks;
  })();
  try {
    await writeFileAtomic(path, text, { mode: PLAN_FILE_MODE });
  } catch (e) {
    throw new SmimesyncError(
      "FILE_UNWRITABLE",
      `cannot write the plan file ${path}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

/** Reads and verifies a plan file; see parsePlan for what is checked. */
export async function loadPlan(path: string): Promise<Plan> {
  let text: string;
  try {
    text = (await readBoundedFile(path, "plan", `the plan file ${path}`)).toString("utf8");
  } catch (e) {
    if (e instanceof SmimesyncError) throw e;
    throw new SmimesyncError(
      "FILE_UNREADABLE",
      `cannot read the plan file ${path}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return parsePlan(text, path);
}

/**
 * Verifies a plan file's text and returns the plan (without its integrity member). In order: JSON
 * syntax (located), format version, integrity hash, schema (every problem by JSON path), and
 * internal consistency (ids, summary, values against their hashes). Throws PLAN_INVALID.
 */
export function parsePlan(text: string, file: string): Plan {
  let data: unknown;
  const json = text.startsWith("\uFEFF") ? text.slice(1) : text; // an editor's byte-order mark
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new SmimesyncError(
      "PLAN_INVALID",
      `${file}${syntaxLocation(json)}: not valid JSON (${(e as Error).message})`,
      {
        hint: "A plan file is written by `smimesync plan --out plan.json`; make a new one.",
      },
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data) || !("formatVersion" in data)) {
    throw new SmimesyncError("PLAN_INVALID", `${file} is not a smimesync plan (no formatVersion)`, {
      hint: "A plan file is written by `smimesync plan --out plan.json`.",
    });
  }
  checkFormatVersion(data.formatVersion, file, data);

  const integrity = (data as { integrity?: unknown }).integrity;
  if (isIntegrityShaped(integrity)) {
    const actual = canonicalSha256Hex(withoutIntegrity(data as Record<string, unknown>));
    if (actual !== integrity.hash.toLowerCase()) {
      throw new SmimesyncError("PLAN_INVALID", `${file}: ${MODIFIED}`, {
        hint: "Plan files must not be edited. Run `smimesync plan --out plan.json` again and review the new plan.",
      });
    }
  }

  const schemaProblems = planSchemaProblems(data);
  if (schemaProblems.length > 0) throw invalid(file, "does not match the plan format", schemaProblems);
  const plan = withoutIntegrity(data as PlanDocument);
  const consistency = planConsistencyProblems(plan);
  if (consistency.length > 0) throw invalid(file, "is inconsistent", consistency);
  return plan;
}

function checkFormatVersion(v: unknown, file: string, data: object): void {
  if (v === PLAN_FORMAT_VERSION) return;
  const writer = (data as { tool?: { version?: unknown } }).tool?.version;
  const by = typeof writer === "string" ? ` (written by smimesync ${writer})` : "";
  const newer = typeof v === "number" && v > PLAN_FORMAT_VERSION;
  throw new SmimesyncError(
    "PLAN_INVALID",
    `${file} is in plan format version ${JSON.stringify(v)}${by}; smimesync ${toolVersion} reads version ${PLAN_FORMAT_VERSION}`,
    {
      hint: newer
        ? "Apply it with the smimesync version that wrote it, or upgrade smimesync."
        : "Run `smimesync plan --out plan.json` again with this version.",
    },
  );
}

function invalid(file: string, what: string, problems: readonly string[]): SmimesyncError {
  const n = problems.length;
  return new SmimesyncError(
    "PLAN_INVALID",
    `${file} ${what} (${n} problem${n === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    {
      hint: "Plan files are written by `smimesync plan --out plan.json` and must not be edited; make a new plan.",
    },
  );
}

function isIntegrityShaped(v: unknown): v is PlanIntegrity {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as { algorithm?: unknown }).algorithm === "sha256" &&
    typeof (v as { hash?: unknown }).hash === "string"
  );
}

function withoutIntegrity<T extends object>(plan: T): Omit<T, "integrity"> {
  const { integrity: _integrity, ...rest } = plan as T & { integrity?: unknown };
  return rest;
}

/** `:LINE:COL` of the first syntax error, or "" when it cannot be found. */
function syntaxLocation(text: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === undefined) return "";
  const { line, col } = lineCol(text, offset);
  return `:${line}:${col}`;
}
