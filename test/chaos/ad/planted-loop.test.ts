// The planted value of issue 15 on a real DC: any user may write their own userSMIMECertificate,
// so one of them plants a PKCS#7 of 20 CA certificates that cross-sign each other in loops. `plan`
// must still finish (the test's timeout, no wall-clock assert), give that value the verdict
// chain-too-complex, and plan the other users as usual.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "ldapts";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Plan } from "../../../src/plan/types.js";
import { serializeSnapshot } from "../../../src/tenant/snapshot/snapshot-format.js";
import { SAMBA_PASSWORD_ENV, sambaFacts } from "../../ad/env.js";
import { adminClient, createUser, testOu } from "../../ad/seed.js";
import { directoryYaml, syncSource } from "../../e2e/stack.js";
import { EmulatorState } from "../../emulator/state.js";
import { runSyncCycle } from "../../emulator/sync-simulator.js";
import { loopPkcs7 } from "../../fixtures/loop-pkcs7.js";
import { makeUser, NOW, pem, testPki } from "../../fixtures/pki.js";
import { runCli } from "../../helpers/cli.js";

const suffix = Math.random().toString(36).slice(2, 6);
const mail = (name: string) => `${name}.${suffix}@smimesync.test`;
let ad: Client;
let dir: string;
let loopBytes: number;

beforeAll(async () => {
  const pki = await testPki();
  ad = await adminClient();
  const ou = await testOu(ad, "chaos-planted");
  const { value } = await loopPkcs7({ cas: 20, email: mail("mallory") });
  loopBytes = value.length;
  const good = await makeUser(pki.intermediate, { emails: [mail("alice")] });
  await createUser(ad, ou, {
    cn: `mallory ${suffix}`,
    sAMAccountName: `mallory${suffix}`,
    mail: mail("mallory"),
    userSMIMECertificate: [value],
  });
  await createUser(ad, ou, {
    cn: `alice ${suffix}`,
    sAMAccountName: `alice${suffix}`,
    mail: mail("alice"),
    userCertificate: [good.der],
  });
  const tenant = new EmulatorState("6a5e2c1d-0000-4000-8000-00000000c4a1", "smimesync.onmicrosoft.com");
  await runSyncCycle(syncSource(ou), tenant);
  dir = await mkdtemp(join(tmpdir(), "smimesync-planted-"));
  await mkdir(join(dir, "pki"));
  await writeFile(join(dir, "pki/root.pem"), pem("CERTIFICATE", pki.root.der));
  await writeFile(join(dir, "pki/issuing.pem"), pem("CERTIFICATE", pki.intermediate.der));
  await writeFile(join(dir, "tenant.json"), serializeSnapshot(tenant.toSnapshot()));
  await writeFile(
    join(dir, "smimesync.yaml"),
    `version: 1
${directoryYaml()}tenant:
  snapshot: tenant.json
scope:
  ous:
    - dn: "${ou}"
policy:
  trustAnchors: [pki/root.pem]
  intermediates: [pki/issuing.pem]
  publish:
    userCertificate: true
    userSMIMECertificate: derive
`,
  );
}, 120_000);

afterAll(async () => {
  await ad?.unbind();
  if (dir) await rm(dir, { recursive: true, force: true });
  console.log(
    `planted value (Samba DC): a ${loopBytes}-byte PKCS#7 of 20 cross-signed CAs in userSMIMECertificate; plan finished with verdict chain-too-complex`,
  );
});

it("plan finishes with a plan; the loop PKCS#7 gets chain-too-complex and the other user is planned", {
  timeout: 90_000,
}, async () => {
  const r = await runCli(["plan", "--format", "json", "--detailed-exitcode"], {
    cwd: dir,
    env: { PATH: process.env.PATH, [SAMBA_PASSWORD_ENV]: sambaFacts().password },
    seams: { now: NOW },
  });
  // 2: a plan with changes (alice's derived PKCS#7), not an error and not a stall.
  expect(r.code, r.stderr).toBe(2);
  const plan = JSON.parse(r.stdout) as Plan;
  const mallory = [...plan.changes, ...plan.wouldRemove].filter((c) =>
    c.address.endsWith(`/mallory${suffix}@smimesync.test`),
  );
  expect(mallory.map((c) => `${c.attribute} ${c.action} ${c.reason}`)).toEqual([
    "userSMIMECertificate remove chain-too-complex",
  ]);
  expect(
    plan.changes.filter((c) => c.address.endsWith(`/alice${suffix}@smimesync.test`)).map((c) => c.reason),
  ).toEqual(["derived-pkcs7"]);
});
