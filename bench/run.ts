// Scale benchmark: `npm run bench [-- SIZE... [--ldif] [--converged]]` (default 1000; 20000 and
// 100000 are the issue's sizes). --converged generates the organisation as the policy leaves it
// after an apply, so that its plans change nothing: the steady state of a daily run, beside the
// default first run, where nearly every user gets a publication. For each size: the generator's organisation (bench/organisation.ts) is loaded into
// OpenLDAP slapd (bench/slapd.ts, plain LDAP on loopback with `allowInsecure`, made to look like
// AD for change tracking: rootDSE highestCommittedUSN, dsServiceName, invocationId, uSNChanged)
// and the tenant emulator (test/emulator) is seeded with its cloud side.
// Measured in the same run, as child processes under GNU time (wall, CPU, peak RSS), with what
// else the machine ran meanwhile (the emulator, slapd, other jobs):
//   floor   the read floor: an `ldapsearch` paged dump of the same attributes alongside a raw
//           replay of every tenant page `plan` fetched; plus the CPU part of the cold floor: every
//           distinct certificate's signature verified over the cores (bench/verify-floor.mjs);
//           beside them, not a floor: plan's own read alone (bench/read-in-node.mjs)
//   plan    `smimesync plan --out` over LDAP and the emulator: cold (empty cache dir), warm (the
//           same cache dir, read state removed: a full read), after 1% of the users changed in
//           slapd (the same cache dir: incremental when the engine keeps a read state), when it is
//           incremental the full plan of that changed directory (the reference it must equal), and
//           the cold plan on the LDIF export + snapshot files (up to 20,000 users, or with --ldif)
//   startup `node -e 0`, `smimesync --version`, `--help`, `validate` of examples/hybrid
// A table and issue 14's targets (met / missed) are printed and written to
// bench/results/<size>.json (<size>-converged.json). Nothing asserts.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { dnOf } from "../src/demo/organisation.js";
import { parseSnapshot } from "../src/tenant/snapshot/snapshot-format.js";
import { startEmulator } from "../test/emulator/server.js";
import {
  type Measured,
  measure,
  measureHere,
  type Surroundings,
  sampleMachine,
  surroundings,
} from "./measure.js";
import { writeOrganisationData } from "./organisation.js";
import { BASE_DN, BIND_DN, BIND_PASSWORD, type Slapd, startSlapd } from "./slapd.js";
import { type StartupRow, targetsOf, targetsTable } from "./targets.js";

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
/** The engine's read state beside the verdict cache (src/engine/read-state.ts). */
const READ_STATE = /^read-state-.*\.jsonl$/;

export type PlanMeasured = Measured & {
  readonly surroundings: Surroundings;
  /** The plan's stderr lines about its verdict cache and read state. */
  readonly said: readonly string[];
};

