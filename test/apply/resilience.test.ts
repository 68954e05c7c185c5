// Apply under a hostile Exchange Online (the tenant emulator): a 429 storm is ridden out by
// honouring Retry-After; when one recipient's writes keep failing past the retry budget, the
// service is taken as unusable: the apply stops without starting new writes, reports what happened
// to every change (applied, failed, skipped), and a new plan picks up exactly what is left.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EmuRequest } from "../emulator/http-types.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { makeUser, NOW, pem, testPki } from "../fixtures/pki.js";
import { runCli } from "../helpers/cli.js";
import { recordingClock, SECRET_ENV } from "../tenant/helpers.js";

const NAMES = ["ana", "ben", "cy", "dot"];
const address = (n: string) => `${n}@contoso.com`;
let emu: Emulator;
let dir: string;

async function config(): Promise<void> {
  const pki = await testPki();
  await mkdir(join(dir, "certs"), { recursive: true });
  await writeFile(join(dir, "root.pem"), pem("CERTIFICATE", pki.root.der));
  await writeFile(join(dir, "issuing.pem"), pem("CERTIFICATE", pki.intermediate.der));
  for (const n of NAMES) {
    const cert = await makeUser(pki.intermediate, { emails: [address(n)] });
    await writeFile(join(dir, `certs/${n}.pem`), pem("CERTIFICATE", cert.der));
  }
  const t = emu.tenantConfig();
  await writeFile(
    join(dir, "smimesync.yaml"),
    `version: 1
tenant:
  tenantId: ${t.tenantId}
  domain: ${t.domain}
  endpoints: { graph: "${t.endpoints?.graph}", exchange: "${t.endpoints?.exchange}", login: "${t.endpoints?.login}" }
  auth: { method: client-secret, clientId: "${t.auth?.clientId}", clientSecret: "\${env:${SECRET_ENV}}" }
  concurrency: 1
scope:
  cloudOnly: true
repository:
  certificates:
${NAMES.map((n) => `    - { mail: ${address(n)}, files: [certs/${n}.pem] }`).join("\n")}
policy:
  trustAnchors: [root.pem]
  intermediates: [issuing.pem]
`,
  );
}

function cli(args: string[]) {
  return runCli(args, {
    cwd: dir,
    env: { PATH: process.env.PATH, [SECRET_ENV]: emu.app.clientSecret },
    // Retry sleeps are recorded, not waited: the emulator's own log proves the waits elsewhere.
    seams: { now: NOW, backends: { tenant: { transport: { fetch: emu.fetch }, clock: recordingClock() } } },
  });
}

const isSet = (r: EmuRequest) => r.bodyText.includes('"CmdletName":"Set-Mailbox"');
const setCalls = () => emu.requests.filter((r) => r.cmdlet === "Set-Mailbox");
const identityOf = (n: string) =>
  emu.dump().recipients.find((r) => r.primarySmtpAddress === address(n))?.identity;
const published = (n: string) =>
  emu.dump().recipients.find((r) => r.primarySmtpAddress === address(n))?.userCertificate?.length ?? 0;

beforeEach(async () => {
  emu = await startEmulator();
  for (const n of NAMES) emu.state.addUser({ userPrincipalName: address(n) });
  dir = await mkdtemp(join(tmpdir(), "smimesync-resilience-"));
  await config();
  expect((await cli(["plan", "--out", "plan.json"])).code).toBe(0);
});

afterEach(async () => {
  await emu.close();
});

describe("apply against a hostile Exchange Online", () => {
  it("rides out a 429 storm on the writes", async () => {
    emu.inject.throttle("exchange", { count: 5, retryAfterSeconds: 1, match: isSet });
    const r = await cli(["apply", "plan.json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Apply complete: 4 applied, 0 stale, 0 failed\./);
    expect(setCalls().filter((c) => c.status === 429)).toHaveLength(5);
    for (const n of NAMES) expect(published(n)).toBe(1);
  });

  it("writes that keep failing stop the apply: no new write starts, what was written stays, a re-plan converges", async () => {
    const cy = identityOf("cy");
    emu.inject.fault({
      service: "exchange",
      status: 500,
      count: 1000,
      match: (r) => isSet(r) && r.bodyText.includes(String(cy)),
    });
    const r = await cli(["apply", "plan.json"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Apply stopped: \d applied, 0 stale, 1 failed(, \d skipped)?\./);
    expect(r.stderr).toMatch(/failed: exchange:mailbox\/cy@contoso\.com userCertificate publish/);
    // One line per recipient, with the reason, before the summary; skipped ones say why too.
    expect(r.stdout).toMatch(/^failed +exchange:mailbox\/cy@contoso\.com: .+ \(1 change not applied\)\n/m);
    for (const line of r.stdout.split("\n").filter((l) => l.startsWith("skipped")))
      expect(line).toMatch(/^skipped +exchange:mailbox\/\S+: apply stopped before this object: /);
    expect(r.stderr).toMatch(/Error: /);
    // Whatever was written before the stop stays written; nothing was written for cy.
    expect(published("cy")).toBe(0);

    emu.inject.clear();
    const again = await cli(["plan", "--out", "plan2.json", "--format", "json"]);
    const remaining = (JSON.parse(again.stdout) as { changes: { address: string }[] }).changes.map(
      (c) => c.address,
    );
    expect(remaining).toContain("exchange:mailbox/cy@contoso.com");
    expect(remaining.length).toBe(NAMES.filter((n) => published(n) === 0).length);
    expect((await cli(["apply", "plan2.json"])).code).toBe(0);
    const final = await cli(["plan", "--detailed-exitcode"]);
    expect(final.code).toBe(0);
    for (const n of NAMES) expect(published(n)).toBe(1);
  });
});
