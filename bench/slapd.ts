// OpenLDAP slapd for the benchmark: the generator's directory loaded offline with slapadd under a
// small schema holding AD's attribute names (bench/msuser.schema), served on a loopback port of its
// own from a folder of its own, and stopped again. Installed with apt-get when missing.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";

export const BASE_DN = "DC=corp,DC=example,DC=com";
export const BIND_DN = `CN=bench,${BASE_DN}`;
export const BIND_PASSWORD = "bench-password";
const SCHEMA = new URL("./msuser.schema", import.meta.url).pathname;
const TOOLS = ["/usr/sbin/slapd", "/usr/sbin/slapadd", "/usr/bin/ldapsearch", "/usr/bin/ldapmodify"];

/** slapd and ldap-utils, installed without starting the system's own slapd (policy-rc.d). */
export function ensureSlapd(): void {
  if (TOOLS.every((t) => existsSync(t))) return;
  console.log("installing slapd and ldap-utils with apt-get ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive", RUNLEVEL: "1" };
  const apt = (args: string[]) => {
    const r = spawnSync("apt-get", args, { env, stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0)
      throw new Error(
        `apt-get ${args.join(" ")} failed (${r.status}): the bench needs OpenLDAP; install it with\n` +
          "  sudo apt-get install -y slapd ldap-utils\n(Debian/Ubuntu; the system's own slapd need not run)",
      );
  };
  if (spawnSync("apt-get", ["install", "-y", "slapd", "ldap-utils"], { env, stdio: "ignore" }).status !== 0) {
    apt(["update"]);
    apt(["install", "-y", "slapd", "ldap-utils"]);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Where the rootDSE's dsServiceName points, as on a DC: its NTDS Settings object (invocationId). */
export const DS_SERVICE_NAME = `CN=NTDS Settings,CN=DC01,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,${BASE_DN}`;

export interface Slapd {
  readonly url: string;
  /** The NTDS Settings object's invocationId (16 bytes, hex): one per bench directory. */
  readonly invocationId: string;
  /** highestCommittedUSN in the rootDSE now. */
  highestUsn(): number;
  /** CPU seconds (user + system) slapd has used so far, across restarts. */
  cpuS(): number;
  /**
   * Modifies entries as a DC would: each `changes` (LDIF modify operations after `changetype:
   * modify`) lands with the next uSNChanged above highestCommittedUSN, and the rootDSE then shows
   * the new highest. slapd reads its rootDSE file at start only, so this restarts it (same URL).
   */
  change(modifications: readonly { readonly dn: string; readonly changes: string }[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The export made to look like AD for change tracking: uSNChanged on every entry (given one above
 * the highest where it has none) and the DC's NTDS Settings object with its invocationId under
 * CN=Configuration, as AD names it. Returns the LDIF to load and its highest USN.
 */
function adLike(text: string, invocationId: Buffer): { ldif: string; highest: number } {
  const entries = text.split(/\n{2,}/).filter((e) => e.trim() !== "");
  let highest = 0;
  for (const e of entries) {
    const m = /^uSNChanged: (\d+)$/m.exec(e);
    if (m) highest = Math.max(highest, Number(m[1]));
  }
  const out = entries.map((e) => (/^uSNChanged:/m.test(e) ? e : `${e}\nuSNChanged: ${++highest}`));
  const rdns = DS_SERVICE_NAME.slice(0, -BASE_DN.length - 1).split(",");
  for (let i = rdns.length - 1; i >= 0; i--) {
    const dn = `${rdns.slice(i).join(",")},${BASE_DN}`;
    const cn = rdns[i]!.slice(3);
    const leaf = i === 0;
    out.push(
      [
        `dn: ${dn}`,
        "objectClass: top",
        `objectClass: ${leaf ? "nTDSDSA" : "container"}`,
        `cn: ${cn}`,
        ...(leaf ? [`invocationId:: ${invocationId.toString("base64")}`] : []),
        `uSNChanged: ${++highest}`,
      ].join("\n"),
    );
  }
  return { ldif: `${out.join("\n\n")}\n`, highest };
}

function rootDse(highest: number): string {
  return `dn:\nhighestCommittedUSN: ${highest}\ndsServiceName: ${DS_SERVICE_NAME}\ndefaultNamingContext: ${BASE_DN}\n`;
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** utime + stime of a live process, in seconds (0 when it is gone). */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Loads `ldifFile` (an `ldapsearch -LLL`-style export) into a new slapd under `dir` and starts it. */
export async function startSlapd(dir: string, ldifFile: string): Promise<Slapd> {
  ensureSlapd();
  await mkdir(join(dir, "db"), { recursive: true });
  const conf = join(dir, "slapd.conf");
  const rootDseFile = join(dir, "rootdse.ldif");
  await writeFile(
    conf,
    [
      `include ${SCHEMA}`,
      `pidfile ${join(dir, "slapd.pid")}`,
      "modulepath /usr/lib/ldap",
      "moduleload back_mdb",
      "sizelimit unlimited",
      `rootDSE ${rootDseFile}`,
      "database mdb",
      "maxsize 34359738368",
      `suffix "${BASE_DN}"`,
      `rootdn "${BIND_DN}"`,
      `rootpw ${BIND_PASSWORD}`,
      `directory ${join(dir, "db")}`,
      "index objectClass eq",
      "index objectGUID eq",
      // The change search's (uSNChanged>=N): an integer eq index serves ranges too.
      "index uSNChanged eq",
      "",
    ].join("\n"),
  );
  // slapadd wants entries only: no comments, no version line.
  const text = (await readFile(ldifFile, "utf8")).replace(/^#.*\n/gm, "").replace(/^version: 1\n\n?/m, "");
  const invocationId = randomBytes(16);
  const loaded = adLike(text, invocationId);
  let highest = loaded.highest;
  const input = join(dir, "load.ldif");
  await writeFile(input, loaded.ldif);
  await writeFile(rootDseFile, rootDse(highest));
  execFileSync("/usr/sbin/slapadd", ["-q", "-f", conf, "-l", input], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await rm(input);
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  let earlierCpu = 0;
  const launch = async () => {
    const child = spawn("/usr/sbin/slapd", ["-d", "0", "-f", conf, "-h", `${url}/`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    for (let i = 0; ; i++) {
      const probe = spawnSync(
        "/usr/bin/ldapsearch",
        ["-x", "-H", url, "-b", "", "-s", "base", "(objectClass=*)"],
        { stdio: "ignore" },
      );
      if (probe.status === 0) break;
      if (i > 300 || child.exitCode !== null) throw new Error(`slapd did not start on ${url}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      cpuS: () => cpuOf(child.pid),
      async stop() {
        if (child.exitCode === null) {
          child.kill("SIGTERM");
          await exited;
        }
      },
    };
  };
  let running = await launch();
  const stop = async () => {
    earlierCpu += running.cpuS();
    await running.stop();
  };
  return {
    url,
    invocationId: invocationId.toString("hex"),
    highestUsn: () => highest,
    cpuS: () => earlierCpu + running.cpuS(),
    async change(modifications) {
      const ldif = modifications
        .map(
          (m) =>
            `dn: ${m.dn}\nchangetype: modify\n${m.changes.replace(/\n?$/, "\n")}replace: uSNChanged\nuSNChanged: ${++highest}\n-\n`,
        )
        .join("\n");
      execFileSync("/usr/bin/ldapmodify", ["-x", "-H", url, "-D", BIND_DN, "-w", BIND_PASSWORD], {
        input: ldif,
        stdio: ["pipe", "ignore", "inherit"],
        maxBuffer: 1 << 30,
      });
      await writeFile(rootDseFile, rootDse(highest));
      await stop();
      running = await launch();
    },
    stop,
  };
}
