// tenant.smimeConfig.issuingCA: report | manage: plan and report read Exchange Online's S/MIME trust
// collection (here from the demo's tenant snapshot) and say what it lacks, what it holds that the
// repository does not, and which of its CAs expire soon; `ignore` (the default) reads nothing.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readSst, sstFromCertificates } from "../../src/certs/sst.js";
import { makeRoot } from "../fixtures/pki.js";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2031-03-15T10:00:00Z");
const DAY = 86_400_000;
let dir: string;
let baseConfig: string;
let baseTenant: string;

beforeAll(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "smimesync-trust-")), "demo");
  expect((await runCli(["demo", dir, "--now", NOW.toISOString()])).code).toBe(0);
  baseConfig = await readFile(join(dir, "smimesync.yaml"), "utf8");
  baseTenant = await readFile(join(dir, "tenant.json"), "utf8");
}, 120_000);

async function setUp(setting: string | undefined, collection: Uint8Array[] | undefined): Promise<void> {
  const config = setting
    ? baseConfig.replace(
        "  snapshot: tenant.json\n",
        `  snapshot: tenant.json\n  smimeConfig:\n    issuingCA: ${setting}\n`,
      )
    : baseConfig;
  expect(config.includes("issuingCA") === (setting !== undefined)).toBe(true);
  await writeFile(join(dir, "smimesync.yaml"), config);
  const tenant = JSON.parse(baseTenant) as Record<string, unknown>;
  if (collection)
    tenant.smimeConfig = { issuingCA: Buffer.from(sstFromCertificates(collection)).toString("base64") };
  await writeFile(join(dir, "tenant.json"), `${JSON.stringify(tenant, null, 2)}\n`);
}

const run = (args: readonly string[]) => runCli(args, { cwd: dir, seams: { now: NOW } });

async function demoRoot(): Promise<Uint8Array> {
  const pem = await readFile(join(dir, "pki/example-root-ca.pem"), "utf8");
  const body = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(body, "base64"));
}

describe("the tenant's S/MIME trust collection, reported", () => {
  it("warns about configured CAs it lacks, CAs not in the repository and CAs expiring soon; the report lists the tenant's CA", async () => {
    const stranger = await makeRoot({
      name: "CN=Old Partner Root CA",
      notBefore: new Date(NOW.getTime() - 3000 * DAY),
      notAfter: new Date(NOW.getTime() + 10 * DAY),
    });
    await setUp("report", [await demoRoot(), stranger.der]);
    const before = await readFile(join(dir, "tenant.json"), "utf8");
    const plan = await run(["plan", "--format", "json"]);
    expect([0, 2]).toContain(plan.code);
    const warnings = (
      JSON.parse(plan.stdout) as { warnings: { code: string; message: string }[] }
    ).warnings.filter((w) => w.code.startsWith("trust-collection"));
    const codes = warnings.map((w) => w.code).sort();
    // The demo's supplier root and issuing CA are configured but not in the collection.
    expect(codes).toEqual([
      "trust-collection-ca-expiring",
      "trust-collection-foreign-ca",
      "trust-collection-missing-ca",
      "trust-collection-missing-ca",
    ]);
    expect(warnings.find((w) => w.code === "trust-collection-foreign-ca")?.message).toContain(
      "CN=Old Partner Root CA",
    );
    expect(warnings.find((w) => w.code === "trust-collection-ca-expiring")?.message).toMatch(
      /within 30 days/,
    );

    const report = await run(["report", "--format", "json"]);
    expect(report.code, report.stderr).toBe(0);
    const cas = (
      JSON.parse(report.stdout) as {
        caExpiring: { source: string; certificate: { subject: string }; daysLeft: number }[];
      }
    ).caExpiring;
    expect(
      cas.filter((c) => c.source === "tenant-trust").map((c) => [c.certificate.subject, c.daysLeft]),
    ).toEqual([["CN=Old Partner Root CA", 10]]);
    // Reported, never written.
    expect(await readFile(join(dir, "tenant.json"), "utf8")).toBe(before);
  });

  it("an empty collection is a warning of its own", async () => {
    await setUp("report", undefined);
    const plan = await run(["plan", "--format", "json"]);
    const codes = (JSON.parse(plan.stdout) as { warnings: { code: string }[] }).warnings.map((w) => w.code);
    expect(codes).toContain("trust-collection-empty");
  });

  it("ignore (the default) reads nothing and warns about nothing, whatever the collection holds", async () => {
    await setUp(undefined, [new Uint8Array([1, 2, 3])]);
    const plan = await run(["plan", "--format", "json"]);
    const codes = (JSON.parse(plan.stdout) as { warnings: { code: string }[] }).warnings.map((w) => w.code);
    expect(codes.filter((c) => c.startsWith("trust-collection"))).toEqual([]);
    await setUp("report", [new Uint8Array([1, 2, 3])]);
    const unreadable = await run(["plan", "--format", "json"]);
    expect(
      (JSON.parse(unreadable.stdout) as { warnings: { code: string }[] }).warnings.map((w) => w.code),
    ).toContain("trust-collection-unreadable");
  });
});

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function collectionNow(): Promise<string[]> {
  const tenant = JSON.parse(await readFile(join(dir, "tenant.json"), "utf8")) as {
    smimeConfig?: { issuingCA: string | null };
  };
  const b64 = tenant.smimeConfig?.issuingCA;
  if (!b64) return [];
  const read = readSst(new Uint8Array(Buffer.from(b64, "base64")));
  if (!read.ok) throw new Error(read.error.message);
  return read.store.entries
    .filter((e) => e.kind === "certificate")
    .map((e) => sha256(e.value))
    .sort();
}

