// The main job end to end, through the CLI as an admin runs it: a real Samba AD domain controller,
// the tenant emulator, and the Entra Connect simulator between them. plan shows the expected
// changes; apply plans again and writes AD for synced users and Exchange Online for cloud-only
// ones; an object changed between that re-plan and its write is stale (and only that one); after a
// sync cycle a new plan shows no changes; a tripped guard writes nothing.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { openDirectory } from "../../src/directory/open.js";
import type { Directory, DirectoryRecipient } from "../../src/directory/types.js";
import { executeApply } from "../../src/engine/apply-run.js";
import { parsePlan } from "../../src/plan/plan-file.js";
import { SAMBA_PASSWORD_ENV, sambaFacts } from "../ad/env.js";
import { adminClient, createUser, testOu } from "../ad/seed.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { type LdapSource, runSyncCycle } from "../emulator/sync-simulator.js";
import { daysFromNow, makeUser, NOW, pem, testPki } from "../fixtures/pki.js";
import { forgedPlans } from "../fixtures/plan-builder.js";
import { runCli } from "../helpers/cli.js";
import { backendsYaml, stackCli, stackEnv, syncSource } from "./stack.js";

const suffix = Math.random().toString(36).slice(2, 7);
const mail = (name: string) => `${name}.${suffix}@smimesync.test`;
const hex = (v: Uint8Array) => Buffer.from(v).toString("hex");

let ad: Client;
let ou: string;
let emu: Emulator;
let dir: string;
let source: LdapSource;
const certs: Record<string, Uint8Array> = {};

async function userCert(name: string, o: Parameters<typeof makeUser>[1] = {}): Promise<Uint8Array> {
  return (await makeUser((await testPki()).intermediate, { emails: [mail(name)], ...o })).der;
}

const env = () => stackEnv(emu);
const cli = stackCli(
  () => dir,
  () => emu,
);

function configYaml(extra: { maxRemovals?: number } = {}): string {
  return `version: 1
${backendsYaml(emu)}scope:
  ous:
    - dn: "${ou}"
  cloudOnly: true
  include:
    - attribute: mail
      match: "*.${suffix}@*"
repository:
  certificates:
    - mail: ${mail("carol")}
      files: [certs/carol.pem]
    - mail: ${mail("frank")}
      files: [certs/frank.pem]
policy:
  trustAnchors: [pki/root.pem]
  intermediates: [pki/issuing.pem]
  maxPerUser: 3
  prune:
    expired: true
    email-mismatch: true
safety:
  maxRemovals: ${extra.maxRemovals ?? 100}
  maxRemovalPercent: 100
`;
}

async function readAd(name: string): Promise<DirectoryRecipient> {
  const f = sambaFacts();
  const directory: Directory = await openDirectory(
    {
      url: f.ldapsUrl,
      baseDN: f.baseDn,
      bind: { dn: f.adminUpn, password: `\${env:${SAMBA_PASSWORD_ENV}}` },
      tls: { caFile: f.caFile },
    },
    { baseDir: dir, env: env() },
  );
  try {
    for await (const r of directory.readRecipients({
      ous: [{ dn: ou, scope: "subtree" }],
      groups: [],
      include: [],
      exclude: [],
      includeDisabled: true,
    })) {
      if (r.sAMAccountName === `${name}${suffix}`) return r;
    }
  } finally {
    await directory.close();
  }
  throw new Error(`${name} not found`);
}

function mailboxValues(address: string): string[] {
  const r = emu.dump().recipients.find((x) => x.primarySmtpAddress.toLowerCase() === address.toLowerCase());
  return [...(r?.userCertificate ?? [])].map((b) => hex(Buffer.from(b, "base64")));
}