export interface BenchRow {
  readonly users: number;
  /** The organisation as the policy leaves it (--converged): its plans change next to nothing. */
  readonly converged: boolean;
  readonly changes: number;
  /** Changes in each plan's file: cold, warm and LDIF-file plans agree; the 1% plans differ. */
  readonly changesByPlan: {
    readonly cold: number;
    readonly warm: number;
    readonly incremental: number;
    readonly fullAfterChange: number;
    /** undefined: the LDIF-file plan was not run (sizes above 20,000 without --ldif). */
    readonly ldifFile: number | undefined;
  };
  /** The 1% plan holds exactly the changes of the full plan of the same directory. */
  readonly incrementalEqualsFull: boolean;
  /** A read state was left in the cache dir by a plan: the engine reads changes only. */
  readonly readStateKept: boolean;
  /** Users changed by the 1% step (their userCertificate removed, uSNChanged raised). */
  readonly changedUsers: number;
  readonly distinctCertificates: number;
  /** Seconds of each step that is not a measurement, to see where a run's time goes. */
  readonly setup: {
    readonly generateS: number;
    readonly writeS: number;
    readonly slapdLoadS: number;
    readonly emulatorSeedS: number;
    readonly changeS: number;
    readonly totalS: number;
  };
  readonly floor: {
    readonly ldapsearch: Measured;
    readonly tenantReplay: Omit<Measured, "peakRssMiB">;
    /** ldapsearch and the tenant replay at once: what reading both sides costs. */
    readonly read: { readonly wallS: number };
    readonly verify: Measured;
    /** read + verify: the cold floor. */
    readonly coldWallS: number;
    /** Not a floor: `plan`'s own read of both sides and nothing else (bench/read-in-node.mjs). */
    readonly nodeRead: Measured;
  };
  readonly plan: {
    readonly cold: PlanMeasured;
    readonly warm: PlanMeasured;
    readonly incremental: PlanMeasured;
    readonly fullAfterChange: PlanMeasured;
    readonly ldifFile: PlanMeasured | undefined;
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

/** Distinct certificate values of the organisation, framed for verify-floor.mjs. */
function distinctCertificates(values: Iterable<Uint8Array>): { framed: Buffer; count: number } {
  const seen = new Map<string, Uint8Array>();
  for (const v of values) seen.set(createHash("sha256").update(v).digest("hex"), v);
  const parts: Buffer[] = [];
  for (const der of seen.values()) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(der.length);
    parts.push(len, Buffer.from(der));
  }
  return { framed: Buffer.concat(parts), count: seen.size };
}

/** The plan's changes, order aside: what two plans of the same directory must agree on. */
async function changesOf(file: string): Promise<string[]> {
  const doc = JSON.parse(await readFile(file, "utf8")) as { changes: unknown[] };
  return doc.changes.map((c) => JSON.stringify(c)).sort();
}

async function removeReadState(cacheDir: string): Promise<boolean> {
  if (!existsSync(cacheDir)) return false;
  const files = (await readdir(cacheDir, { recursive: true })).filter((f) =>
    READ_STATE.test(f.split("/").pop() ?? ""),
  );
  for (const f of files) await rm(join(cacheDir, f), { force: true });
  return files.length > 0;
}

/** BENCH_NODE_FLAGS: node options for every plan (V8 heap tuning, say), space-separated. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");

const since = (t: number) => (performance.now() - t) / 1000;

/**
 * `withLdif`: also the cold plan on the LDIF export + snapshot files, not one of the issue's
 * targets and the slowest plan (both files parsed whole): by default up to 20,000 users only, so
 * that a 100,000-user run stays within 30 minutes on a shared 2-core machine.
 */
export async function benchSize(
  n: number,
  now = new Date(),
  withLdif = n <= 20_000,
  converged = false,
): Promise<BenchRow> {
  const started = performance.now();
  const step = (what: string) => console.log(`  [${since(started).toFixed(0)} s] ${n} users: ${what}`);
  const dir = await mkdtemp(join(tmpdir(), "smimesync-bench-"));
  let slapd: Slapd | undefined;
  try {
    let t = performance.now();
    const { org, seconds: generateS } = await writeOrganisationData(dir, n, now, { converged });
    const writeS = since(t) - generateS;
    step(`organisation generated in ${generateS.toFixed(1)} s, written in ${writeS.toFixed(1)} s`);
    const ldifFile = join(dir, "directory.ldif");
    t = performance.now();
    slapd = await startSlapd(join(dir, "slapd"), ldifFile);
    const slapdLoadS = since(t);
    step(`slapd loaded (slapadd) and started in ${slapdLoadS.toFixed(1)} s`);
    t = performance.now();
    // The parsed snapshot is not kept beside the emulator's state: the bench process stays small.
    const emu = await startEmulator({
      seed: parseSnapshot(await readFile(join(dir, "tenant.json"), "utf8"), "tenant.json"),
    });
    // The tenant's objects were last changed an hour before the plans, not seconds: else every
    // recipient is within the Exchange change cursor's 15-minute safety margin, "changed".
    emu.state.advanceClock(60 * 60 * 1000);
    const emulatorSeedS = since(t);
    step(`tenant emulator seeded in ${emulatorSeedS.toFixed(1)} s`);
    const directory = slapd;
    try {
      await writeFile(join(dir, "emulator-ca.pem"), emu.caPem);
      const tc = emu.tenantConfig();
      await writeFile(
        join(dir, "ldap.yaml"),
        `version: 1
directory:
  url: ${directory.url}
  baseDN: ${BASE_DN}
  bind:
    dn: ${BIND_DN}
    password: \${env:${PASSWORD_ENV}}
  # slapd on loopback speaks plain LDAP; the floor's ldapsearch does the same.
  allowInsecure: true
tenant:
  tenantId: ${tc.tenantId}
  domain: ${tc.domain}
  endpoints:
    graph: ${tc.endpoints?.graph}
    exchange: ${tc.endpoints?.exchange}
    login: ${tc.endpoints?.login}
  auth:
    method: client-secret
    clientId: ${tc.auth?.clientId}
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
      };
      const cacheDir = join(dir, "cache");
      const plan = async (
        label: string,
        config: string,
        out: string,
        cache: string,
      ): Promise<PlanMeasured> => {
        const before = sampleMachine();
        const slapdBefore = directory.cpuS();
        // BENCH_PROFILE_DIR: each plan also writes a V8 CPU profile there (slower; for finding why).
        const profile = process.env.BENCH_PROFILE_DIR
          ? [
              "--cpu-prof",
              `--cpu-prof-dir=${join(process.env.BENCH_PROFILE_DIR, `${n}-${out.replace(/\.json$/, "")}`)}`,
            ]
          : [];
        const m = await measure(
          process.execPath,
          [
            ...profile,
            ...NODE_FLAGS,
            CLI,
            "plan",
            "-c",
            join(dir, config),
            "--out",
            join(dir, out),
            "--cache-dir",
            cache,
          ],
          env,
          true,
        );
        // What the plan said of its verdict cache and read state (which sides read only changes).
        const said = stripVTControlCharacters(m.stderr ?? "")
          .split("\n")
          .filter((l) => /cache|read state|changes only|read whole|incremental|since the last/i.test(l));
        for (const l of said) console.log(`      plan ${label}: ${l.trim()}`);
        const s = surroundings(before, sampleMachine(), m.cpuS, directory.cpuS() - slapdBefore);
        step(
          `plan ${label}: ${m.wallS.toFixed(1)} s wall, ${m.cpuS.toFixed(1)} s CPU, ${m.peakRssMiB.toFixed(0)} MiB` +
            ` (meanwhile: emulator ${s.emulatorCpuS.toFixed(1)} s CPU, slapd ${s.slapdCpuS.toFixed(1)} s, other jobs ${s.othersCpuS.toFixed(1)} s, load ${s.loadAverage.toFixed(1)})`,
        );
        const { stderr: _, ...figures } = m;
        return { ...figures, said, surroundings: s };
      };

      const firstRequest = emu.requests.length;
      const cold = await plan("cold", "ldap.yaml", "plan-cold.json", cacheDir);
      const tenantRequests = emu.requests.slice(firstRequest).filter((r) => r.status === 200 && !r.inBatch);
      // warm: the verdict cache as the cold plan left it, but a full read (no read state).
      const readStateKept = await removeReadState(cacheDir);
      const warm = await plan("warm", "ldap.yaml", "plan-warm.json", cacheDir);

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
        directory.url,
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
      const certs = distinctCertificates(
        [...org.users, ...org.cloudMailboxes].flatMap((u) => u.values.userCertificate),
      );
      await writeFile(join(dir, "certs.bin"), certs.framed);
      const verify = await measure(
        process.execPath,
        [join(ROOT, "bench/verify-floor.mjs"), join(dir, "pki/issuing.pem"), join(dir, "certs.bin")],
        env,
      );
      // Not a floor: what this client stack (ldapts, undici, JSON, the value decoding) pays to read.
      const nodeRead = await measure(
        process.execPath,
        [join(ROOT, "bench/read-in-node.mjs"), join(dir, "ldap.yaml")],
        env,
      );
      step(
        `floors: ldapsearch ${ldapFloor.wallS.toFixed(1)} s, tenant replay ${tenantReplay.wallS.toFixed(1)} s, both ${read.wallS.toFixed(1)} s, verify ${verify.wallS.toFixed(1)} s; plan's own read alone ${nodeRead.wallS.toFixed(1)} s wall, ${nodeRead.cpuS.toFixed(1)} s CPU, ${nodeRead.peakRssMiB.toFixed(0)} MiB`,
      );

      // 1% of the users change as on a DC: certificates removed, uSNChanged above the old highest.
      t = performance.now();
      const changed = org.users
        .filter((u, i) => i % 100 === 50 && u.values.userCertificate.length > 0)
        .map((u) => ({ dn: dnOf(u), changes: "delete: userCertificate\n-\n" }));
      await directory.change(changed);
      const changeS = since(t);
      step(`${changed.length} users changed in slapd (and it restarted) in ${changeS.toFixed(1)} s`);
      const fullCache = join(dir, "cache-full");
      if (readStateKept) {
        // The reference: a copy of the cache without the read state, so that it reads everything.
        await cp(cacheDir, fullCache, { recursive: true });
        await removeReadState(fullCache);
      }
      const incremental = await plan("after 1% changed", "ldap.yaml", "plan-incremental.json", cacheDir);
      // Without a read state the 1% plan is itself a full plan of the changed directory.
      const fullAfterChange = readStateKept
        ? await plan("full, after 1% changed", "ldap.yaml", "plan-full-after-change.json", fullCache)
        : incremental;
      if (!readStateKept)
        await cp(join(dir, "plan-incremental.json"), join(dir, "plan-full-after-change.json"));
      const ldifFilePlan = withLdif
        ? await plan("cold, LDIF file", "smimesync.yaml", "plan-ldif.json", join(dir, "cache-ldif"))
        : undefined;

      const files = {
        cold: await changesOf(join(dir, "plan-cold.json")),
        warm: await changesOf(join(dir, "plan-warm.json")),
        incremental: await changesOf(join(dir, "plan-incremental.json")),
        fullAfterChange: await changesOf(join(dir, "plan-full-after-change.json")),
        ldifFile: withLdif ? await changesOf(join(dir, "plan-ldif.json")) : undefined,
      };
      return {
        users: n,
        converged,
        changes: files.cold.length,
        changesByPlan: {
          cold: files.cold.length,
          warm: files.warm.length,
          incremental: files.incremental.length,
          fullAfterChange: files.fullAfterChange.length,
          ldifFile: files.ldifFile?.length,
        },
        incrementalEqualsFull: JSON.stringify(files.incremental) === JSON.stringify(files.fullAfterChange),
        readStateKept,
        changedUsers: changed.length,
        distinctCertificates: certs.count,
        setup: {
          generateS,
          writeS,
          slapdLoadS,
          emulatorSeedS,
          changeS,
          totalS: since(started),
        },
        floor: {
          ldapsearch: ldapFloor,
          tenantReplay,
          read: { wallS: read.wallS },
          verify,
          coldWallS: read.wallS + verify.wallS,
          nodeRead,
        },
        plan: { cold, warm, incremental, fullAfterChange, ldifFile: ldifFilePlan },
      };
    } finally {
      await emu.close();
    }
  } finally {
    await slapd?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Start-up figures: each command `runs` times, alternating; the fastest of each (least noise). */
export async function measureStartup(runs = 7): Promise<StartupRow> {
  const commands = {
    nodeEmpty: [process.execPath, "-e", "0"],
    version: [process.execPath, CLI, "--version"],
    help: [process.execPath, CLI, "--help"],
    validate: [process.execPath, CLI, "validate", "-c", join(ROOT, "examples/hybrid/smimesync.yaml")],
  } as const;
  const best: Record<string, { wallS: number; cpuS: number }> = {};
  for (let i = 0; i < runs; i++) {
    for (const [name, [cmd, ...args]] of Object.entries(commands)) {
      const m = await measure(cmd, args);
      const b = best[name];
      best[name] =
        b === undefined ? m : { wallS: Math.min(b.wallS, m.wallS), cpuS: Math.min(b.cpuS, m.cpuS) };
    }
  }
  return {
    runs,
    nodeEmpty: best.nodeEmpty!,
    version: best.version!,
    help: best.help!,
    validate: best.validate!,
  };
}

const s = (x: number) => `${x.toFixed(2)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;

export function tableOf(rows: readonly BenchRow[]): string {
  const lines = [
    "| users | distinct certs | floor: ldapsearch (wall / CPU) | floor: tenant replay | read floor (both) | verify floor (2 cores, wall / CPU) | cold floor | plan cold (wall / CPU) | cold / cold floor | plan warm (wall / CPU) | warm / read floor | plan after 1% changed (wall / CPU) | 1% / cold | plan, LDIF file, cold | peak RSS cold / warm / 1% / LDIF | other jobs' CPU during cold / warm / 1% |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const f = r.floor;
    const p = r.plan;
    lines.push(
      `| ${r.users.toLocaleString("en")}${r.converged ? " (converged)" : ""} | ${r.distinctCertificates.toLocaleString("en")} | ${s(f.ldapsearch.wallS)} / ${s(f.ldapsearch.cpuS)} | ${s(f.tenantReplay.wallS)} | ${s(f.read.wallS)} | ${s(f.verify.wallS)} / ${s(f.verify.cpuS)} | ${s(f.coldWallS)} | ${s(p.cold.wallS)} / ${s(p.cold.cpuS)} | ${ratio(p.cold.wallS, f.coldWallS)} | ${s(p.warm.wallS)} / ${s(p.warm.cpuS)} | ${ratio(p.warm.wallS, f.read.wallS)} | ${s(p.incremental.wallS)} / ${s(p.incremental.cpuS)} | ${(100 * (p.incremental.wallS / p.cold.wallS)).toFixed(0)}% | ${p.ldifFile ? s(p.ldifFile.wallS) : "not run"} | ${p.cold.peakRssMiB.toFixed(0)} / ${p.warm.peakRssMiB.toFixed(0)} / ${p.incremental.peakRssMiB.toFixed(0)} / ${p.ldifFile ? p.ldifFile.peakRssMiB.toFixed(0) : "-"} MiB | ${[p.cold, p.warm, p.incremental].map((m) => m.surroundings.othersCpuS.toFixed(0)).join(" / ")} s |`,
    );
  }
  return lines.join("\n");
}

export function machineLine(): string {
  const model = cpus()[0]?.model?.trim() ?? "?";
  return `${cpus().length} × ${model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

if (process.argv[1]?.endsWith("run.ts")) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const machine = machineLine();
  console.log(`smimesync bench: ${machine}`);
  const startup = await measureStartup();
  const rows: BenchRow[] = [];
  const results = new URL("./results/", import.meta.url);
  await mkdir(results, { recursive: true });
  // --converged: the steady state (bench/organisation.ts), saved apart from the first-run figures.
  const converged = process.argv.includes("--converged");
  const fileOf = (size: number) => `${size}${converged ? "-converged" : ""}.json`;
  for (const n of sizes.length > 0 ? sizes : [1000]) {
    const row = await benchSize(n, new Date(), process.argv.includes("--ldif") || n <= 20_000, converged);
    rows.push(row);
    // The 6x-of-20,000 target: this run's 20,000 row, else the one saved by an earlier run.
    const base = rows.find((r) => r.users === 20_000);
    const savedFile = new URL(fileOf(20_000), results);
    const saved =
      n === 20_000 || base !== undefined || !existsSync(savedFile)
        ? undefined
        : (JSON.parse(await readFile(savedFile, "utf8")) as BenchRow & { date: string });
    const targets = targetsOf(
      row,
      startup,
      base
        ? { row: base, source: "this run" }
        : saved
          ? { row: saved, source: `bench/results/${fileOf(20_000)} of ${saved.date}` }
          : undefined,
    );
    const date = new Date().toISOString();
    await writeFile(
      new URL(fileOf(n), results),
      `${JSON.stringify({ date, machine, loadAverageAtEnd: loadavg()[0], ...row, startup, targets }, null, 2)}\n`,
    );
    console.log(tableOf([row]).split("\n")[2]);
    console.log(`\nTargets of issue 14 at ${n.toLocaleString("en")} users (${date}, ${machine}):\n`);
    console.log(targetsTable(targets));
  }
  console.log(`\n${tableOf(rows)}`);
}
