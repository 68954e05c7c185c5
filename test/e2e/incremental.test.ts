// Incremental plans against a real Samba AD DC and the tenant emulator: after random changes on
// both sides, a plan that reads only what changed since the last one (the read state in the
// cache directory) equals a plan that reads both sides whole. Seeded, several rounds in a row.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sambaFacts } from "../ad/env.js";
import { addBinaryValues, adminClient, createOu, createUser, setText, testOu } from "../ad/seed.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { type LdapSource, runSyncCycle } from "../emulator/sync-simulator.js";
import { daysFromNow, makeUser, pem, testPki } from "../fixtures/pki.js";
import { prng } from "../helpers/prng.js";
import { backendsYaml, stackCli, syncSource } from "./stack.js";

const suffix = Math.random().toString(36).slice(2, 7);
const mail = (name: string) => `${name}.${suffix}@smimesync.test`;

const SEED = 20261203;

interface AdPerson {
  readonly name: string;
  dn: string;
  inOu: boolean;
  certs: Uint8Array[];
}

let ad: Client;
let ou: string;
let elsewhere: string;
let emu: Emulator;
let dir: string;
let source: LdapSource;
const people: AdPerson[] = [];
let counter = 0;

const cli = stackCli(
  () => dir,
  () => emu,
);

async function cert(name: string, expired = false): Promise<Uint8Array> {
  const pki = await testPki();
  const o = expired ? { notBefore: daysFromNow(-400), notAfter: daysFromNow(-5) } : {};
  return (await makeUser(pki.intermediate, { emails: [mail(name)], ...o })).der;
}

async function newPerson(random: () => number): Promise<void> {
  const name = `p${counter++}`;
  const certs = random() < 0.7 ? [await cert(name, random() < 0.3)] : [];
  const dn = await createUser(ad, ou, {
    cn: `${name} ${suffix}`,
    sAMAccountName: `${name}${suffix}`,
    userPrincipalName: mail(name),
    mail: mail(name),
    proxyAddresses: [`SMTP:${mail(name)}`],
    userCertificate: certs,
  });
  people.push({ name, dn, inOu: true, certs });
}

function configYaml(): string {
  return `version: 1
${backendsYaml(emu)}scope:
  ous:
    - dn: "${ou}"
  cloudOnly: true
  include:
    - attribute: mail
      match: "*.${suffix}@*"
policy:
  trustAnchors: [pki/root.pem]
  intermediates: [pki/issuing.pem]
  maxPerUser: 3
  prune:
    expired: true
    email-mismatch: true
safety:
  maxRemovals: 1000
  maxRemovalPercent: 100
`;
}

/** One random change in AD. */
async function changeAd(random: () => number): Promise<string> {
  const pick = () => people[Math.floor(random() * people.length)] as AdPerson;
  const p = pick();
  switch (Math.floor(random() * 7)) {
    case 0: {
      const c = await cert(p.name, random() < 0.4);
      await addBinaryValues(ad, p.dn, "userCertificate", [c]);
      p.certs.push(c);
      return `add a certificate to ${p.name}`;
    }
    case 1: {
      const c = p.certs.pop();
      if (!c) return changeAd(random);
      await ad.modify(
        p.dn,
        new Change({
          operation: "delete",
          modification: new Attribute({ type: "userCertificate", values: [Buffer.from(c)] }),
        }),
      );
      return `remove a certificate of ${p.name}`;
    }
    case 2:
      await newPerson(random);
      return "create a user";
    case 3:
      await ad.del(p.dn);
      people.splice(people.indexOf(p), 1);
      return `delete ${p.name}`;
    case 4: {
      const to = p.inOu ? elsewhere : ou;
      const dn = `CN=${p.name} ${suffix},${to}`;
      await ad.modifyDN(p.dn, dn);
      p.dn = dn;
      p.inOu = !p.inOu;
      return `move ${p.name} ${p.inOu ? "into" : "out of"} the OU`;
    }
    case 5:
      await setText(ad, p.dn, "userAccountControl", [random() < 0.5 ? "514" : "512"]);
      return `disable or enable ${p.name}`;
    default: {
      const other = random() < 0.5 ? mail(`${p.name}x`) : mail(p.name);
      await setText(ad, p.dn, "mail", [other]);
      return `change the mail of ${p.name}`;
    }
  }
}

