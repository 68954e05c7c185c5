// The files a plan is computed from, as named by a loaded config: the config itself and every
// certificate file it references (declared certificates and contacts, trust anchors,
// intermediates, CRLs, the LDAPS CA). A change to any of them makes an earlier plan stale; a
// change anywhere else in the repository does not. Offline backends (LDIF, snapshot) are observed
// state, not configuration: apply's per-object fingerprints catch their changes.
import { resolve } from "node:path";
import type { LoadedConfig } from "../config/load.js";
import type { PlanInputs } from "./git-binding.js";

export function planInputsOf(loaded: Pick<LoadedConfig, "config" | "path" | "baseDir">): PlanInputs {
  const c = loaded.config;
  const files = [
    ...(c.repository?.certificates ?? []).flatMap((x) => x.files),
    ...(c.repository?.contacts ?? []).flatMap((x) => x.files),
    ...(c.policy.trustAnchors ?? []),
    ...(c.policy.intermediates ?? []),
    ...(c.policy.crls ?? []),
    ...(c.directory?.tls?.caFile ? [c.directory.tls.caFile] : []),
  ];
  return {
    configPath: loaded.path,
    certificatePaths: [...new Set(files.map((f) => resolve(loaded.baseDir, f)))],
  };
}
