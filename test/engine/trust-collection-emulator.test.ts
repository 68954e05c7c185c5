// tenant.smimeConfig.issuingCA: manage against the Exchange Online emulator (Get-/Set-SmimeConfig
// over InvokeCommand): plan shows the CAs to add and remove, apply writes exactly the policy's CAs,
// re-plan has no changes, and a collection edited between plan and apply is refused untouched.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { executePlan } from "../../src/apply/execute.js";
import { CertCache } from "../../src/certs/index.js";
import { readSst, sstFromCertificates } from "../../src/certs/sst.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import { certificateRef } from "../../src/engine/policy-port.js";
import { judgeTrustCollection, TRUST_COLLECTION_ADDRESS } from "../../src/engine/trust-collection.js";
import { type AuditRecord, isAuditRecord } from "../../src/gitops/audit-record.js";
import { trustCollectionFingerprint } from "../../src/model/trust-collection.js";
import { assemblePlan } from "../../src/plan/assemble.js";
import { valueFields } from "../../src/plan/value.js";
import type { Policy } from "../../src/policy/index.js";
import type { SnapshotDocument } from "../../src/tenant/snapshot/snapshot-format.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { makeRoot, makeUser, testPki } from "../fixtures/pki.js";
import { makeRepo } from "../gitops/helpers.js";
import { runCli } from "../helpers/cli.js";
import { openAgainst, pointDemoAtEmulator, SECRET_ENV } from "../tenant/helpers.js";

const NOW = new Date("2031-03-15T10:00:00Z");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let dir: string;
let emu: Emulator;