beforeAll(async () => {
  const pki = await testPki();
  ad = await adminClient();
  ou = await testOu(ad, `plan-apply-${suffix}`);
  certs.aliceValid = await userCert("alice");
  certs.aliceExpired = await userCert("alice", {
    notBefore: daysFromNow(-400),
    notAfter: daysFromNow(-5),
    slot: 3,
  });
  certs.bobWrongMail = await makeUser(pki.intermediate, { emails: ["somebody-else@smimesync.test"] }).then(
    (c) => c.der,
  );
  certs.carolRepo = await userCert("carol");
  certs.daveValid = await userCert("dave");
  certs.daveExpired = await userCert("dave", {
    notBefore: daysFromNow(-400),
    notAfter: daysFromNow(-5),
    slot: 4,
  });
  certs.frankRepo = await userCert("frank");
  const users: [string, Uint8Array[]][] = [
    ["alice", [certs.aliceValid, certs.aliceExpired]],
    ["bob", [certs.bobWrongMail]],
    ["carol", []],
    ["dave", [certs.daveValid, certs.daveExpired]],
  ];
  for (const [name, values] of users) {
    await createUser(ad, ou, {
      cn: `${name} ${suffix}`,
      sAMAccountName: `${name}${suffix}`,
      userPrincipalName: mail(name),
      mail: mail(name),
      proxyAddresses: [`SMTP:${mail(name)}`],
      userCertificate: values,
    });
  }
  source = syncSource(ou);
  emu = await startEmulator();
  emu.state.addUser({ userPrincipalName: mail("frank") }); // a cloud-only mailbox
  await runSyncCycle(source, emu.state);

  dir = await mkdtemp(join(tmpdir(), "smimesync-e2e-"));
  const { mkdir } = await import("node:fs/promises");
  await mkdir(join(dir, "pki"));
  await mkdir(join(dir, "certs"));
  await writeFile(join(dir, "pki/root.pem"), pem("CERTIFICATE", pki.root.der));
  await writeFile(join(dir, "pki/issuing.pem"), pem("CERTIFICATE", pki.intermediate.der));
  await writeFile(join(dir, "certs/carol.pem"), pem("CERTIFICATE", certs.carolRepo));
  await writeFile(join(dir, "certs/frank.pem"), pem("CERTIFICATE", certs.frankRepo));
  await writeFile(join(dir, "smimesync.yaml"), configYaml());
});

afterAll(async () => {
  await emu?.close();
  await ad?.unbind();
});

