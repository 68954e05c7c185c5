// The pieces every end-to-end test of the `ad` project shares: the config sections that point at
// this run's Samba DC and tenant emulator, and the CLI run in-process against them.
import { readFileSync } from "node:fs";
import { SAMBA_PASSWORD_ENV, sambaFacts } from "../ad/env.js";
import type { Emulator } from "../emulator/server.js";
import type { LdapSource } from "../emulator/sync-simulator.js";
import { NOW } from "../fixtures/pki.js";
import { type CliRun, runCli } from "../helpers/cli.js";
import { SECRET_ENV } from "../tenant/helpers.js";

/** `directory:` of a config: LDAPS to this run's DC with its CA, the password by reference. */
export function directoryYaml(): string {
  const f = sambaFacts();
  return `directory:
  url: ${f.ldapsUrl}
  baseDN: ${f.baseDn}
  bind:
    dn: ${f.adminUpn}
    password: \${env:${SAMBA_PASSWORD_ENV}}
  tls:
    caFile: ${f.caFile}
`;
}

/** `directory:` (LDAPS to the DC with the run's CA) and `tenant:` (the emulator) of a config. */
export function backendsYaml(emu: Emulator): string {
  const t = emu.tenantConfig();
  return `${directoryYaml()}tenant:
  tenantId: ${t.tenantId}
  domain: ${t.domain}
  endpoints:
    graph: ${t.endpoints?.graph}
    exchange: ${t.endpoints?.exchange}
    login: ${t.endpoints?.login}
  auth:
    method: client-secret
    clientId: ${t.auth?.clientId}
    clientSecret: \${env:${SECRET_ENV}}
`;
}

/** The environment that resolves backendsYaml's secret references. */
export function stackEnv(emu: Emulator): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    [SAMBA_PASSWORD_ENV]: sambaFacts().password,
    [SECRET_ENV]: emu.app.clientSecret,
  };
}

/** Runs smimesync in `dir` against the DC and the emulator, at the fixtures' policy time. */
export function stackCli(dir: () => string, emu: () => Emulator): (args: string[]) => Promise<CliRun> {
  return (args) =>
    runCli(args, {
      cwd: dir(),
      env: stackEnv(emu()),
      seams: { now: NOW, backends: { tenant: { transport: { fetch: emu().fetch } } } },
    });
}

/** What the Entra Connect simulator reads: this run's DC over LDAPS, from `baseDn` down. */
export function syncSource(baseDn: string): LdapSource {
  const f = sambaFacts();
  return {
    url: f.ldapsUrl,
    bindDn: f.adminUpn,
    password: f.password,
    caPem: readFileSync(f.caFile, "utf8"),
    baseDn,
  };
}
