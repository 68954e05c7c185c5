// Scale benchmark: `npm run bench [-- SIZE...]` (default 1000; 20000 and 100000 are the issue's
// sizes). For each size: the generator's organisation (bench/organisation.ts) is loaded into
// OpenLDAP slapd (bench/slapd.ts, plain LDAP on loopback with `allowInsecure`, as both the floor
// and smimesync use it) and the tenant emulator (test/emulator) is seeded with its cloud side.
// Measured in the same run, as child processes under GNU time (wall, CPU, peak RSS):
//   floor   the read floor: an `ldapsearch` paged dump of the same attributes alongside a raw
//           replay of every tenant page `plan` fetched; plus the CPU part of the cold floor: every
//           distinct certificate's signature verified over the cores (bench/verify-floor.mjs)
//   plan    `smimesync plan --out` over LDAP and the emulator: cold, again (warm), and after 1%
//           of the users changed in slapd; and the same plan on the LDIF export + snapshot files
// A table is printed and the numbers written to bench/results/<size>.json. Nothing asserts.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseLdif } from "../src/directory/ldif.js";
import { parseSnapshot } from "../src/tenant/snapshot/snapshot-format.js";
import { startEmulator } from "../test/emulator/server.js";
import { type Measured, measure, measureHere } from "./measure.js";
import { writeOrganisation } from "./organisation.js";
import { BASE_DN, BIND_DN, BIND_PASSWORD, startSlapd } from "./slapd.js";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = join(ROOT, "bin/smimesync.js");
const PASSWORD_ENV = "BENCH_LDAP_PASSWORD";
const SECRET_ENV = "BENCH_TENANT_SECRET";
const LDAP_ATTRIBUTES = [
  "objectClass",
  "objectGUID",
  "mS-DS-ConsistencyGuid",
  "distinguishedName",
  "sAMAccountName",
  "userPrincipalName",
  "mail",
  "proxyAddresses",
  "userAccountControl",
  "uSNChanged",
  "userCertificate",
  "userSMIMECertificate",
];
const RECIPIENTS = "(|(&(objectClass=user)(!(objectClass=computer)))(objectClass=contact))";

export interface BenchRow {
  readonly users: number;
  readonly changes: number;
  /** Changes in each plan's file: cold, warm and LDIF-file plans agree; the 1% plan differs. */
  readonly changesByPlan: {
    readonly cold: number;
    readonly warm: number;
    readonly incremental: number;
    readonly ldifFile: number;
  };
  readonly distinctCertificates: number;
  readonly floor: {
    readonly ldapsearch: Measured;
    readonly tenantReplay: Omit<Measured, "peakRssMiB">;
    /** ldapsearch and the tenant replay at once: what reading both sides costs. */
    readonly read: { readonly wallS: number };
    readonly verify: Measured;
    /** read + verify: the cold floor. */
    readonly coldWallS: number;
  };
  readonly plan: {
    readonly cold: Measured;
    readonly warm: Measured;
    readonly incremental: Measured;
    readonly ldifFile: Measured;
  };
}

function policyYaml(): string {
  return `policy:
  trustAnchors: [pki/root.pem]
  intermediates: [pki/issuing.pem]
  publish:
    userCertificate: true
    userSMIMECertificate: derive
  maxPerUser: 3
  prune:
    expired: true
    superseded: true
safety:
  maxRemovals: 1000000
  maxRemovalPercent: 100
`;
}

/** Distinct certificate values of the directory export, framed for verify-floor.mjs. */
async function distinctCertificates(ldifFile: string): Promise<{ framed: Buffer; count: number }> {
  const seen = new Map<string, Uint8Array>();
  for (const record of parseLdif(await readFile(ldifFile, "utf8"), ldifFile).records) {
    for (const v of record.attributes.get("usercertificate")?.values ?? []) {
      seen.set(createHash("sha256").update(v).digest("hex"), v);
    }
  }
  const parts: Buffer[] = [];
  for (const der of seen.values()) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(der.length);
    parts.push(len, Buffer.from(der));
  }
  return { framed: Buffer.concat(parts), count: seen.size };
}

