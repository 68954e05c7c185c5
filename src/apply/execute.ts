// Executes a verified plan: for each touched object, one write at its authority holding all of
// that object's edits, with the fingerprint the plan saw. The backend re-reads the object and
// refuses (stale) when it changed; that object is skipped and reported, the others proceed.
// Nothing here reads a change's reason: reasons explain, they never steer apply.

import type { Directory, DirectoryRecipient } from "../directory/types.js";
import { SmimesyncError } from "../errors.js";
import type { ChangeOutcome } from "../gitops/audit-record.js";
import {
  type AttributeEdit,
  type AttributeValues,
  type CertAttribute,
  emptyValues,
} from "../model/attributes.js";
import { sha256Hex as sha256 } from "../model/digest.js";
import type { ObjectFingerprint } from "../model/fingerprint.js";
import type { WriteResult } from "../model/write-result.js";
import { isCertChange, type Plan, type PlannedChange, type PlanObject } from "../plan/types.js";
import { changeValue } from "../plan/value.js";
import type { ExchangeRecipient, Tenant } from "../tenant/types.js";
import { caRefusal, identityRefusal, valueRefusal } from "./write-checks.js";

export interface ExecuteOptions {
  readonly directory: Directory | undefined;
  readonly tenant: Tenant | undefined;
  /** Objects written at once. */
  readonly concurrency: number;
  readonly onProgress?: (done: number, total: number) => void;
  /** Before an object's write, with its changes (the audit journal records them). */
  readonly onStart?: (changes: readonly PlannedChange[]) => void;
  /** After an object's write, with what became of its changes, before the next one starts. */
  readonly onOutcomes?: (outcomes: readonly ChangeOutcome[]) => void;
}

export interface ExecuteResult {
  /** One per planned change: applied, stale, failed, or skipped (never attempted). */
  readonly outcomes: readonly ChangeOutcome[];
  /**
   * What stopped the run when a backend became unusable (connection lost, credentials rejected,
   * retry budget spent): nothing new is started after it, and what was written stays reported.
   */
  readonly stoppedBy: unknown;
}

export async function executePlan(plan: Plan, opts: ExecuteOptions): Promise<ExecuteResult> {
  const byAddress = new Map<string, PlannedChange[]>();
  for (const c of plan.changes) {
    const list = byAddress.get(c.address) ?? [];
    list.push(c);
    byAddress.set(c.address, list);
  }
  const objects = plan.objects.filter((o) => byAddress.has(o.address));
  const outcomes: ChangeOutcome[] = [];
  let stoppedBy: unknown;
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.length && stoppedBy === undefined) {
      const object = objects[next++] as PlanObject;
      const changes = byAddress.get(object.address) ?? [];
      let result: WriteResult;
      opts.onStart?.(changes);
      try {
        result = await writeObject(object, changes, opts);
      } catch (e) {
        stoppedBy ??= e;
        result = { ok: false, reason: "error", message: e instanceof Error ? e.message : String(e) };
      }
      const these: ChangeOutcome[] = [];
      for (const c of changes) {
        these.push(
          result.ok
            ? { changeId: c.id, outcome: "applied" }
            : {
                changeId: c.id,
                outcome:
                  result.reason === "stale" || result.reason === "unconfirmed" ? result.reason : "failed",
                message: result.message,
              },
        );
      }
      outcomes.push(...these);
      opts.onOutcomes?.(these);
      opts.onProgress?.(++done, objects.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, objects.length)) }, worker));
  if (stoppedBy !== undefined) {
    const reason = stoppedBy instanceof Error ? stoppedBy.message : String(stoppedBy);
    for (const object of objects.slice(next)) {
      for (const c of byAddress.get(object.address) ?? []) {
        outcomes.push({
          changeId: c.id,
          outcome: "skipped",
          message: `apply stopped before this object: ${reason}`,
        });
      }
    }
  }
  return { outcomes, stoppedBy };
}

/**
 * One edit per attribute: the bytes to add come from the plan, the bytes to remove from the object
 * as re-read now (the plan holds only their SHA-256). A removal whose value is gone is left out;
 * the fingerprint check then reports the object as stale.
 */
export function editsOf(changes: readonly PlannedChange[], current: AttributeValues): AttributeEdit[] {
  const edits = new Map<
    CertAttribute,
    { attribute: CertAttribute; add: Uint8Array[]; remove: Uint8Array[] }
  >();
  for (const c of changes) {
    if (!isCertChange(c)) continue;
    const e = edits.get(c.attribute) ?? { attribute: c.attribute, add: [], remove: [] };
    if (c.action === "publish") {
      e.add.push(changeValue(c));
    } else {
      const value = current[c.attribute].find((v) => sha256(v) === c.valueSha256);
      if (value) e.remove.push(value);
    }
    edits.set(c.attribute, e);
  }
  return [...edits.values()];
}