async function pemDer(file: string): Promise<Uint8Array> {
  const pem = await readFile(join(dir, file), "utf8");
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64"));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "smimesync-trust-emu-"));
  await writeDemo(dir, NOW);
  const seed = JSON.parse(await readFile(join(dir, "tenant.json"), "utf8")) as SnapshotDocument;
  emu = await startEmulator({ seed });
  await pointDemoAtEmulator(dir, emu, { extra: "  smimeConfig:\n    issuingCA: manage\n" });
  expect(await readFile(join(dir, "smimesync.yaml"), "utf8")).toContain("issuingCA: manage");
});
afterEach(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (args: readonly string[]) =>
  runCli(args, {
    cwd: dir,
    env: { PATH: process.env.PATH, [SECRET_ENV]: emu.app.clientSecret },
    seams: { now: NOW, backends: { tenant: { transport: { fetch: emu.fetch } } } },
  });

function held(): string[] {
  const sst = emu.state.smimeIssuingCA;
  if (sst === null) return [];
  const read = readSst(sst);
  if (!read.ok) throw new Error(read.error.message);
  return read.store.entries
    .filter((e) => e.kind === "certificate")
    .map((e) => sha256(e.value))
    .sort();
}

describe("the tenant's S/MIME trust collection, managed (emulator)", () => {
  it("plans, applies exactly the policy's CAs with Set-SmimeConfig, and re-plans to no changes", async () => {
    const root = await pemDer("pki/example-root-ca.pem");
    const stranger = await makeRoot({ name: "CN=Old Partner Root CA" });
    emu.state.smimeIssuingCA = sstFromCertificates([root, stranger.der]);

    const plan = await run(["plan", "--out", "plan.json"]);
    expect([0, 2], plan.stderr).toContain(plan.code);
    expect(plan.stdout).toMatch(
      /^ +- SMIMECertificateIssuingCA Old Partner Root CA, thumbprint [0-9A-F]{8}, expires \d{4}-\d\d-\d\d$/m,
    );
    const doc = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as {
      changes: { attribute: string; action: string; certificate: { sha256: string } }[];
    };
    const adds = doc.changes
      .filter((c) => c.attribute === "SMIMECertificateIssuingCA" && c.action === "publish")
      .map((c) => c.certificate.sha256.toLowerCase());
    expect(adds.length).toBeGreaterThan(0);

    const applied = await run(["apply", "plan.json"]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(emu.requests.filter((r) => r.cmdlet === "Set-SmimeConfig")).toHaveLength(1);
    expect(held()).toEqual([sha256(root), ...adds].sort());

    const again = await run(["plan"]);
    expect(again.stdout).toMatch(/No changes/);
    expect(again.stdout).not.toContain("SMIMECertificateIssuingCA");
  });

  it("refuses when the collection changed between plan and apply, and leaves it as it was", async () => {
    const plan = await run(["plan", "--out", "plan.json"]);
    expect([0, 2], plan.stderr).toContain(plan.code);
    const other = await makeRoot({ name: "CN=Hand Added Root CA" });
    emu.state.smimeIssuingCA = sstFromCertificates([other.der]);
    const before = Buffer.from(emu.state.smimeIssuingCA).toString("hex");
    const applied = await run(["apply", "plan.json"]);
    expect(applied.code).not.toBe(0);
    expect(applied.stderr).toMatch(/Hand Added Root CA/);
    expect(emu.requests.filter((r) => r.cmdlet === "Set-SmimeConfig")).toHaveLength(0);
    expect(Buffer.from(emu.state.smimeIssuingCA ?? []).toString("hex")).toBe(before);
  });
});

describe("the trust collection's write at apply (executePlan)", () => {
  async function collectionPlan(add: Uint8Array, seen: Uint8Array | null) {
    const cache = new CertCache();
    const parsed = cache.value(add);
    const cert = parsed.ok ? parsed.certs[0] : undefined;
    if (!cert) throw new Error("fixture does not parse");
    return assemblePlan({
      createdAt: NOW,
      policyTime: NOW,
      source: {
        configPath: "x.yaml",
        configHash: "0".repeat(64),
        git: null,
        directory: "none",
        tenant: "emulator",
      },
      objects: [
        {
          address: TRUST_COLLECTION_ADDRESS,
          authority: "exchange",
          kind: "trust-collection",
          ref: { type: "exchange-smime-config" },
          mail: null,
          userPrincipalName: null,
          fingerprint: trustCollectionFingerprint(seen),
        },
      ],
      changes: [
        {
          address: TRUST_COLLECTION_ADDRESS,
          authority: "exchange",
          attribute: "SMIMECertificateIssuingCA",
          action: "publish",
          reason: "ca-in-repo",
          explanation: "add",
          ...valueFields(add),
          certificate: certificateRef(cert),
        },
      ],
      wouldRemove: [],
      drift: [],
      warnings: [],
      inScope: 0,
    });
  }

  it("a collection changed after the re-plan is stale and not written", async () => {
    const pki = await testPki();
    const tenant = await openAgainst(emu);
    const plan = await collectionPlan(pki.intermediate.der, null);
    // Another admin writes the collection between the plan and the write.
    emu.state.smimeIssuingCA = sstFromCertificates([pki.otherRoot.der]);
    const r = await executePlan(plan, { directory: undefined, tenant, concurrency: 1 });
    expect(r.outcomes.map((o) => o.outcome)).toEqual(["stale"]);
    expect(held()).toEqual([sha256(pki.otherRoot.der)]);
    await tenant.close();
  });

  it("refuses to add a certificate that is not a CA", async () => {
    const pki = await testPki();
    const tenant = await openAgainst(emu);
    const leaf = (await makeUser(pki.intermediate, { emails: ["alice@example.com"] })).der;
    const plan = await collectionPlan(leaf, null);
    const r = await executePlan(plan, { directory: undefined, tenant, concurrency: 1 });
    expect(r.outcomes.map((o) => [o.outcome, o.message])).toEqual([
      ["failed", expect.stringMatching(/^refused: SMIMECertificateIssuingCA .*is not a CA certificate$/)],
    ]);
    expect(emu.state.smimeIssuingCA).toBeNull();
    await tenant.close();
  });
});

describe("manage with no CA in the policy", () => {
  it("warns and plans no change, so the collection is never cleared", async () => {
    const pki = await testPki();
    const policy = {
      trust: { anchors: [], intermediates: [] },
      requirements: { expiringSoonDays: 30 },
    } as unknown as Policy;
    const view = judgeTrustCollection(
      "manage",
      sstFromCertificates([pki.root.der]),
      policy,
      NOW,
      new CertCache(),
    );
    expect(view.changes).toEqual([]);
    expect(view.objects).toEqual([]);
    expect(view.warnings.map((w) => w.code)).toContain("trust-collection-no-ca");
  });
});

describe("the audit record of a trust-collection apply", () => {
  it("records each CA added or removed, applied, in a record the audit schema accepts", async () => {
    const stranger = await makeRoot({ name: "CN=Old Partner Root CA" });
    emu.state.smimeIssuingCA = sstFromCertificates([stranger.der]);
    const git = (...args: string[]) =>
      execFileSync("git", args, {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
      });
    await (await makeRepo({ dir })).commit("demo");
    const apply = await run(["apply", "--auto-approve"]);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const file = git("show", "--name-only", "--format=", "HEAD").trim();
    const record = JSON.parse(git("show", `HEAD:${file}`)) as unknown;
    expect(isAuditRecord(record)).toBe(true);
    const ca = (record as AuditRecord).changes.filter((c) => c.attribute === "SMIMECertificateIssuingCA");
    expect(ca.find((c) => c.action === "remove")).toMatchObject({
      address: TRUST_COLLECTION_ADDRESS,
      reason: "ca-not-in-repo",
      outcome: "applied",
      certificate: { subject: "CN=Old Partner Root CA" },
    });
    expect(ca.filter((c) => c.action === "publish" && c.outcome === "applied").length).toBeGreaterThan(0);
    expect(held()).not.toContain(sha256(stranger.der));
  });
});
