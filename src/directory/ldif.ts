// LDIF content records (RFC 2849) as `ldapsearch -LLL` and `ldifde -f` write them: `attr: text`,
// `attr:: base64`, lines folded with a leading space, `#` comments, `version: 1`, ldifde's
// `changetype: add`, and ldapsearch's `search:` / `result:` trailer without -LLL. Each record
// remembers the physical lines it came from so that a rewrite replaces only the records it
// changed and keeps everything else of the file byte for byte.
import { SmimesyncError } from "../errors.js";
import { normalizeDn } from "./dn.js";

export interface LdifAttribute {
  /** As written in the file, options included (e.g. `userCertificate;binary`). */
  readonly name: string;
  values: Uint8Array[];
}

export interface LdifRecord {
  dn: string;
  /** Keyed by lower-cased name without options; insertion order = file order. */
  readonly attributes: Map<string, LdifAttribute>;
  /** Physical lines [first, end) of the record, from its dn line. */
  readonly firstLine: number;
  readonly endLine: number;
}

export interface LdifDocument {
  readonly lines: readonly string[];
  readonly eol: "\n" | "\r\n";
  readonly records: LdifRecord[];
}

interface Logical {
  readonly text: string;
  readonly first: number;
  readonly end: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

export function attributeKey(name: string): string {
  return (name.split(";")[0] as string).toLowerCase();
}

export function parseLdif(text: string, file: string): LdifDocument {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const fail = (line: number, message: string): never => {
    throw new SmimesyncError("LDIF_INVALID", `${file}:${line + 1}: ${message}`, {
      hint: "Export with `ldapsearch -LLL -o ldif-wrap=no ...` or `ldifde -f FILE`.",
    });
  };

  // Unfold into logical lines; a blank line (or the end) closes a block.
  const blocks: Logical[][] = [];
  let block: Logical[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") {
      if (block.length > 0) blocks.push(block);
      block = [];
      continue;
    }
    if (line.startsWith(" ")) {
      const prev = block.pop();
      if (prev === undefined) fail(i, "a continuation line (leading space) follows no line");
      else block.push({ text: prev.text + line.slice(1), first: prev.first, end: i + 1 });
      continue;
    }
    block.push({ text: line, first: i, end: i + 1 });
  }
  if (block.length > 0) blocks.push(block);

  const records: LdifRecord[] = [];
  // An object exported twice would be read (and published to) twice: refuse it, located.
  const seen = new Map<string, number>();
  const once = (id: string, what: string, line: number) => {
    const first = seen.get(id);
    if (first !== undefined)
      fail(
        line,
        `${what} appears in two records (the first at line ${first + 1}); an export holds each object once`,
      );
    seen.set(id, line);
  };
  let versionSeen = false;
  for (const b of blocks) {
    const content = b.filter((l) => !l.text.startsWith("#"));
    if (!versionSeen && records.length === 0 && /^version:\s*/i.test(content[0]?.text ?? "")) {
      versionSeen = true;
      if (!/^version:\s*1\s*$/i.test(content[0]?.text ?? ""))
        fail(content[0]?.first ?? 0, "only LDIF version 1 exists");
      content.shift();
    }
    if (content.length === 0) continue;
    const head = content[0] as Logical;
    if (/^(search|result):/i.test(head.text)) continue; // ldapsearch's trailer without -LLL
    const dnLine = parseLine(head, fail);
    if (dnLine.key !== "dn") fail(head.first, `a record must start with "dn:", not "${dnLine.name}:"`);
    const dn = decodeText(dnLine.value, head.first, fail);
    const attributes = new Map<string, LdifAttribute>();
    for (const l of content.slice(1)) {
      const { name, key, value } = parseLine(l, fail);
      if (key === "changetype") {
        const kind = decodeText(value, l.first, fail).trim().toLowerCase();
        if (kind !== "add") fail(l.first, `"changetype: ${kind}": a change record is not a directory export`);
        continue;
      }
      if (key === "-") fail(l.first, "a change record is not a directory export");
      const existing = attributes.get(key);
      if (existing) existing.values.push(value);
      else attributes.set(key, { name, values: [value] });
    }
    once(`dn:${normalizeDn(dn) ?? dn.toLowerCase()}`, `the object ${dn}`, head.first);
    for (const guid of attributes.get(attributeKey("objectGUID"))?.values ?? [])
      once(
        `guid:${Buffer.from(guid).toString("hex")}`,
        `objectGUID ${Buffer.from(guid).toString("base64")}`,
        head.first,
      );
    records.push({
      dn,
      attributes,
      firstLine: head.first,
      endLine: (content[content.length - 1] as Logical).end,
    });
  }
  return { lines, eol, records };
}

