// The LDIF backend saves its writes in batches (src/tenant/snapshot/batched-file.ts): many writes
// make one (or a few) atomic rewrites, an edit of the file during the apply is detected and never
// overwritten, writes reported ok are never silently lost, and an apply killed at any moment
// leaves a consistent file holding a prefix of its writes.
import { execFile, spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { guidToText } from "../../src/directory/guid.js";
import { parseLdif } from "../../src/directory/ldif.js";
import { LdifDirectory } from "../../src/directory/ldif-directory.js";
import { isSmimesyncError } from "../../src/errors.js";
import { writeFileAtomic } from "../../src/files/atomic-write.js";
import type { FlushPolicy } from "../../src/files/batched-file.js";

const run = promisify(execFile);
const guid = (n: number) =>
  Buffer.from(Uint8Array.from({ length: 16 }, (_, i) => (i === 14 ? n >> 8 : i === 15 ? n & 0xff : i)));
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
/** The certificate user i starts with, and the one a write adds (binary: written base64). */
const der = (text: string) => Buffer.concat([Buffer.from([0x30, 0x82, 0x00]), Buffer.from(text)]);
const OLD = (i: number) => der(`old${i}`);
const NEW = (i: number) => der(`new${i}`);

function record(i: number, extra = ""): string {
  return `dn: CN=User ${i},OU=Staff,DC=corp,DC=example
objectClass: user
objectGUID:: ${b64(guid(i))}
sAMAccountName: user${i}
userAccountControl: 512
userCertificate:: ${b64(OLD(i))}
${extra}`;
}

/** An export with `n` users, a comment, a folded line and a group no write touches. */
function ldif(n: number): string {
  const users = Array.from({ length: n }, (_, i) => record(i)).join("\n");
  return `# export of DC=corp,DC=example
version: 1

dn: OU=Staff,DC=corp,DC=example
objectClass: organizationalUnit
description: a long description that ldapsearch folds because it is longer than seventy-six ch
 aracters

${users}
dn: CN=Group,DC=corp,DC=example
objectClass: group
member: CN=User 0,OU=Staff,DC=corp,DC=example
`;
}

let dir: string;
let path: string;
let saves: number;
const countingWriter: typeof writeFileAtomic = (p, text, options) => {
  saves++;
  return writeFileAtomic(p, text, options);
};

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ldif-batched-"));
  path = join(dir, "ad.ldif");
  saves = 0;
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function open(flush: Partial<FlushPolicy> = {}): Promise<LdifDirectory> {
  return LdifDirectory.open(path, "objectGUID", { flush, writeFile: countingWriter });
}

const refOf = (i: number) => ({
  objectGuid: guidToText(guid(i)),
  dn: `CN=User ${i},OU=Staff,DC=corp,DC=example`,
});

/** What apply does for one object: read it, write its edit with the plan's fingerprint. */
async function publishNew(d: LdifDirectory, i: number) {
  const current = await d.readObject(refOf(i));
  if (!current) throw new Error(`user ${i} missing`);
  return d.writeValues(
    refOf(i),
    [{ attribute: "userCertificate", add: [NEW(i)], remove: [] }],
    d.fingerprint(current),
  );
}

/** For each user in the file: did a write reach it? */
async function writtenUsers(n: number): Promise<boolean[]> {
  const doc = parseLdif(await readFile(path, "utf8"), path);
  return Array.from({ length: n }, (_, i) => {
    const r = doc.records.find((x) => x.dn === `CN=User ${i},OU=Staff,DC=corp,DC=example`);
    const values = r?.attributes.get("usercertificate")?.values ?? [];
    return values.some((v) => Buffer.from(v).equals(NEW(i)));
  });
}

const blocks = (text: string) => text.split("\n\n");

describe("LdifDirectory batches its writes", () => {
  it("200 writes are one atomic rewrite at close; mode and every untouched line are kept", async () => {
    const original = ldif(200);
    await writeFile(path, original, { mode: 0o640 });
    await chmod(path, 0o640);
    const d = await open();
    for (let i = 0; i < 200; i += 2) expect(await publishNew(d, i)).toEqual({ ok: true });
    expect(saves).toBe(0);
    expect(await readFile(path, "utf8")).toBe(original);
    // read-your-writes before the save
    expect((await d.readObject(refOf(0)))?.values.userCertificate).toHaveLength(2);
    await d.close();
    expect(saves).toBe(1);
    expect(await writtenUsers(200)).toEqual(Array.from({ length: 200 }, (_, i) => i % 2 === 0));
    const text = await readFile(path, "utf8");
    const before = blocks(original);
    const after = blocks(text);
    expect(after).toHaveLength(before.length);
    for (let k = 0; k < before.length; k++) {
      const written = /^dn: CN=User (\d+),/.exec(before[k] as string);
      if (written === null || Number(written[1]) % 2 === 1) expect(after[k]).toBe(before[k]);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await readdir(dir)).toEqual(["ad.ldif"]);
    await d.close(); // a second close has nothing to save
    expect(saves).toBe(1);
  });

  it("saves every N objects, so a process that dies without close leaves a prefix of its writes", async () => {
    await writeFile(path, ldif(30));
    const d = await open({ objects: 10, ms: 60_000, costFactor: 0 });
    for (let i = 0; i < 25; i++) expect(await publishNew(d, i)).toEqual({ ok: true });
    expect(saves).toBe(2);
    // no close: what is on disk is a consistent file with the first 20 writes
    expect(await writtenUsers(30)).toEqual(Array.from({ length: 30 }, (_, i) => i < 20));
    await d.close();
    expect(await writtenUsers(30)).toEqual(Array.from({ length: 30 }, (_, i) => i < 25));
  });

  it("spaces saves out by ten times what the last one took, which keeps a large apply O(N)", async () => {
    await writeFile(path, ldif(100));
    const slowSave: typeof writeFileAtomic = async (p, text, options) => {
      saves++;
      await new Promise((r) => setTimeout(r, 100)); // a large file: a save takes 100 ms
      return writeFileAtomic(p, text, options);
    };
    const d = await LdifDirectory.open(path, "objectGUID", {
      flush: { objects: 5, ms: 60_000 },
      writeFile: slowSave,
    });
    const started = performance.now();
    for (let i = 0; i < 100; i++) await publishNew(d, i);
    const elapsed = performance.now() - started;
    // one save after 5 objects, then at most one per 1.1 s (100 ms + 10 × 100 ms), instead of
    // 19 (one every 5 objects)
    expect(saves).toBeGreaterThanOrEqual(1);
    expect(saves).toBeLessThanOrEqual(1 + Math.floor(elapsed / 1100));
    await d.close();
    expect(await writtenUsers(100)).toEqual(Array.from({ length: 100 }, () => true));
  });

  it("saves writes that wait longer than the time limit, without another write or close", async () => {
    await writeFile(path, ldif(3));
    const d = await open({ objects: 1000, ms: 50 });
    await publishNew(d, 1);
    expect(saves).toBe(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(saves).toBe(1);
    expect(await writtenUsers(3)).toEqual([false, true, false]);
    await d.close();
    expect(saves).toBe(1);
  });

  it("an edit of the file between two writes is seen: the edited object is stale, both edits are kept", async () => {
    await writeFile(path, ldif(3));
    const d = await open();
    const user1 = await d.readObject(refOf(1));
    if (!user1) throw new Error("user 1 missing");
    expect(await publishNew(d, 0)).toEqual({ ok: true });
    // someone else replaces user 1's certificate (the file now differs from what d holds)
    const edited = (await readFile(path, "utf8")).replace(
      `userCertificate:: ${b64(OLD(1))}`,
      `userCertificate:: ${b64(der("other"))}`,
    );
    await writeFile(path, edited);
    const result = await d.writeValues(
      refOf(1),
      [{ attribute: "userCertificate", add: [NEW(1)], remove: [OLD(1)] }],
      d.fingerprint(user1),
    );
    expect(result).toMatchObject({ ok: false, reason: "stale" });
    // the pending write to user 0 was replayed onto the edited file and saved at once
    expect(saves).toBe(1);
    const text = await readFile(path, "utf8");
    expect(text).toContain(b64(der("other")));
    expect(text).toContain(b64(NEW(0)));
    expect(text).not.toContain(b64(NEW(1)));
    expect(await publishNew(d, 2)).toEqual({ ok: true });
    await d.close();
    expect(await writtenUsers(3)).toEqual([true, false, true]);
    expect(await readFile(path, "utf8")).toContain(b64(der("other")));
  });

  it("an edit that touches an object already written (not yet saved) keeps the edit and says so", async () => {
    await writeFile(path, ldif(3));
    const d = await open();
    expect(await publishNew(d, 0)).toEqual({ ok: true });
    expect(await publishNew(d, 1)).toEqual({ ok: true });
    const edited = (await readFile(path, "utf8")).replace(
      `userCertificate:: ${b64(OLD(0))}`,
      "userCertificate:: MIIother",
    );
    await writeFile(path, edited);
    const error = await publishNew(d, 2).catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("PLAN_STALE");
    expect(String(error)).toMatch(/CN=User 0,OU=Staff.*its certificates were changed/);
    // nothing clobbered: the edit stands; the other pending write is saved beside it
    const text = await readFile(path, "utf8");
    expect(text).toContain("userCertificate:: MIIother");
    expect(await writtenUsers(3)).toEqual([false, true, false]);
    await d.close();
    expect(await writtenUsers(3)).toEqual([false, true, false]);
  });

  it("an edit made after the last write is merged at close, not overwritten", async () => {
    await writeFile(path, ldif(3));
    const d = await open();
    await publishNew(d, 0);
    await writeFile(
      path,
      (await readFile(path, "utf8")).replace("sAMAccountName: user2", "sAMAccountName: renamed2"),
    );
    await d.close();
    const text = await readFile(path, "utf8");
    expect(text).toContain("sAMAccountName: renamed2");
    expect(await writtenUsers(3)).toEqual([true, false, false]);
  });

  it("an edit landing while a save is being written is caught before the rename and merged", async () => {
    await writeFile(path, ldif(3));
    let edited = false;
    const d = await LdifDirectory.open(path, "objectGUID", {
      writeFile: async (p, text, options) => {
        saves++;
        if (!edited) {
          edited = true; // someone saves the file while ours is being written
          await writeFile(
            path,
            (await readFile(path, "utf8")).replace("sAMAccountName: user2", "sAMAccountName: renamed2"),
          );
        }
        return writeFileAtomic(p, text, options);
      },
    });
    await publishNew(d, 0);
    await d.close();
    expect(saves).toBe(2); // the first attempt was abandoned before its rename
    expect(await readFile(path, "utf8")).toContain("sAMAccountName: renamed2");
    expect(await writtenUsers(3)).toEqual([true, false, false]);
    expect(await readdir(dir)).toEqual(["ad.ldif"]);
  });

  it("an in-place edit that keeps size and mtime is still caught before a save (content check)", async () => {
    await writeFile(path, ldif(3));
    const mtime = new Date(); // ms precision: utimes can set it back exactly
    await utimes(path, mtime, mtime);
    const d = await open();
    await publishNew(d, 0);
    // same length, same mtime, same inode: stat cannot tell
    const handle = await (await import("node:fs/promises")).open(path, "r+");
    const text = await readFile(path, "utf8");
    await handle.write(text.replace("sAMAccountName: user2", "sAMAccountName: USER2"), 0, "utf8");
    await handle.close();
    await utimes(path, mtime, mtime);
    await d.close();
    const after = await readFile(path, "utf8");
    expect(after).toContain("sAMAccountName: USER2");
    expect(await writtenUsers(3)).toEqual([true, false, false]);
  });

  it("a failed save is FILE_UNWRITABLE with a clear message, keeps the old file, and is retried at close", async () => {
    const original = ldif(3);
    await writeFile(path, original);
    let fail = true;
    const d = await LdifDirectory.open(path, "objectGUID", {
      flush: { objects: 1, costFactor: 0 },
      writeFile: (p, text, options) =>
        fail
          ? Promise.reject(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }))
          : writeFileAtomic(p, text, options),
    });
    expect(await publishNew(d, 0)).toEqual({ ok: true });
    const error = await publishNew(d, 1).catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("FILE_UNWRITABLE");
    expect(String(error)).toMatch(
      /cannot save the LDIF directory .*ad\.ldif \(ENOSPC.*1 write reported applied since the last save/,
    );
    expect(await readFile(path, "utf8")).toBe(original);
    // the backend refuses new writes until it is closed
    expect(await publishNew(d, 2).catch((e: unknown) => isSmimesyncError(e) && e.code)).toBe(
      "FILE_UNWRITABLE",
    );
    fail = false;
    await d.close();
    expect(await writtenUsers(3)).toEqual([true, false, false]);
  });

  it("close reports a save that still fails", async () => {
    await writeFile(path, ldif(2));
    const d = await LdifDirectory.open(path, "objectGUID", {
      writeFile: () => Promise.reject(new Error("EACCES: permission denied")),
    });
    await publishNew(d, 0);
    const error = await d.close().catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("FILE_UNWRITABLE");
    expect(String(error)).toMatch(/EACCES/);
  });

  it("an apply killed between writes leaves a whole file holding the saved prefix of its writes", async () => {
    const n = 400;
    for (const killAt of [7, 100, 311, n]) {
      await writeFile(path, ldif(n));
      const killed = await run(NODE, nodeArgs(await applyScript(n), killAt)).catch((e: unknown) => e);
      expect((killed as { signal?: string; stderr?: string }).stderr ?? "").toBe("");
      expect((killed as { signal?: string }).signal).toBe("SIGKILL");
      // saves happen before writes 15, 30, ...: each holds every write before it
      expect(prefixOf(await writtenUsers(n))).toBe(Math.floor((killAt - 1) / 15) * 15);
      expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    }
  }, 120_000);

  it("an apply killed at a random moment, even during a save, leaves a whole file and a prefix", async () => {
    const n = 1500;
    const script = await applyScript(n);
    for (const delayMs of [0, 50, 200, 600]) {
      await writeFile(path, ldif(n));
      const child = spawn(NODE, nodeArgs(script, -1), { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      const opened = new Promise<void>((r) => child.stdout.once("data", () => r()));
      await Promise.race([opened, exited]);
      expect(stderr).toBe("");
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill("SIGKILL"); // (had it finished already, the file would hold every write)
      await exited;
      expect(stderr).toBe("");
      const written = await writtenUsers(n); // parses: never a torn file
      expect(prefixOf(written) % 15).toBe(0);
      // (a kill between creating the temp file and the rename may leave it; the target is whole)
    }
  }, 120_000);
});

/** Node itself (not the tsx wrapper, which would outlive a kill) with tsx's loader. */
const NODE = process.execPath;
const nodeArgs = (script: string, killAt: number) => ["--import", "tsx", script, String(killAt)];

/** Length of the run of written users at the start; asserts nothing after it was written. */
function prefixOf(written: readonly boolean[]): number {
  const prefix = written.indexOf(false) === -1 ? written.length : written.indexOf(false);
  expect(written.slice(prefix).every((w) => !w)).toBe(true);
  return prefix;
}

/**
 * A script applying one write per user in order, saving every 15 objects, that kills itself
 * (SIGKILL, no close) before write `argv[2]` or after the last one, or never with -1.
 */
async function applyScript(n: number): Promise<string> {
  const script = join(dir, "apply.mts"); // .mts: ESM (top-level await) outside the package
  await writeFile(
    script,
    `import { LdifDirectory } from ${JSON.stringify(resolve("src/directory/ldif-directory.ts"))};
import { guidToText } from ${JSON.stringify(resolve("src/directory/guid.ts"))};
const guid = ${guid.toString()};
const d = await LdifDirectory.open(${JSON.stringify(path)}, "objectGUID", {
  flush: { objects: 15, ms: 60_000, costFactor: 0 },
});
const killAt = Number(process.argv[2]);
process.stdout.write("opened\\n");
for (let i = 0; i < ${n}; i++) {
  if (i === killAt) process.kill(process.pid, "SIGKILL");
  const ref = { objectGuid: guidToText(guid(i)), dn: "" };
  const current = await d.readObject(ref);
  if (!current) throw new Error("missing " + i);
  const add = [Buffer.concat([Buffer.from([0x30, 0x82, 0x00]), Buffer.from("new" + i)])];
  await d.writeValues(ref, [{ attribute: "userCertificate", add, remove: [] }], d.fingerprint(current));
}
if (killAt >= 0) process.kill(process.pid, "SIGKILL");
await d.close();
`,
  );
  return script;
}