describe("plan and apply against Samba AD and the tenant emulator", () => {
  it("validates the config", async () => {
    const r = await cli(["validate"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("plans exactly the expected changes, at each recipient's authority", async () => {
    const r = await cli(["plan", "--out", "plan.json", "--detailed-exitcode", "--format", "json"]);
    expect(r.code).toBe(2);
    const plan = JSON.parse(r.stdout) as {
      changes: { address: string; action: string; reason: string; authority: string }[];
    };
    expect(plan.changes.map((c) => `${c.action} ${c.address} ${c.reason} @${c.authority}`).sort()).toEqual(
      [
        `remove ad:user/${mail("alice")} expired @ad`,
        `remove ad:user/${mail("bob")} email-mismatch @ad`,
        `publish ad:user/${mail("carol")} declared-in-repo @ad`,
        `remove ad:user/${mail("dave")} expired @ad`,
        `publish exchange:mailbox/${mail("frank")} declared-in-repo @exchange`,
      ].sort(),
    );
    // Secrets are resolved only inside the backends: never in the plan or the output.
    const saved = await readFile(join(dir, "plan.json"), "utf8");
    for (const secret of [sambaFacts().password, emu.app.clientSecret]) {
      expect(saved).not.toContain(secret);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    const text = await cli(["show", "plan.json"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Plan: 2 to publish, 3 to remove, across 5 recipients\./);
  });

  it("refuses re-sealed plans at the DC: no private key, no garbage, no other person's certificate, no redirected write", async () => {
    const plan = parsePlan(await readFile(join(dir, "plan.json"), "utf8"), "plan.json");
    const target = plan.changes.find(
      (c) => c.address === `ad:user/${mail("carol")}` && c.action === "publish",
    );
    const other = plan.changes.find((c) => c.address === `exchange:mailbox/${mail("frank")}`);
    const victim = plan.objects.find((o) => o.address === `ad:user/${mail("alice")}`);
    if (!target || !other || !victim) throw new Error("plan.json lacks carol, frank or alice");
    const privateKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({
      format: "der",
      type: "pkcs8",
    });
    const forged = forgedPlans(plan, target, {
      privateKey: new Uint8Array(privateKey),
      otherCertificate: Buffer.from(other.value as string, "base64"),
      otherObject: victim,
    });
    const loaded = await loadConfig("smimesync.yaml", dir);
    const before = [(await readAd("carol")).values, (await readAd("alice")).values];
    for (const f of forged) {
      const r = await executeApply(loaded, f.plan, {
        env: env(),
        tenant: { transport: { fetch: emu.fetch } },
      });
      expect(
        r.outcomes.map((o) => o.outcome),
        f.kind,
      ).toEqual(["failed"]);
      expect(r.outcomes[0]?.message, f.kind).toMatch(/^refused: /);
    }
    expect([(await readAd("carol")).values, (await readAd("alice")).values]).toEqual(before);
  });

  it("applies: a value changed between the re-plan and the write makes that object stale, the others are written", async () => {
    // Another writer changes dave after apply planned again, just before its write.
    const daveDn = (await readAd("dave")).dn;
    const other = await userCert("dave", { slot: 5 });
    let raced = false;
    const r = await runCli(["apply", "plan.json"], {
      cwd: dir,
      env: env(),
      seams: {
        now: NOW,
        backends: {
          tenant: { transport: { fetch: emu.fetch } },
          ldapHooks: {
            beforeModify: async (dn) => {
              if (dn !== daveDn || raced) return;
              raced = true;
              // It replaces dave's expired certificate with a new one: apply's delete finds the
              // value gone, and the object is reported stale rather than written blindly.
              await ad.modify(daveDn, [
                new Change({
                  operation: "delete",
                  modification: new Attribute({
                    type: "userCertificate",
                    values: [Buffer.from(certs.daveExpired as Uint8Array)],
                  }),
                }),
                new Change({
                  operation: "add",
                  modification: new Attribute({ type: "userCertificate", values: [Buffer.from(other)] }),
                }),
              ]);
            },
          },
        },
      },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Apply complete: 4 applied, 1 stale, 0 failed\./);
    expect(r.stderr).toMatch(
      new RegExp(`stale: ad:user/${mail("dave").replace(/\./g, "\\.")} userCertificate remove`),
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `^stale +ad:user/${mail("dave").replace(/\./g, "\\.")}: .+ \\(1 change not applied\\)$`,
        "m",
      ),
    );

    expect((await readAd("alice")).values.userCertificate.map(hex)).toEqual([
      hex(certs.aliceValid as Uint8Array),
    ]);
    expect((await readAd("bob")).values.userCertificate).toEqual([]);
    expect((await readAd("carol")).values.userCertificate.map(hex)).toEqual([
      hex(certs.carolRepo as Uint8Array),
    ]);
    // Stale: dave holds what the other writer left, untouched by apply.
    expect((await readAd("dave")).values.userCertificate.map(hex).sort()).toEqual(
      [hex(certs.daveValid as Uint8Array), hex(other)].sort(),
    );
    // Cloud-only: written in Exchange Online.
    expect(mailboxValues(mail("frank"))).toEqual([hex(certs.frankRepo as Uint8Array)]);
    // Synced users were not written in the cloud: the mirror still shows alice's expired value.
    expect(mailboxValues(mail("alice"))).toContain(hex(certs.aliceExpired as Uint8Array));
  });

  it("converges: the approved plan applied again has nothing left, and after a sync cycle plan shows no changes", async () => {
    const again = await cli(["apply", "plan.json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/No changes\. Nothing to apply\./);
    expect(again.stderr.match(/^no longer planned \(not applied\): /gm)).toHaveLength(5);
    // Written in AD, not yet in Exchange Online: status says so (no git here, hence --all).
    const pending = await cli(["status", "--all"]);
    expect(pending.code, pending.stderr).toBe(2);
    expect(pending.stdout).toMatch(
      new RegExp(
        `^pending +ad:user/${mail("alice").replace(/\./g, "\\.")}: userCertificate: Exchange Online still shows 1 value that AD no longer holds`,
        "m",
      ),
    );
    expect(pending.stdout).not.toMatch(/^blocked /m);
    await runSyncCycle(source, emu.state);
    const synced = await cli(["status", "--all"]);
    expect(synced.stdout).toMatch(/^Status: all \d+ recipients synced/m);
    expect(synced.code).toBe(0);
    const final = await cli(["plan", "--detailed-exitcode"]);
    expect(final.stdout).toMatch(/No changes\./);
    expect(final.code).toBe(0);
    // The sync carried AD's values up: the mirror now matches.
    expect(mailboxValues(mail("alice"))).toEqual([hex(certs.aliceValid as Uint8Array)]);
  });

  it("a tripped guard writes nothing: plan exits 1, apply refuses the plan", async () => {
    const erin = await userCert("erin", { notBefore: daysFromNow(-400), notAfter: daysFromNow(-5), slot: 6 });
    await createUser(ad, ou, {
      cn: `erin ${suffix}`,
      sAMAccountName: `erin${suffix}`,
      userPrincipalName: mail("erin"),
      mail: mail("erin"),
      proxyAddresses: [`SMTP:${mail("erin")}`],
      userCertificate: [erin],
    });
    await writeFile(join(dir, "smimesync.yaml"), configYaml({ maxRemovals: 0 }));
    const planned = await cli(["plan", "--out", "guarded.json"]);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toMatch(
      /safety guard max-removals: the plan removes 1 certificate values, more than safety\.maxRemovals \(0\)/,
    );
    const applied = await cli(["apply", "guarded.json"]);
    expect(applied.code).toBe(1);
    expect(applied.stderr).toMatch(/refusing to apply: safety guard max-removals/);
    expect((await readAd("erin")).values.userCertificate.map(hex)).toEqual([hex(erin)]);
  });

  it("applies from the current config: an edited config is planned again, and only what the approval showed is written", async () => {
    // guarded.json showed erin's removal; the config now allows it, so apply writes it.
    await writeFile(join(dir, "smimesync.yaml"), configYaml({ maxRemovals: 50 }));
    const applied = await cli(["apply", "guarded.json"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 1 applied, 0 stale, 0 failed\./);
    expect((await readAd("erin")).values.userCertificate).toEqual([]);
  });
});
