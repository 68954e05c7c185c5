// RFC 4514 distinguished names: parse (to validate config and compare DNs) and escape (to build
// DNs from values). AD compares DNs case-insensitively, so does `sameDn`.

export interface Rdn {
  readonly type: string;
  readonly value: string;
}

export type DnParse =
  | { readonly ok: true; readonly rdns: readonly Rdn[] }
  | { readonly ok: false; readonly reason: string };

const TYPE = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)$/;

export function parseDn(dn: string): DnParse {
  if (dn.trim() === "") return { ok: false, reason: "a DN cannot be empty" };
  const rdns: Rdn[] = [];
  let i = 0;
  while (i <= dn.length) {
    const eq = dn.indexOf("=", i);
    if (eq < 0)
      return { ok: false, reason: `"${dn.slice(i).trim()}" has no "=" (expected TYPE=value, e.g. OU=Staff)` };
    const type = dn.slice(i, eq).trim();
    if (!TYPE.test(type)) return { ok: false, reason: `"${type}" is not an attribute type` };
    let value = "";
    let j = eq + 1;
    if (dn[j] === "#") {
      const m = /^#([0-9A-Fa-f]{2})+/.exec(dn.slice(j));
      if (!m) return { ok: false, reason: `bad hex value after "${type}="` };
      value = m[0];
      j += m[0].length;
    } else {
      const bytes: number[] = [];
      const enc = new TextEncoder();
      for (; j < dn.length && dn[j] !== "," && dn[j] !== "+"; j++) {
        const c = dn[j] as string;
        if (c === "\\") {
          const next = dn.slice(j + 1, j + 3);
          if (/^[0-9A-Fa-f]{2}$/.test(next)) {
            bytes.push(Number.parseInt(next, 16));
            j += 2;
          } else if (j + 1 < dn.length && ` "#+,;<=>\\`.includes(dn[j + 1] as string)) {
            bytes.push(...enc.encode(dn[j + 1] as string));
            j += 1;
          } else {
            return { ok: false, reason: `bad escape "\\${dn[j + 1] ?? ""}" in the value of ${type}` };
          }
        } else if (`";<>`.includes(c)) {
          return { ok: false, reason: `"${c}" must be escaped in the value of ${type}` };
        } else {
          bytes.push(...enc.encode(c));
        }
      }
      try {
        value = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes)).trim();
      } catch {
        return { ok: false, reason: `the value of ${type} is not valid UTF-8` };
      }
    }
    if (value === "") return { ok: false, reason: `${type}= has an empty value` };
    rdns.push({ type, value });
    if (j >= dn.length) break;
    i = j + 1;
  }
  return { ok: true, rdns };
}

/** Escapes a value for use in one RDN (RFC 4514 section 2.4). */
export function escapeDnValue(value: string): string {
  let out = value.replace(/[\\"+,;<>=]/g, (c) => `\\${c}`).replace(/\0/g, "\\00");
  if (out.startsWith(" ") || out.startsWith("#")) out = `\\${out}`;
  if (out.endsWith(" ") && !out.endsWith("\\ ")) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** A canonical form for comparison: types upper-cased, values lower-cased and unescaped. */
export function normalizeDn(dn: string): string | undefined {
  const p = parseDn(dn);
  if (!p.ok) return undefined;
  return p.rdns.map((r) => `${r.type.toUpperCase()}=${escapeDnValue(r.value.toLowerCase())}`).join(",");
}

export function sameDn(a: string, b: string): boolean {
  const na = normalizeDn(a);
  return na !== undefined && na === normalizeDn(b);
}

/** True when `dn` equals `base` or lies below it. */
export function isUnderDn(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d !== undefined && b !== undefined && (d === b || d.endsWith(`,${b}`));
}