describe("the tenant's S/MIME trust collection, managed (snapshot tenant)", () => {
  it("plans the CAs to add and remove as their own resource, applies them, and re-plans to no changes", async () => {
    const stranger = await makeRoot({
      name: "CN=Old Partner Root CA",
      notBefore: new Date(NOW.getTime() - 3000 * DAY),
      notAfter: new Date(NOW.getTime() + 10 * DAY),
    });
    await setUp("manage", [await demoRoot(), stranger.der]);
    const plan = await run(["plan", "--out", "plan.json"]);
    expect([0, 2], plan.stderr).toContain(plan.code);
    expect(plan.stdout).toContain("exchange:trust-collection/SMIMECertificateIssuingCA");
    expect(plan.stdout).toMatch(/^ {2}~ trust-collection "[^"]+" \{$/m);
    expect(plan.stdout).toMatch(
      /^ +- SMIMECertificateIssuingCA Old Partner Root CA, thumbprint [0-9A-F]{8}, expires 2031-03-25$/m,
    );
    expect(plan.stdout).toMatch(
      /^ +\+ SMIMECertificateIssuingCA Supplier Ltd Root CA, thumbprint [0-9A-F]{8}, expires /m,
    );
    const doc = JSON.parse(await readFile(join(dir, "plan.json"), "utf8")) as {
      changes: {
        attribute: string;
        action: string;
        reason: string;
        certificate: { sha256: string; subject: string };
      }[];
    };
    const ca = doc.changes.filter((c) => c.attribute === "SMIMECertificateIssuingCA");
    expect(ca.filter((c) => c.action === "remove").map((c) => [c.reason, c.certificate.subject])).toEqual([
      ["ca-not-in-repo", "CN=Old Partner Root CA"],
    ]);
    const adds = ca.filter((c) => c.action === "publish");
    expect(adds.length).toBeGreaterThan(0);
    expect(adds.every((c) => c.reason === "ca-in-repo")).toBe(true);

    const applied = await run(["apply", "plan.json"]);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    const expected = [
      sha256(await demoRoot()),
      ...adds.map((c) => c.certificate.sha256.toLowerCase()),
    ].sort();
    expect(await collectionNow()).toEqual(expected);
    expect(expected).not.toContain(sha256(stranger.der));

    const again = await run(["plan"]);
    expect(again.stdout).toMatch(/No changes/);
    expect(again.stdout).not.toContain("SMIMECertificateIssuingCA");
  });

  it("refuses a plan whose collection changed before apply, and leaves the collection as it was", async () => {
    const stranger = await makeRoot({ name: "CN=Stranger Root CA" });
    await setUp("manage", [stranger.der]);
    const plan = await run(["plan", "--out", "plan.json"]);
    expect([0, 2], plan.stderr).toContain(plan.code);
    // Someone edits the collection by hand after the plan was reviewed.
    const other = await makeRoot({ name: "CN=Hand Added Root CA" });
    await setUp("manage", [stranger.der, other.der]);
    const before = await collectionNow();
    const applied = await run(["apply", "plan.json"]);
    expect(applied.code).not.toBe(0);
    // apply plans again: the hand-added CA's removal was never shown in a reviewed plan.
    expect(applied.stderr).toMatch(
      /refusing to apply: 1 change planned now was not shown in any approved plan\. Nothing was written\.\n {2}- exchange:trust-collection\/SMIMECertificateIssuingCA SMIMECertificateIssuingCA remove: Hand Added Root CA/,
    );
    expect(await collectionNow()).toEqual(before);
  });
});
