// vitest globalSetup of the `ad` project: one Samba AD DC per test run, on its own loopback address
// (test/ad/samba.sh), its facts provided to the tests as `inject("samba")` (see env.ts).
//
// SMIMESYNC_SAMBA_FACTS=/path/facts.json reuses a DC started by hand with `test/ad/samba.sh up`
// (faster edit-run cycles); such a DC is left running, since this run did not start it.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import type { SambaFacts } from "./facts.js";

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "samba.sh");

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const reuse = process.env.SMIMESYNC_SAMBA_FACTS;
  if (reuse !== undefined && reuse !== "") {
    project.provide("samba", JSON.parse(readFileSync(reuse, "utf8")) as SambaFacts);
    return undefined;
  }
  const started = Date.now();
  let stdout: string;
  try {
    ({ stdout } = await run("bash", [SCRIPT, "up"], { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 }));
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`test/ad/samba.sh up failed: ${err.message}\n${err.stderr ?? ""}`);
  }
  const facts = JSON.parse(stdout) as SambaFacts;
  console.log(
    `[ad] Samba DC ${facts.realm} on ${facts.ip} ready in ${Date.now() - started} ms (${facts.dir})`,
  );
  project.provide("samba", facts);
  return async () => {
    if (process.env.SMIMESYNC_SAMBA_KEEP === "1") {
      console.log(
        `[ad] kept running: SMIMESYNC_SAMBA_FACTS=${facts.dir}/facts.json; stop with test/ad/samba.sh down ${facts.dir}`,
      );
      return;
    }
    await run("bash", [SCRIPT, "down", facts.dir]);
  };
}