function parseLine(
  l: Logical,
  fail: (line: number, message: string) => never,
): { name: string; key: string; value: Uint8Array } {
  const m = /^([A-Za-z0-9][A-Za-z0-9;.=-]*|-)(?::(:|<)?[ ]*(.*))?$/.exec(l.text);
  if (!m) return fail(l.first, `expected "attribute: value", got "${l.text.slice(0, 40)}"`);
  const name = m[1] as string;
  if (name === "-") return { name, key: "-", value: new Uint8Array() };
  if (m[3] === undefined) return fail(l.first, `"${name}" has no ":"`);
  const kind = m[2];
  const raw = m[3];
  if (kind === "<") return fail(l.first, `"${name}:<" (a value from a URL) is not supported in an export`);
  if (kind === ":") {
    const compact = raw.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
      return fail(l.first, `the base64 value of "${name}" is malformed`);
    }
    return { name, key: attributeKey(name), value: new Uint8Array(Buffer.from(compact, "base64")) };
  }
  return { name, key: attributeKey(name), value: encoder.encode(raw) };
}

function decodeText(value: Uint8Array, line: number, fail: (line: number, message: string) => never): string {
  try {
    return utf8.decode(value);
  } catch {
    return fail(line, "the DN is not valid UTF-8");
  }
}

/** RFC 2849 SAFE-STRING: otherwise the value is written base64. */
function isSafe(value: Uint8Array): boolean {
  if (value.length === 0) return true;
  const first = value[0] as number;
  if (first === 0x20 || first === 0x3a || first === 0x3c) return false;
  if (value[value.length - 1] === 0x20) return false;
  return value.every((b) => b > 0 && b < 0x80 && b !== 0x0a && b !== 0x0d);
}

const WRAP = 76;

function fold(line: string): string[] {
  if (line.length <= WRAP) return [line];
  const out = [line.slice(0, WRAP)];
  for (let i = WRAP; i < line.length; i += WRAP - 1) out.push(` ${line.slice(i, i + WRAP - 1)}`);
  return out;
}

export function serializeValue(name: string, value: Uint8Array): string[] {
  return fold(
    isSafe(value)
      ? `${name}: ${Buffer.from(value).toString("latin1")}`
      : `${name}:: ${Buffer.from(value).toString("base64")}`,
  );
}

export function serializeRecord(record: LdifRecord): string[] {
  const out = serializeValue("dn", encoder.encode(record.dn));
  for (const attribute of record.attributes.values()) {
    for (const v of attribute.values) out.push(...serializeValue(attribute.name, v));
  }
  return out;
}

/**
 * The document's text with the given records re-serialized and all other lines as they were.
 * `lines` serialises a changed record; a caller that saves often passes its cached serialisation.
 */
export function renderLdif(
  doc: LdifDocument,
  changed: ReadonlySet<LdifRecord>,
  lines: (record: LdifRecord) => readonly string[] = serializeRecord,
): string {
  const out: string[] = [];
  let line = 0;
  // Line by line, not push(...lines): spreading a large export's lines (hundreds of thousands)
  // into arguments overflows the call stack.
  const copy = (from: number, to: number) => {
    for (let i = from; i < to; i++) out.push(doc.lines[i] as string);
  };
  for (const record of doc.records) {
    if (!changed.has(record)) continue;
    copy(line, record.firstLine);
    for (const l of lines(record)) out.push(l);
    line = record.endLine;
  }
  copy(line, doc.lines.length);
  return out.join(doc.eol) + doc.eol;
}
