// Checks the schema cannot express: DNs parse, files exist and hold what they should, endpoints
// are https, the scope selects something. Runs on data that may have failed the schema, so every
// access is defensive.
import { resolve } from "node:path";
import { isUnderDn, parseDn } from "../directory/dn.js";
import { type Diagnostic, SmimesyncError } from "../errors.js";
import { checkBoundedFile, readBoundedFile } from "../files/bounded-read.js";
import type { FileKind } from "../model/limits.js";
import { checkCertificateFile, checkCrlFile, type FileCheck } from "./file-checks.js";
import type { ConfigPath, SourceMap } from "./source-map.js";
import type { SmimesyncConfig } from "./types.generated.js";

interface Context {
  readonly file: string;
  readonly baseDir: string;
  readonly map: SourceMap;
  /** Problems the schema found; a path already reported there is not reported again. */
  readonly schemaProblems: readonly Diagnostic[];
}

type Obj = Record<string, unknown>;
const PLACEHOLDER_GUID = "00000000-0000-0000-0000-000000000000";
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export async function checkSemantics(config: SmimesyncConfig, ctx: Context): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const error = (path: ConfigPath, message: string): void => {
    out.push({ file: ctx.file, ...ctx.map.valueAt(path), message, severity: "error" });
  };
  const warn = (path: ConfigPath, message: string): void => {
    out.push({ file: ctx.file, ...ctx.map.valueAt(path), message, severity: "warning" });
  };
  const root = config as unknown as Obj;
  const dir = isObj(root.directory) ? root.directory : {};
  const tenant = isObj(root.tenant) ? root.tenant : {};
  const scope = isObj(root.scope) ? root.scope : undefined;
  const repo = isObj(root.repository) ? root.repository : {};
  const policy = isObj(root.policy) ? root.policy : {};
  const files: Promise<void>[] = [];
  const checkFile = (
    path: ConfigPath,
    value: unknown,
    check: ((bytes: Buffer) => FileCheck) | undefined,
    what: string,
    kind: FileKind,
  ) => {
    const rel = str(value);
    if (!rel) return;
    const absolute = resolve(ctx.baseDir, rel);
    files.push(
      (check ? readBoundedFile(absolute, kind, rel) : checkBoundedFile(absolute, kind, rel)).then(
        (bytes) => {
          const result = check && bytes ? check(bytes) : { ok: true as const };
          if (!result.ok) error(path, `${rel}: ${result.reason}`);
        },
        (e: NodeJS.ErrnoException) =>
          error(
            path,
            e instanceof SmimesyncError
              ? e.message
              : e.code === "ENOENT"
                ? `${what} ${rel} does not exist (paths are relative to the config file)`
                : `cannot read ${rel}: ${e.message}`,
          ),
      ),
    );
  };
  const exists = (path: ConfigPath, value: unknown, what: string, kind: FileKind) =>
    checkFile(path, value, undefined, what, kind);

  // Directory connection.
  const url = str(dir.url);
  if (url?.startsWith("ldap://")) {
    const startTLS = isObj(dir.tls) && dir.tls.startTLS === true;
    if (!startTLS && dir.allowInsecure !== true) {
      error(
        ["directory", "url"],
        "plain ldap:// would send the bind password in clear text; use ldaps://, or set directory.tls.startTLS: true (allowInsecure: true only for a lab)",
      );
    }
  }
  if (url) {
    try {
      new URL(url);
    } catch {
      error(["directory", "url"], `"${url}" is not a valid URL`);
    }
  }
  const baseDN = str(dir.baseDN);
  checkDn(["directory", "baseDN"], baseDN, error);
  if (isObj(dir.tls))
    checkFile(["directory", "tls", "caFile"], dir.tls.caFile, checkCertificateFile, "CA file", "certificate");
  exists(["directory", "ldif"], dir.ldif, "LDIF file", "backend");

  exists(["tenant", "snapshot"], tenant.snapshot, "snapshot file", "backend");
  // The starter config (`smimesync init`) holds the all-zero GUID where an admin's ids go: no
  // tenant or app has it, so it is a placeholder still to fill, named as such.
  if (str(tenant.tenantId) === PLACEHOLDER_GUID)
    error(
      ["tenant", "tenantId"],
      "placeholder: fill in your Directory (tenant) id (Entra admin center, Overview)",
    );
  const auth = isObj(tenant.auth) ? tenant.auth : {};
  if (str(auth.clientId) === PLACEHOLDER_GUID)
    error(
      ["tenant", "auth", "clientId"],
      "placeholder: fill in the Application (client) id of smimesync's app registration",
    );

  // Scope.
  if (scope) {
    const ous = arr(scope.ous);
    const groups = arr(scope.groups);
    if (ous.length === 0 && groups.length === 0 && scope.cloudOnly !== true) {
      error(
        ["scope"],
        "the scope selects nobody: list scope.ous or scope.groups (AD users), or set scope.cloudOnly: true",
      );
    }
    if ((ous.length > 0 || groups.length > 0) && !isObj(root.directory)) {
      error(
        ["scope"],
        "scope.ous and scope.groups select AD users, but there is no `directory` section to read them from",
      );
    }
    for (const [list, items] of [
      ["ous", ous],
      ["groups", groups],
    ] as const) {
      items.forEach((item, i) => {
        const dn = isObj(item) ? str(item.dn) : undefined;
        if (
          checkDn(["scope", list, i, "dn"], dn, error) &&
          dn &&
          baseDN &&
          parseDn(baseDN).ok &&
          !dir.ldif &&
          !isUnderDn(dn, baseDN)
        ) {
          warn(
            ["scope", list, i, "dn"],
            `${dn} is not under directory.baseDN (${baseDN}); nothing there will be found`,
          );
        }
      });
    }
  }

  // Repository certificates and contacts.
  const seen = new Map<string, number>();
  arr(repo.certificates).forEach((entry, i) => {
    if (!isObj(entry)) return;
    const mail = str(entry.mail)?.toLowerCase();
    if (mail) {
      if (seen.has(mail))
        warn(
          ["repository", "certificates", i, "mail"],
          `${mail} is listed twice (also entry ${seen.get(mail)}); the files are combined`,
        );
      else seen.set(mail, i);
    }
    for (const [j, f] of arr(entry.files).entries())
      checkFile(
        ["repository", "certificates", i, "files", j],
        f,
        checkCertificateFile,
        "certificate file",
        "certificate",
      );
  });
  arr(repo.contacts).forEach((entry, i) => {
    if (!isObj(entry)) return;
    for (const [j, f] of arr(entry.files).entries())
      checkFile(
        ["repository", "contacts", i, "files", j],
        f,
        checkCertificateFile,
        "certificate file",
        "certificate",
      );
    if (entry.authority === "ad" && !str(repo.contactsOU)) {
      error(
        ["repository", "contacts", i, "authority"],
        "authority: ad needs repository.contactsOU (the OU where the AD contact lives)",
      );
    }
  });
  checkDn(["repository", "contactsOU"], str(repo.contactsOU), error);

  // Policy material.
  for (const [i, f] of arr(policy.trustAnchors).entries())
    checkFile(["policy", "trustAnchors", i], f, checkCertificateFile, "trust anchor file", "certificate");
  for (const [i, f] of arr(policy.intermediates).entries())
    checkFile(["policy", "intermediates", i], f, checkCertificateFile, "intermediate file", "certificate");
  for (const [i, f] of arr(policy.crls).entries())
    checkFile(["policy", "crls", i], f, checkCrlFile, "CRL file", "crl");
  const requirements = isObj(policy.requirements) ? policy.requirements : {};
  if (requirements.trustedChain !== false && arr(policy.trustAnchors).length === 0 && isObj(root.policy)) {
    error(
      ["policy"],
      "policy.trustAnchors is empty but requirements.trustedChain is on: list your root CA files, or set requirements.trustedChain: false",
    );
  }
  const publish = isObj(policy.publish) ? policy.publish : {};
  if (publish.userCertificate === false && publish.userSMIMECertificate === "off") {
    error(["policy", "publish"], "both attributes are switched off: smimesync would manage nothing");
  }

  await Promise.all(files);
  return out;
}

function checkDn(
  path: ConfigPath,
  dn: string | undefined,
  error: (p: ConfigPath, m: string) => void,
): boolean {
  if (dn === undefined) return false;
  const parsed = parseDn(dn);
  if (!parsed.ok) {
    error(path, `"${dn}" is not a valid distinguished name: ${parsed.reason}`);
    return false;
  }
  return true;
}
