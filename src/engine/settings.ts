import { resolve } from "node:path";
import type { SafetySettings } from "../apply/guards.js";
import type { LoadedConfig } from "../config/load.js";
import type { DirectoryScope } from "../directory/types.js";
import { SmimesyncError } from "../errors.js";
import type { PartnerContact, ReconcileSettings } from "../reconcile/observed.js";
import { readCertificateFileValues } from "./certificate-files.js";

export function directoryScope(loaded: LoadedConfig): DirectoryScope {
  const s = loaded.config.scope;
  return {
    ous: (s.ous ?? []).map((o) => ({ dn: o.dn, scope: o.scope ?? "subtree" })),
    groups: (s.groups ?? []).map((g) => ({ dn: g.dn, nested: g.nested ?? true })),
    include: s.include ?? [],
    exclude: s.exclude ?? [],
    includeDisabled: s.includeDisabled ?? false,
  };
}

/**
 * What is read for partners with `authority: ad`: every contact in `repository.contactsOU` and
 * below it (subtree, like scope.ous by default, so partners may be sorted into sub-OUs; new ones
 * are created directly in it). Undefined when no partner has `authority: ad`: nothing extra is read.
 */
export function contactsScope(loaded: LoadedConfig): DirectoryScope | undefined {
  const repo = loaded.config.repository;
  if (!repo?.contactsOU || !(repo.contacts ?? []).some((c) => c.authority === "ad")) return undefined;
  return {
    ous: [{ dn: repo.contactsOU, scope: "subtree" }],
    groups: [],
    include: [],
    exclude: [],
    // Contacts have no userAccountControl: nothing to filter on.
    includeDisabled: true,
  };
}

export function safetySettings(loaded: LoadedConfig): SafetySettings {
  const s = loaded.config.safety ?? {};
  return {
    maxRemovals: s.maxRemovals ?? 500,
    maxRemovalPercent: s.maxRemovalPercent ?? 10,
    allowEmptyScope: s.allowEmptyScope ?? false,
  };
}

export async function reconcileSettings(loaded: LoadedConfig): Promise<ReconcileSettings> {
  const { config, baseDir } = loaded;
  const read = (file: string) => readCertificateFileValues(resolve(baseDir, file), file);
  const declared = new Map<string, Uint8Array[]>();
  for (const entry of config.repository?.certificates ?? []) {
    const mail = entry.mail.toLowerCase();
    const list = declared.get(mail) ?? [];
    for (const file of entry.files) list.push(...(await read(file)));
    declared.set(mail, list);
  }
  const contacts: PartnerContact[] = [];
  for (const c of config.repository?.contacts ?? []) {
    const values: Uint8Array[] = [];
    for (const file of c.files) values.push(...(await read(file)));
    const common = { mail: c.mail, name: c.name ?? c.mail, values };
    if (c.authority === "ad") {
      // validate refuses this too; a config loaded without it must not reach reconcile.
      const parentDn = config.repository?.contactsOU;
      if (!parentDn)
        throw new SmimesyncError(
          "CONFIG_INVALID",
          `partner ${c.mail} has authority: ad, which needs repository.contactsOU`,
        );
      contacts.push({ ...common, authority: "ad", parentDn });
    } else {
      contacts.push({ ...common, authority: "exchange" });
    }
  }
  const scope = config.scope;
  if (!scope.cloudOnly && (scope.ous ?? []).length === 0 && (scope.groups ?? []).length === 0) {
    throw new SmimesyncError("CONFIG_INVALID", "the scope selects nobody");
  }
  return {
    cloudOnly: scope.cloudOnly ?? false,
    include: scope.include ?? [],
    exclude: scope.exclude ?? [],
    includeDisabled: scope.includeDisabled ?? false,
    declared,
    contacts,
  };
}
