// `smimesync demo`: the example organisation, its plan, and the round trip a newcomer is told to
// try (validate, plan --out, apply, plan again), all in a temporary folder and in-process.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLdif } from "../../src/directory/ldif.js";
import { parseSnapshot } from "../../src/tenant/snapshot/snapshot-format.js";
import { runCli } from "../helpers/cli.js";
import { block, count, runAt } from "./run.js";

// Deliberately far from the wall clock: every date in the demo must follow --now.
const NOW = new Date("2031-03-15T10:00:00Z");
const scratch: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-demo-test-"));
  scratch.push(dir);
  return dir;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe("smimesync demo DIR", () => {
  let dir: string;
  let out: string;

  beforeAll(async () => {
    dir = join(await tempDir(), "demo");
    const r = await runCli(["demo", dir, "--now", NOW.toISOString()]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    out = r.stdout;
  });

  it("writes the config, the directory, the tenant and only public PKI material", async () => {
    const files = (await filesUnder(dir)).map((f) => relative(dir, f)).sort();
    expect(files).toEqual([
      "README.md",
      "certs/frank.fischer.pem",
      "certs/grace.green.pem",
      "certs/pat.partner@supplier.example.pem",
      "directory.ldif",
      "pki/example-issuing-ca.crl",
      "pki/example-issuing-ca.pem",
      "pki/example-root-ca.pem",
      "pki/supplier-root-ca.pem",
      "smimesync.yaml",
      "tenant.json",
    ]);
    for (const f of files) {
      const text = await readFile(join(dir, f), "utf8");
      expect(text, f).not.toMatch(/PRIVATE KEY/);
      const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1]);
      for (const label of labels) expect(["CERTIFICATE", "X509 CRL"], f).toContain(label);
    }
    // The LDIF and the snapshot are what their backends read; synced users are anchored by GUID.
    const ldif = parseLdif(await readFile(join(dir, "directory.ldif"), "utf8"), "directory.ldif");
    const snapshot = parseSnapshot(await readFile(join(dir, "tenant.json"), "utf8"), "tenant.json");
    const alice = ldif.records.find((r) => r.dn.startsWith("CN=Alice Archer,"));
    const guid = alice?.attributes.get("objectguid")?.values[0];
    expect(guid?.length).toBe(16);
    const cloudAlice = snapshot.users.find((u) => u.userPrincipalName === "alice.archer@corp.example.com");
    expect(cloudAlice?.onPremisesImmutableId).toBe(Buffer.from(guid ?? []).toString("base64"));
    expect(cloudAlice?.onPremisesSyncEnabled).toBe(true);
    expect(
      ldif.records.find((r) => r.dn.startsWith("CN=Erin Evans,"))?.attributes.get("usercertificate")?.values,
    ).toHaveLength(16);
    expect(ldif.records.some((r) => r.dn.startsWith("CN=S-MIME Pilot,"))).toBe(true);
  });

  it("prints the plan: publishes for what the repository declares", () => {
    const grace = block(out, "ad:user/grace.green@corp.example.com");
    expect(grace).toMatch(/\+ userCertificate +Grace Green <grace\.green@corp\.example\.com>/);
    expect(grace).toMatch(/# declared-in-repo/);
    expect(grace).toMatch(/\+ userSMIMECertificate +Grace Green .*\n +# derived-pkcs7/);

    const frank = block(out, "exchange:mailbox/frank.fischer@corp.example.com");
    expect(frank).toMatch(/will be updated in Exchange Online/);
    expect(frank).toMatch(/\+ userCertificate +Frank Fischer .*\n +# declared-in-repo/);

    const pat = block(out, "exchange:mail-contact/pat.partner@supplier.example");
    expect(pat).toMatch(/will be created in Exchange Online as mail contact "Pat Partner \(Supplier Ltd\)"/);
    expect(pat).toMatch(/\+ recipient "pat\.partner@supplier\.example"/);
    expect(pat).toMatch(/\+ userCertificate +Pat Partner .*\n +# declared-in-repo/);

    // A synced user whose certificate is in AD gets only the derived PKCS#7.
    const judy = block(out, "ad:user/judy.jones@corp.example.com");
    expect(count(judy, /\n +\+ /)).toBe(1);
    expect(judy).toMatch(/\+ userSMIMECertificate +Judy Jones/);
  });

  it("prints the plan: removals for the pruned reasons", () => {
    const bob = block(out, "ad:user/bob.baker@corp.example.com");
    expect(bob).toMatch(
      /- userCertificate +Bob Baker .*expired 2031-02-08\n +# expired: expired on 2031-02-08/,
    );
    expect(bob).toMatch(/- userSMIMECertificate +Bob Baker .*\n +# expired/);

    const kim = block(out, "ad:user/kim.kowalski@corp.example.com");
    expect(kim).toMatch(
      /- userCertificate +Kim Kowalski .*\n +# revoked: revoked on 2031-03-05, reason keyCompromise/,
    );
    expect(kim).toMatch(/\+ userSMIMECertificate +Kim Kowalski/);
  });

  it("prints the plan: the user with 16 certificates comes down to maxPerUser", () => {
    const erin = block(out, "ad:user/erin.evans@corp.example.com");
    expect(count(erin, /- userCertificate +Erin Evans/)).toBe(13);
    expect(count(erin, /# expired: /)).toBe(4);
    expect(count(erin, /# superseded: /)).toBe(7);
    expect(count(erin, /# over-limit: /)).toBe(2);
    expect(count(erin, /\+ userSMIMECertificate +Erin Evans .*\n +# derived-pkcs7/)).toBe(3);
    expect(out).toMatch(
      /! ad:user\/erin\.evans@corp\.example\.com userCertificate: sync blocked: .*AD holds 16 values.*Exchange Online keeps 15/,
    );
  });

  it("prints the plan: would-remove notes, drift and warnings", () => {
    expect(out).toMatch(/Kept, because prune is disabled for their reasons:/);
    expect(block(out, "ad:user/carol.chen@corp.example.com")).toMatch(
      /# userCertificate +Carol Chen .*\n +# would remove \(prune disabled for weak-signature\): signed with ecdsa-with-SHA1/,
    );
    expect(block(out, "ad:user/dave.dunn@corp.example.com")).toMatch(
      /# would remove \(prune disabled for email-mismatch\): issued to dave\.dunn@corp\.example\.net/,
    );
    expect(out).toMatch(
      /! ad:user\/ivan\.ivanov@corp\.example\.com userCertificate: stale value in the mirror/,
    );
    expect(out).toMatch(/! ad:user\/judy\.jones@corp\.example\.com: no cloud counterpart/);
    expect(out).toMatch(
      /! expiring-soon ad:user\/heidi\.hall@corp\.example\.com: userCertificate: expires on 2031-03-27 \(in 12 days\)/,
    );
    // The lost smartcard's certificate is only in the mirror: never published back.
    expect(block(out, "ad:user/ivan.ivanov@corp.example.com")).toBe("");
    // In order, disabled, excluded: not in the plan at all.
    for (const who of ["alice.archer", "leo.lang", "svc-scanner"]) expect(out).not.toContain(who);
    expect(out).toContain("Plan: 11 to publish, 16 to remove, across 7 recipients.");
    expect(out).toContain(`policy time ${NOW.toISOString().slice(0, 10)} 10:00 UTC`);
  });

  it("says how to go on, in the folder or (under npx) from here", async () => {
    expect(out).toContain(`cd ${dir}\n  smimesync plan --out plan.json`);
    expect(out).toMatch(/smimesync apply plan\.json/);
    expect(out).toMatch(/smimesync show plan\.json/);
    expect(out).toMatch(/smimesync inspect certs\/grace\.green\.pem/);
    const cwd = await tempDir();
    let stdout = "";
    const { main } = await import("../../src/cli/main.js");
    const code = await main(["demo", "npx-demo", "--now", NOW.toISOString()], {
      cwd,
      env: { PATH: process.env.PATH, npm_command: "exec" },
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
    });
    expect(code).toBe(0);
    expect(stdout).not.toContain("cd npx-demo");
    expect(stdout).toContain("npx smimesync plan -c npx-demo/smimesync.yaml --out npx-demo/plan.json");
    expect(stdout).toContain("npx smimesync apply -c npx-demo/smimesync.yaml npx-demo/plan.json");
  });

  it("validates, and apply makes the next plan show no changes", async () => {
    const validate = await runAt(NOW, ["validate"], dir);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);

    const plan = await runAt(NOW, ["plan", "--out", "plan.json"], dir);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Plan: 11 to publish, 16 to remove, across 7 recipients.");

    const apply = await runAt(NOW, ["apply", "plan.json"], dir);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain("Apply complete: 27 applied, 0 stale, 0 failed.");

    // The same plan a second time: apply plans again, finds nothing left to do, and reports the
    // approved changes as no longer planned; nothing is written (the new contact included).
    const before = await readFile(join(dir, "tenant.json"), "utf8");
    const replay = await runAt(NOW, ["apply", "plan.json"], dir);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("No changes. Nothing to apply.");
    expect(replay.stderr.match(/^no longer planned \(not applied\): /gm)).toHaveLength(27);
    expect(await readFile(join(dir, "tenant.json"), "utf8")).toBe(before);

    const again = await runAt(NOW, ["plan", "--detailed-exitcode"], dir);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    // Honest about what stays: not "match the policy" while Exchange Online has not caught up.
    expect(again.stdout).toContain(
      "No changes to make. 5 recipients are waiting for Entra Connect. 1 recipient has other drift (see Drift).",
    );
    expect(again.stdout).not.toContain("match the policy");
    // What stays: the notes (prune is off for them) and the drift no Entra Connect resolves here.
    expect(again.stdout).toMatch(/would remove \(prune disabled for weak-signature\)/);
    expect(again.stdout).toMatch(/erin\.evans@corp\.example\.com userCertificate: stale value in the mirror/);

    const ldif = parseLdif(await readFile(join(dir, "directory.ldif"), "utf8"), "directory.ldif");
    const erin = ldif.records.find((r) => r.dn.startsWith("CN=Erin Evans,"));
    expect(erin?.attributes.get("usercertificate")?.values).toHaveLength(3);
    expect(erin?.attributes.get("usersmimecertificate")?.values).toHaveLength(3);
    const snapshot = parseSnapshot(await readFile(join(dir, "tenant.json"), "utf8"), "tenant.json");
    const pat = snapshot.recipients.find((r) => r.primarySmtpAddress === "pat.partner@supplier.example");
    expect(pat?.kind).toBe("MailContact");
    expect(pat?.userCertificate).toHaveLength(1);
    const frank = snapshot.recipients.find((r) => r.primarySmtpAddress === "frank.fischer@corp.example.com");
    expect(frank?.userCertificate).toHaveLength(1);
    expect(frank?.userSMIMECertificate).toHaveLength(1);
    for (const f of await filesUnder(dir)) expect(await readFile(f, "utf8"), f).not.toMatch(/PRIVATE KEY/);
  });
});

describe("smimesync demo", () => {
  it("without DIR makes a temporary folder, dated by the wall clock, and plan works there", async () => {
    const r = await runCli(["demo"]);
    expect(r.code, r.stderr).toBe(0);
    const made = /Created an example organisation in (\S+):/.exec(r.stdout)?.[1];
    expect(made).toBeDefined();
    const dir = made as string;
    scratch.push(dir);
    expect(dir.startsWith(tmpdir())).toBe(true);
    expect(r.stdout).toContain("Plan: 11 to publish, 16 to remove, across 7 recipients.");
    const plan = await runCli(["plan"], { cwd: dir });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("Plan: 11 to publish, 16 to remove, across 7 recipients.");
  });

  it("refuses a non-empty folder unless --force, and keeps what else is there", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "notes.txt"), "mine\n");
    const refused = await runCli(["demo", dir, "--now", NOW.toISOString()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not empty/);
    expect(refused.stderr).toMatch(/--force/);
    expect(await readdir(dir)).toEqual(["notes.txt"]);

    const forced = await runCli(["demo", dir, "--force", "--now", NOW.toISOString()]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await readFile(join(dir, "notes.txt"), "utf8")).toBe("mine\n");
    expect(await readdir(dir)).toContain("smimesync.yaml");
  });

  it("refuses a --now that is no date", async () => {
    const r = await runCli(["demo", join(await tempDir(), "x"), "--now", "soon"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--now: "soon" is not a date/);
  });
});