/** The LDIF that changes 1% of the users: their certificates removed, uSNChanged raised. */
function onePercentChange(ldifDns: readonly string[], step: number): string {
  return ldifDns
    .filter((_, i) => i % 100 === 50)
    .map(
      (dn) =>
        `dn: ${dn}\nchangetype: modify\ndelete: userCertificate\n-\nreplace: uSNChanged\nuSNChanged: ${9_000_000 + step}\n-\n`,
    )
    .join("\n");
}

export async function benchSize(n: number, now = new Date()): Promise<BenchRow> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-bench-"));
  try {
    const seconds = await writeOrganisation(dir, n, now);
    console.log(`${n} users: organisation generated in ${seconds.toFixed(1)} s`);
    const ldifFile = join(dir, "directory.ldif");
    const slapd = await startSlapd(join(dir, "slapd"), ldifFile);
    const snapshot = parseSnapshot(await readFile(join(dir, "tenant.json"), "utf8"), "tenant.json");
    const emu = await startEmulator({ seed: snapshot });
    try {
      await writeFile(join(dir, "emulator-ca.pem"), emu.caPem);
      const t = emu.tenantConfig();
      await writeFile(
        join(dir, "ldap.yaml"),
        `version: 1
directory:
  url: ${slapd.url}
  baseDN: ${BASE_DN}
  bind:
    dn: ${BIND_DN}
    password: \${env:${PASSWORD_ENV}}
  # slapd on loopback speaks plain LDAP; the floor's ldapsearch does the same.
  allowInsecure: true
tenant:
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
scope:
  ous:
    - dn: OU=Staff,${BASE_DN}
${policyYaml()}`,
      );
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_EXTRA_CA_CERTS: join(dir, "emulator-ca.pem"),
        [PASSWORD_ENV]: BIND_PASSWORD,
        [SECRET_ENV]: emu.app.clientSecret,
        XDG_CACHE_HOME: join(dir, "cache"),
      };
      const plan = (config: string, out: string) =>
        measure(process.execPath, [CLI, "plan", "-c", join(dir, config), "--out", join(dir, out)], env);

      const firstRequest = emu.requests.length;
      const cold = await plan("ldap.yaml", "plan-cold.json");
      const tenantRequests = emu.requests.slice(firstRequest).filter((r) => r.status === 200);
      const warm = await plan("ldap.yaml", "plan-warm.json");

      const replay = async () => {
        // Each service's pages in order (a page names the next), both services at once, as plan does.
        const byService = new Map<string, typeof tenantRequests>();
        for (const r of tenantRequests) byService.set(r.service, [...(byService.get(r.service) ?? []), r]);
        await Promise.all(
          [...byService.values()].map(async (list) => {
            for (const r of list) {
              const res = await emu.fetch(r.url, {
                method: r.method,
                headers: r.headers,
                ...(r.body === undefined
                  ? {}
                  : { body: typeof r.body === "string" ? r.body : JSON.stringify(r.body) }),
              });
              await res.text();
            }
          }),
        );
      };
      const ldapsearchArgs = [
        "-x",
        "-LLL",
        "-H",
        slapd.url,
        "-D",
        BIND_DN,
        "-w",
        BIND_PASSWORD,
        "-E",
        "pr=1000/noprompt",
        "-b",
        `OU=Staff,${BASE_DN}`,
        RECIPIENTS,
        ...LDAP_ATTRIBUTES,
      ];
      const ldapFloor = await measure("/usr/bin/ldapsearch", ldapsearchArgs, env);
      const tenantReplay = await measureHere(replay);
      const read = await measureHere(() =>
        Promise.all([measure("/usr/bin/ldapsearch", ldapsearchArgs, env), replay()]),
      );
      const certs = await distinctCertificates(ldifFile);
      await writeFile(join(dir, "certs.bin"), certs.framed);
      const verify = await measure(
        process.execPath,
        [join(ROOT, "bench/verify-floor.mjs"), join(dir, "pki/issuing.pem"), join(dir, "certs.bin")],
        env,
      );

      const userDns = parseLdif(await readFile(ldifFile, "utf8"), ldifFile)
        .records.filter((r) => r.attributes.has("usercertificate"))
        .map((r) => r.dn);
      slapd.modify(onePercentChange(userDns, 1));
      const incremental = await plan("ldap.yaml", "plan-incremental.json");
      const ldifFilePlan = await plan("smimesync.yaml", "plan-ldif.json");

      const changesOf = async (file: string) =>
        (JSON.parse(await readFile(join(dir, file), "utf8")) as { changes: unknown[] }).changes.length;
      const changesByPlan = {
        cold: await changesOf("plan-cold.json"),
        warm: await changesOf("plan-warm.json"),
        incremental: await changesOf("plan-incremental.json"),
        ldifFile: await changesOf("plan-ldif.json"),
      };
      return {
        users: n,
        changes: changesByPlan.cold,
        changesByPlan,
        distinctCertificates: certs.count,
        floor: {
          ldapsearch: ldapFloor,
          tenantReplay,
          read: { wallS: read.wallS },
          verify,
          coldWallS: read.wallS + verify.wallS,
        },
        plan: { cold, warm, incremental, ldifFile: ldifFilePlan },
      };
    } finally {
      await emu.close();
      await slapd.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const s = (x: number) => `${x.toFixed(2)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;

export function tableOf(rows: readonly BenchRow[]): string {
  const lines = [
    "| users | distinct certs | floor: ldapsearch (wall / CPU) | floor: tenant replay | read floor (both) | verify floor (2 cores, wall / CPU) | cold floor | plan cold (wall / CPU) | cold / cold floor | plan warm | warm / read floor | plan after 1% changed | 1% / cold | plan, LDIF file | peak RSS cold / warm / LDIF |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const f = r.floor;
    const p = r.plan;
    lines.push(
      `| ${r.users.toLocaleString("en")} | ${r.distinctCertificates.toLocaleString("en")} | ${s(f.ldapsearch.wallS)} / ${s(f.ldapsearch.cpuS)} | ${s(f.tenantReplay.wallS)} | ${s(f.read.wallS)} | ${s(f.verify.wallS)} / ${s(f.verify.cpuS)} | ${s(f.coldWallS)} | ${s(p.cold.wallS)} / ${s(p.cold.cpuS)} | ${ratio(p.cold.wallS, f.coldWallS)} | ${s(p.warm.wallS)} | ${ratio(p.warm.wallS, f.read.wallS)} | ${s(p.incremental.wallS)} | ${(100 * (p.incremental.wallS / p.cold.wallS)).toFixed(0)}% | ${s(p.ldifFile.wallS)} | ${p.cold.peakRssMiB.toFixed(0)} / ${p.warm.peakRssMiB.toFixed(0)} / ${p.ldifFile.peakRssMiB.toFixed(0)} MiB |`,
    );
  }
  return lines.join("\n");
}

if (process.argv[1]?.endsWith("run.ts")) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}`;
  console.log(`smimesync bench: ${machine}`);
  const rows: BenchRow[] = [];
  for (const n of sizes.length > 0 ? sizes : [1000]) {
    const row = await benchSize(n);
    rows.push(row);
    const results = new URL("./results/", import.meta.url);
    await mkdir(results, { recursive: true });
    await writeFile(
      new URL(`${n}.json`, results),
      `${JSON.stringify({ date: new Date().toISOString(), machine, ...row }, null, 2)}\n`,
    );
    console.log(tableOf([row]).split("\n")[2]);
  }
  console.log(`\n${tableOf(rows)}`);
}