/** One random change in the tenant (cloud-only users and mailboxes; synced ones come from AD). */
async function changeTenant(random: () => number): Promise<string> {
  const cloudOnly = [...emu.state.users.values()].filter((u) => u.onPremisesSyncEnabled !== true);
  const u = cloudOnly[Math.floor(random() * cloudOnly.length)];
  const kind = u === undefined ? 0 : Math.floor(random() * 4);
  switch (kind) {
    case 0: {
      const name = `c${counter++}`;
      emu.state.addUser({ userPrincipalName: mail(name) });
      return `add cloud-only ${name}`;
    }
    case 1: {
      const r = emu.state.recipientOfUser((u as { id: string }).id);
      if (!r) return changeTenant(random);
      const name = (u as { userPrincipalName: string }).userPrincipalName.split(".")[0] ?? "x";
      const added = await cert(name, random() < 0.5);
      emu.state.editRecipient(r.guid, (x) => {
        x.userSMIMECertificate = [...x.userSMIMECertificate, added];
      });
      return `add a certificate to the mailbox of ${name}`;
    }
    case 2: {
      emu.state.deleteUser((u as { id: string }).id);
      return "delete a cloud-only user and its mailbox";
    }
    default: {
      const r = emu.state.recipientOfUser((u as { id: string }).id);
      if (!r) return changeTenant(random);
      emu.state.deleteRecipient(r.guid);
      return "remove a mailbox only";
    }
  }
}

type PlanDoc = { createdAt: string; changes: unknown[] } & Record<string, unknown>;

async function plan(args: string[]): Promise<{ doc: PlanDoc; stderr: string }> {
  const r = await cli(["plan", "--format", "json", ...args]);
  if (r.code !== 0) throw new Error(`plan ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return { doc: JSON.parse(r.stdout) as PlanDoc, stderr: r.stderr };
}

/** The plan without what differs between two runs by design (its time, and the hash over it). */
function content(doc: PlanDoc): Record<string, unknown> {
  const { createdAt: _c, integrity: _i, ...rest } = doc;
  return rest;
}

beforeAll(async () => {
  const pki = await testPki();
  ad = await adminClient();
  ou = await testOu(ad, `incremental-${suffix}`);
  elsewhere = await createOu(ad, sambaFacts().baseDn, `incremental-out-${suffix}`);
  const random = prng(SEED);
  for (let i = 0; i < 12; i++) await newPerson(random);
  source = syncSource(ou);
  emu = await startEmulator();
  for (let i = 0; i < 4; i++) emu.state.addUser({ userPrincipalName: mail(`c${counter++}`) });
  await runSyncCycle(source, emu.state);
  dir = await mkdtemp(join(tmpdir(), "smimesync-incremental-"));
  await mkdir(join(dir, "pki"));
  await writeFile(join(dir, "pki/root.pem"), pem("CERTIFICATE", pki.root.der));
  await writeFile(join(dir, "pki/issuing.pem"), pem("CERTIFICATE", pki.intermediate.der));
  await writeFile(join(dir, "smimesync.yaml"), configYaml());
}, 120_000);

afterAll(async () => {
  await emu?.close();
  await ad?.unbind();
});

describe(`incremental plans (seed ${SEED})`, () => {
  it("the first plan with a cache directory reads both sides whole and equals a plan without one", async () => {
    const first = await plan(["--cache-dir", ".cache"]);
    expect(first.stderr).not.toContain("Read only what changed");
    const full = await plan(["--no-cache"]);
    expect(content(first.doc)).toEqual(content(full.doc));
  });

  it("after each round of random changes on both sides, reads only changes and equals a full plan", async () => {
    const random = prng(SEED + 1);
    for (let round = 1; round <= 4; round++) {
      const done: string[] = [];
      for (let i = 0; i < 5; i++) done.push(await changeAd(random));
      for (let i = 0; i < 3; i++) done.push(await changeTenant(random));
      // Entra Connect exports AD's changes most rounds, not all: the sides may disagree for a while.
      if (round !== 2) await runSyncCycle(source, emu.state);
      const incremental = await plan(["--cache-dir", ".cache"]);
      const full = await plan(["--no-cache"]);
      expect(incremental.stderr, `round ${round}: ${done.join("; ")}`).toMatch(
        /Read only what changed since the last plan: AD \d+ changed objects, Entra ID \d+ changed users, Exchange \d+ changed recipients/,
      );
      expect(content(incremental.doc), `round ${round}: ${done.join("; ")}`).toEqual(content(full.doc));
    }
  });

  it("--full-read reads whole and the next plan reads changes again", async () => {
    const whole = await plan(["--cache-dir", ".cache", "--full-read"]);
    expect(whole.stderr).not.toContain("Read only what changed");
    const next = await plan(["--cache-dir", ".cache"]);
    expect(next.stderr).toContain("Read only what changed");
    expect(content(next.doc)).toEqual(content(whole.doc));
  });

  it("apply reads both sides whole, and the plan after it reads its writes as changes", async () => {
    const applied = await cli(["apply", "--auto-approve", "--cache-dir", ".cache"]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).not.toContain("Read only what changed");
    await runSyncCycle(source, emu.state);
    const next = await plan(["--cache-dir", ".cache"]);
    expect(next.stderr).toContain("Read only what changed");
    const full = await plan(["--no-cache"]);
    expect(content(next.doc)).toEqual(content(full.doc));
    expect(next.doc.changes).toEqual([]);
  });
});
