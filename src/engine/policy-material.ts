// Reads the policy's files (trust anchors, intermediates, CRLs) and builds the run's Policy.
import { resolve } from "node:path";
import type { CertCache } from "../certs/index.js";
import type { LoadedConfig } from "../config/load.js";
import { SmimesyncError } from "../errors.js";
import { readBoundedFile } from "../files/bounded-read.js";
import type { FileKind } from "../model/limits.js";
import {
  buildPolicy,
  type MaterialFile,
  materialWarnings,
  type Policy,
  type PolicyMaterial,
} from "../policy/index.js";

export interface LoadedPolicy {
  readonly policy: Policy;
  /** Problems with the material that do not stop the run (an expiring CRL, say). */
  readonly warnings: readonly string[];
}

/** The files the config's policy names, read (trust anchors, intermediates, CRLs). */
export async function readPolicyMaterial(loaded: LoadedConfig): Promise<PolicyMaterial> {
  const read = async (files: readonly string[] | undefined, kind: FileKind): Promise<MaterialFile[]> =>
    Promise.all(
      (files ?? []).map(async (name) => {
        try {
          return { name, bytes: await readBoundedFile(resolve(loaded.baseDir, name), kind, name) };
        } catch (e) {
          if (e instanceof SmimesyncError) throw e;
          throw new SmimesyncError(
            "FILE_UNREADABLE",
            `cannot read policy file ${name}: ${(e as Error).message}`,
            {
              hint: "Run `smimesync validate` to check every file the config names.",
            },
          );
        }
      }),
    );
  const p = loaded.config.policy;
  return {
    trustAnchors: await read(p.trustAnchors, "certificate"),
    intermediates: await read(p.intermediates, "certificate"),
    crls: await read(p.crls, "crl"),
  };
}

export async function loadPolicy(
  loaded: LoadedConfig,
  cache: CertCache,
  now: Date,
  material?: PolicyMaterial,
): Promise<LoadedPolicy> {
  const policy = buildPolicy(loaded.config.policy, material ?? (await readPolicyMaterial(loaded)), cache);
  const errors = policy.problems.filter((x) => x.severity === "error");
  if (errors.length > 0) {
    throw new SmimesyncError(
      "CONFIG_INVALID",
      errors.map((x) => `${x.file ? `${x.file}: ` : ""}${x.message}`).join("; "),
      { hint: "Fix the policy files named above (smimesync validate checks them too)." },
    );
  }
  const warnings = [...policy.problems, ...materialWarnings(policy, now)]
    .filter((x) => x.severity === "warning")
    .map((x) => `${x.file ? `${x.file}: ` : ""}${x.message}`);
  return { policy, warnings };
}
