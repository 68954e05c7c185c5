// Temporary git repositories (in os.tmpdir(), never in the project) and a small plan for the
// gitops tests. Each repository has a local identity, so tests never depend on the machine's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type SimpleGit, simpleGit } from "simple-git";
import type { CertificateRef, Plan, PlannedChange, PlanObject } from "../../src/plan/types.js";

export interface TempRepo {
  readonly dir: string;
  readonly git: SimpleGit;
  write(path: string, content: string): void;
  commit(message: string): Promise<string>;
  head(): Promise<string>;
}

const made: string[] = [];

export function tempDir(prefix = "smimesync-gitops-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function makeRepo(opts: { bare?: boolean; dir?: string } = {}): Promise<TempRepo> {
  const dir = opts.dir ?? tempDir();
  const git = simpleGit({ baseDir: dir });
  await git.raw(["init", "--quiet", "--initial-branch=main", ...(opts.bare ? ["--bare"] : [])]);
  if (!opts.bare) await configure(git);
  return repoAt(dir, git);
}

export async function configure(git: SimpleGit): Promise<void> {
  await git.addConfig("user.name", "Test Admin");
  await git.addConfig("user.email", "admin@corp.example.com");
  await git.addConfig("commit.gpgsign", "false");
}

export function repoAt(dir: string, git: SimpleGit = simpleGit({ baseDir: dir })): TempRepo {
  return {
    dir,
    git,
    write(path, content) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    async commit(message) {
      await git.raw(["add", "--all"]);
      await git.raw(["commit", "--quiet", "-m", message]);
      return (await git.revparse(["HEAD"])).trim();
    },
    async head() {
      return (await git.revparse(["HEAD"])).trim();
    },
  };
}

export function cert(n: number, mail: string): CertificateRef {
  const hex = (len: number) => `${n.toString(16).padStart(2, "0")}ab`.repeat(len).slice(0, len);
  return {
    sha1: hex(40).toUpperCase(),
    sha256: `${n.toString(16).padStart(4, "0")}${"cd".repeat(30)}`,
    subject: `CN=${mail.split("@")[0]}, O=Corp`,
    issuer: "CN=Corp Issuing CA",
    serial: n.toString(16).padStart(8, "0"),
    notBefore: "2025-01-01T00:00:00.000Z",
    notAfter: "2027-01-01T00:00:00.000Z",
    emails: [mail],
  };
}

export function object(mail: string): PlanObject {
  return {
    address: `ad:user/${mail}`,
    authority: "ad",
    kind: "user",
    ref: { type: "ad", objectGuid: "00000000-0000-0000-0000-000000000001", dn: `CN=${mail},DC=corp` },
    mail,
    userPrincipalName: mail,
    fingerprint: { valuesHash: "0".repeat(64) },
  };
}

export function change(id: string, mail: string, action: "publish" | "remove", n: number): PlannedChange {
  const c = cert(n, mail);
  return {
    id,
    address: `ad:user/${mail}`,
    authority: "ad",
    attribute: "userCertificate",
    action,
    reason: action === "publish" ? "declared-in-repo" : "expired",
    explanation: `${action} ${c.subject}`,
    valueSha256: c.sha256,
    valueBytes: 1200,
    ...(action === "publish" ? { value: "AAAA" } : {}),
    certificate: c,
  };
}

export function makePlan(opts: {
  id?: string;
  git: { commit: string; dirty: boolean } | null;
  configPath?: string;
  changes?: readonly PlannedChange[];
}): Plan {
  const changes = opts.changes ?? [];
  const mails = [...new Set(changes.map((c) => c.address.replace(/^ad:user\//, "")))];
  return {
    formatVersion: 1,
    id: opts.id ?? "plan-0123456789abcdef",
    createdAt: "2025-06-01T10:00:00.000Z",
    policyTime: "2025-06-01T10:00:00.000Z",
    tool: { name: "smimesync", version: "0.1.0" },
    source: {
      configPath: opts.configPath ?? "smimesync.yaml",
      configHash: "f".repeat(64),
      git: opts.git,
      directory: "ldif:directory.ldif",
      tenant: "snapshot:tenant.json",
    },
    objects: mails.map(object),
    changes,
    wouldRemove: [],
    drift: [],
    warnings: [],
    summary: {
      publish: changes.filter((c) => c.action === "publish").length,
      remove: changes.filter((c) => c.action === "remove").length,
      recipients: mails.length,
      wouldRemove: 0,
      drift: 0,
      warnings: 0,
      inScope: mails.length,
    },
  };
}
