// Adding and removing exact values of one attribute, with the cloud's hard limits. Shared by the
// cloud and snapshot backends so both refuse the same things.
import {
  type AttributeEdit,
  type AttributeValues,
  type CertAttribute,
  MAX_VALUE_BYTES,
  MAX_VALUES_PER_ATTRIBUTE,
} from "../model/attributes.js";
import type { RecipientKind } from "./types.js";

export type ValueEdit =
  | { readonly ok: true; readonly values: Uint8Array[] }
  | { readonly ok: false; readonly message: string };

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

export function editValues(
  current: readonly Uint8Array[],
  add: readonly Uint8Array[],
  remove: readonly Uint8Array[],
): ValueEdit {
  const values = current.filter((v) => !remove.some((r) => sameBytes(r, v)));
  for (const a of add) if (!values.some((v) => sameBytes(v, a))) values.push(a);
  const big = values.find((v) => v.byteLength > MAX_VALUE_BYTES);
  if (big)
    return {
      ok: false,
      message: `a value of ${big.byteLength} bytes exceeds the ${MAX_VALUE_BYTES}-byte limit`,
    };
  if (values.length > MAX_VALUES_PER_ATTRIBUTE) {
    return { ok: false, message: `${values.length} values exceed the limit of ${MAX_VALUES_PER_ATTRIBUTE}` };
  }
  return { ok: true, values };
}

export type ValuesEdit =
  | { readonly ok: true; readonly values: AttributeValues; readonly changed: readonly CertAttribute[] }
  | { readonly ok: false; readonly message: string };

/** All of an object's edits, or none: the new values of every attribute an edit touches. */
export function editAllValues(current: AttributeValues, edits: readonly AttributeEdit[]): ValuesEdit {
  const values = {
    userCertificate: [...current.userCertificate],
    userSMIMECertificate: [...current.userSMIMECertificate],
  };
  const changed: CertAttribute[] = [];
  for (const e of edits) {
    const edit = editValues(values[e.attribute], e.add, e.remove);
    if (!edit.ok) return { ok: false, message: `${e.attribute}: ${edit.message}` };
    values[e.attribute] = edit.values;
    changed.push(e.attribute);
  }
  return { ok: true, values, changed };
}

/**
 * Exchange Online's refusal for a directory-synced object, worded as the service words it
 * (the snapshot backend and the emulator answer with the same text).
 */
export function writeScopeMessage(kind: RecipientKind, name: string, exchangeAttribute: string): string {
  const noun = kind === "Mailbox" ? "mailbox" : kind === "MailUser" ? "mail user" : "mail contact";
  return (
    `The operation on ${noun} "${name}" failed because it's out of the current user's write scope. ` +
    `The action 'Set-${kind}', '${exchangeAttribute}', can't be performed on the object '${name}' because the object is being ` +
    "synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization."
  );
}
