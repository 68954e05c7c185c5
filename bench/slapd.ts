// OpenLDAP slapd for the benchmark: the generator's directory loaded offline with slapadd under a
// small schema holding AD's attribute names (bench/msuser.schema), served on a loopback port of its
// own from a folder of its own, and stopped again. Installed with apt-get when missing.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
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
      throw new Error(`apt-get ${args.join(" ")} failed (${r.status}); slapd is needed by the bench`);
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

export interface Slapd {
  readonly url: string;
  /** Runs ldapmodify with an LDIF of changes (the directory changing between runs). */
  modify(ldif: string): void;
  stop(): Promise<void>;
}

/** Loads `ldifFile` (an `ldapsearch -LLL`-style export) into a new slapd under `dir` and starts it. */
export async function startSlapd(dir: string, ldifFile: string): Promise<Slapd> {
  ensureSlapd();
  await mkdir(join(dir, "db"), { recursive: true });
  const conf = join(dir, "slapd.conf");
  await writeFile(
    conf,
    [
      `include ${SCHEMA}`,
      `pidfile ${join(dir, "slapd.pid")}`,
      "modulepath /usr/lib/ldap",
      "moduleload back_mdb",
      "sizelimit unlimited",
      "database mdb",
      "maxsize 34359738368",
      `suffix "${BASE_DN}"`,
      `rootdn "${BIND_DN}"`,
      `rootpw ${BIND_PASSWORD}`,
      `directory ${join(dir, "db")}`,
      "index objectClass eq",
      "index objectGUID eq",
      "",
    ].join("\n"),
  );
  // slapadd wants entries only: no comments, no version line.
  const text = (await readFile(ldifFile, "utf8")).replace(/^#.*\n/gm, "").replace(/^version: 1\n\n?/m, "");
  const input = join(dir, "load.ldif");
  await writeFile(input, text);
  execFileSync("/usr/sbin/slapadd", ["-q", "-f", conf, "-l", input], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const child = spawn("/usr/sbin/slapd", ["-d", "0", "-f", conf, "-h", `${url}/`], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let i = 0; ; i++) {
    const probe = spawnSync(
      "/usr/bin/ldapsearch",
      ["-x", "-H", url, "-b", "", "-s", "base", "(objectClass=*)"],
      {
        stdio: "ignore",
      },
    );
    if (probe.status === 0) break;
    if (i > 100 || child.exitCode !== null) throw new Error(`slapd did not start on ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    modify(ldif) {
      execFileSync("/usr/bin/ldapmodify", ["-x", "-H", url, "-D", BIND_DN, "-w", BIND_PASSWORD], {
        input: ldif,
        stdio: ["pipe", "ignore", "inherit"],
      });
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