/** The values of an object apply creates: every change to it is a publication. */
function newValues(changes: readonly PlannedChange[]): AttributeValues {
  const values = { userCertificate: [] as Uint8Array[], userSMIMECertificate: [] as Uint8Array[] };
  for (const e of editsOf(changes, emptyValues())) values[e.attribute].push(...e.add);
  return values;
}

/** The backend a plan needs for an object; a plan naming a backend the config lacks is invalid. */
function needed<T>(backend: T | undefined, object: PlanObject, where: "AD" | "Exchange Online"): T {
  if (backend === undefined) {
    throw new SmimesyncError(
      "PLAN_INVALID",
      `the plan writes ${object.address} in ${where}, but no ${where === "AD" ? "directory" : "tenant"} is configured`,
    );
  }
  return backend;
}

/** Re-read, then one write with the plan's fingerprint (the backend re-checks it before writing). */
async function update<R>(
  object: PlanObject,
  changes: readonly PlannedChange[],
  backend: {
    read(ref: R): Promise<DirectoryRecipient | ExchangeRecipient | undefined>;
    writeValues(ref: R, edits: readonly AttributeEdit[], expected: ObjectFingerprint): Promise<WriteResult>;
  },
  ref: R,
): Promise<WriteResult> {
  const current = await backend.read(ref);
  if (!current) return { ok: false, reason: "not-found", message: `${object.address} no longer exists` };
  if (!object.fingerprint) {
    return { ok: false, reason: "stale", message: `${object.address} has no fingerprint in the plan` };
  }
  const wrong = identityRefusal(object, current);
  if (wrong !== undefined) return { ok: false, reason: "refused", message: `refused: ${wrong}` };
  return backend.writeValues(ref, editsOf(changes, current.values), object.fingerprint);
}

async function writeObject(
  object: PlanObject,
  changes: readonly PlannedChange[],
  opts: ExecuteOptions,
): Promise<WriteResult> {
  for (const c of changes) {
    const refusal =
      c.action !== "publish"
        ? undefined
        : isCertChange(c)
          ? valueRefusal(c, changeValue(c))
          : caRefusal(c, changeValue(c));
    if (refusal !== undefined) {
      return {
        ok: false,
        reason: "refused",
        message: `refused: ${c.attribute} of ${object.address}: ${refusal}`,
      };
    }
  }
  const ref = object.ref;
  switch (ref.type) {
    case "ad": {
      const directory = needed(opts.directory, object, "AD");
      return update(
        object,
        changes,
        { read: (r) => directory.readObject(r), writeValues: (...a) => directory.writeValues(...a) },
        ref,
      );
    }
    case "exchange": {
      const tenant = needed(opts.tenant, object, "Exchange Online");
      return update(
        object,
        changes,
        { read: (r) => tenant.readRecipient(r), writeValues: (...a) => tenant.writeValues(...a) },
        ref,
      );
    }
    case "exchange-new-contact": {
      const tenant = needed(opts.tenant, object, "Exchange Online");
      try {
        await tenant.createContact({
          name: ref.name,
          externalEmailAddress: ref.externalEmailAddress,
          values: newValues(changes),
        });
        return { ok: true };
      } catch (e) {
        // Someone (or an earlier apply) created it since the plan: like any object changed since
        // the plan, it is stale, and a new plan will see it. Other refusals fail this object only.
        if (!(e instanceof SmimesyncError) || e.code === "TENANT_AUTH" || e.code === "TENANT_UNAVAILABLE")
          throw e;
        return {
          ok: false,
          reason: /already (exists|being used|in use)/i.test(e.message) ? "stale" : "error",
          message: e.message,
        };
      }
    }
    case "ad-new-contact":
      // The backend reports a contact created since the plan as stale (a new plan joins it).
      return needed(opts.directory, object, "AD").createContact({
        parentDn: ref.parentDn,
        name: ref.name,
        mail: ref.mail,
        values: newValues(changes),
      });
    case "exchange-smime-config":
      return writeTrustCollection(object, changes, needed(opts.tenant, object, "Exchange Online"));
    default: {
      const never: never = ref;
      throw new Error(`unknown object reference ${JSON.stringify(never)}`);
    }
  }
}

/** One Set-SmimeConfig with the plan's fingerprint: a collection changed since the plan is stale. */
function writeTrustCollection(
  object: PlanObject,
  changes: readonly PlannedChange[],
  tenant: Tenant,
): Promise<WriteResult> {
  if (!object.fingerprint) {
    return Promise.resolve({
      ok: false,
      reason: "stale",
      message: `${object.address} has no fingerprint in the plan`,
    });
  }
  const add = changes.filter((c) => c.action === "publish").map(changeValue);
  const remove = changes.filter((c) => c.action === "remove").map((c) => c.valueSha256);
  return tenant.writeSmimeIssuingCA({ add, remove }, object.fingerprint);
}
