// Full dumps of a directory and a tenant as sets of `object \t attribute \t value` lines, for the
// kill -9 loops: the state before an apply, plus the plan's changes, must be the state after the
// killed apply is re-run until it converges. Certificate values are keyed by SHA-256 (what a plan
// names them by); every other attribute by its bytes, so that any unplanned change shows.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { normalizeDn } from "../../src/directory/dn.js";
import { attributeKey, parseLdif } from "../../src/directory/ldif.js";
import type { Plan } from "../../src/plan/types.js";
import { parseSnapshot } from "../../src/tenant/snapshot/snapshot-format.js";

export type Dump = ReadonlySet<string>;

const CERT_KEYS = new Set(["usercertificate", "usersmimecertificate"]);
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

export const adObjectKey = (dn: string): string => `ad:${normalizeDn(dn) ?? dn.toLowerCase()}`;
const exchangeObjectKey = (kind: string, identity: string): string =>
  `exchange:${kind}:${identity.toLowerCase()}`;

export function line(object: string, attribute: string, value: Uint8Array): string {
  const key = attributeKey(attribute);
  return `${object}\t${key}\t${CERT_KEYS.has(key) ? sha256(value) : Buffer.from(value).toString("base64")}`;
}

/** Every value of every record of the LDIF file. */
export function ldifDump(text: string): Set<string> {
  const out = new Set<string>();
  for (const record of parseLdif(text, "directory.ldif").records) {
    const object = adObjectKey(record.dn);
    for (const [, attribute] of record.attributes)
      for (const v of attribute.values) out.add(line(object, attribute.name, v));
  }
  return out;
}

/** Every field of every user and recipient of the snapshot; certificate values one by one. */
export function snapshotDump(text: string): Set<string> {
  const doc = parseSnapshot(text, "tenant.json");
  const out = new Set<string>();
  const { users, recipients, ...header } = doc;
  out.add(`tenant\t@header\t${JSON.stringify(header)}`);
  for (const u of users) out.add(`entra:${u.id}\t@user\t${JSON.stringify(u)}`);
  for (const r of recipients) {
    const object = exchangeObjectKey(r.kind, r.identity);
    const { userCertificate, userSMIMECertificate, ...rest } = r;
    out.add(`${object}\t@fields\t${JSON.stringify(rest)}`);
    for (const v of userCertificate ?? []) out.add(line(object, "userCertificate", Buffer.from(v, "base64")));
    for (const v of userSMIMECertificate ?? [])
      out.add(line(object, "userSMIMECertificate", Buffer.from(v, "base64")));
  }
  return out;
}

/** The offline organisation in `dir`: directory.ldif and tenant.json. */
export async function offlineDump(dir: string): Promise<Set<string>> {
  const [ldif, snapshot] = await Promise.all([
    readFile(join(dir, "directory.ldif"), "utf8"),
    readFile(join(dir, "tenant.json"), "utf8"),
  ]);
  return new Set([...ldifDump(ldif), ...snapshotDump(snapshot)]);
}

/** The dump lines the plan's changes add and remove (creations of new objects are not handled). */
export function planned(plan: Plan): { publish: Set<string>; remove: Set<string> } {
  const objects = new Map(plan.objects.map((o) => [o.address, o]));
  const publish = new Set<string>();
  const remove = new Set<string>();
  for (const c of plan.changes) {
    const ref = objects.get(c.address)?.ref;
    let object: string;
    if (ref?.type === "ad") object = adObjectKey(ref.dn);
    else if (ref?.type === "exchange") object = exchangeObjectKey(ref.kind, ref.identity);
    else throw new Error(`${c.address}: the kill loop's organisation creates no objects`);
    (c.action === "publish" ? publish : remove).add(
      `${object}\t${attributeKey(c.attribute)}\t${c.valueSha256}`,
    );
  }
  return { publish, remove };
}

export interface Comparison {
  /** Values of the expected state missing after convergence (pre-state kept or planned publish). */
  readonly lost: string[];
  /** Values that differ from the pre-state and that no planned change names. */
  readonly unplanned: string[];
}

/** `after` against `before` + the plan: lost values, and differences the plan does not name. */
export function compare(before: Dump, plan: Plan, after: Dump): Comparison {
  const { publish, remove } = planned(plan);
  const expected = new Set([...before].filter((l) => !remove.has(l)));
  for (const l of publish) expected.add(l);
  const lost = [...expected].filter((l) => !after.has(l));
  const unplanned = [
    ...[...after].filter((l) => !before.has(l) && !publish.has(l)),
    ...[...before].filter((l) => !after.has(l) && !remove.has(l)),
  ];
  return { lost, unplanned };
}
