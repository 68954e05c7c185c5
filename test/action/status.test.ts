// The apply mode's status-wait: after the apply, `smimesync status --wait` for what it wrote,
// posted on the merged pull request and in the job summary. Against the offline snapshot tenant,
// whose mirror values only change when this test plays Entra Connect (copies AD's values up): once
// that has happened during the wait the result is synced; when it never happens the step fails
// naming the recipient still pending.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { simpleGit } from "simple-git";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { openDirectory } from "../../src/directory/open.js";
import { directoryScope } from "../../src/engine/settings.js";
import type { SnapshotDocument } from "../../src/tenant/snapshot/snapshot-format.js";
import { removeTempDirs } from "../gitops/helpers.js";
import { DECLARE, declare, type World, world } from "./harness.js";

afterAll(removeTempDirs);

let w: World;
beforeEach(async () => {
  w = await world();
});
afterEach(async () => {
  await w.close();
});

const LONG = { timeout: 400_000 };
const GRACE = "ad:user/grace.green@corp.example.com";
const comments = (n: number) => w.gh.issues.get(n)?.comments ?? [];
const statusComment = (n: number) =>
  comments(n).find((c) => c.body.startsWith("<!-- smimesync-status:smimesync.yaml part 1 -->"));
const originMain = async () => (await simpleGit().raw(["--git-dir", w.origin, "rev-parse", "main"])).trim();

/** One Entra Connect cycle on the snapshot: each AD user's values copied to its synced mailbox. */
async function syncSnapshot(): Promise<void> {
  const loaded = await loadConfig(join(w.dev, "smimesync.yaml"), w.dev);
  if (!loaded.config.directory) throw new Error("no directory");
  const directory = await openDirectory(loaded.config.directory, { baseDir: w.dev, env: {} });
  const file = join(w.state, "tenant.json");
  const snap = JSON.parse(readFileSync(file, "utf8")) as SnapshotDocument;
  const b64 = (vs: readonly Uint8Array[]) => vs.map((v) => Buffer.from(v).toString("base64"));
  const byMail = new Map<string, { userCertificate: string[]; userSMIMECertificate: string[] }>();
  try {
    for await (const r of directory.readRecipients(directoryScope(loaded))) {
      if (r.kind !== "user" || !r.mail) continue;
      byMail.set(r.mail.toLowerCase(), {
        userCertificate: b64(r.values.userCertificate),
        userSMIMECertificate: b64(r.values.userSMIMECertificate),
      });
    }
  } finally {
    await directory.close();
  }
  const recipients = snap.recipients.map((r) => {
    const ad = r.isDirSynced ? byMail.get(r.primarySmtpAddress.toLowerCase()) : undefined;
    return ad ? { ...r, ...ad } : r;
  });
  // Whole file at once: the action may be reading it.
  writeFileSync(`${file}.tmp`, JSON.stringify({ ...snap, recipients }, null, 2));
  renameSync(`${file}.tmp`, file);
}

async function mergedGracePull(): Promise<{ number: number; merged: string }> {
  const pr = await w.openPull("Publish Grace's new certificate", (c) => declare(c, DECLARE.grace));
  const plan = await w.planJob(pr.number);
  expect(plan.code, plan.log).toBe(0);
  return { number: pr.number, merged: await w.merge(pr.number) };
}

describe("the bundled action's apply with status-wait", () => {
  it("posts synced once Entra Connect has carried the apply up during the wait", LONG, async () => {
    const { number, merged } = await mergedGracePull();
    const job = w.applyJob(merged, { "status-wait": "10m" });
    // Entra Connect runs once the apply has pushed its audit record (the status wait has begun).
    let done = false;
    void job.finally(() => (done = true));
    while (!done && (await originMain()) === merged) await new Promise((r) => setTimeout(r, 200));
    expect(done).toBe(false);
    await syncSnapshot();
    const apply = await job;

    expect(apply.code, apply.log).toBe(0);
    expect(apply.outputs).toMatchObject({ result: "applied", status: "synced" });
    const body = statusComment(number)?.body ?? "";
    expect(body).toContain(`| ${GRACE} | ✅ synced |`);
    expect(body).toMatch(/\*\*All \d+ recipients? synced/);
    expect(apply.summary).toContain(`| ${GRACE} | ✅ synced |`);
    // The apply result is its own comment, posted as before.
    expect(comments(number).some((c) => c.body.startsWith("<!-- smimesync-apply:"))).toBe(true);
  });

  it("fails the step naming the recipient when Entra Connect never runs", LONG, async () => {
    const { number, merged } = await mergedGracePull();
    const apply = await w.applyJob(merged, { "status-wait": "1s" });

    expect(apply.code).toBe(1);
    expect(apply.outputs).toMatchObject({ result: "applied", status: "pending" });
    expect(apply.log).toMatch(
      new RegExp(`::error::Entra Connect has not carried .* within 1 s: still pending: [^\\n]*${GRACE}`),
    );
    const body = statusComment(number)?.body ?? "";
    expect(body).toContain(`| ${GRACE} | ⏳ pending |`);
    expect(body).toMatch(/timed out after waiting 1 s/);
    expect(apply.summary).toContain(`| ${GRACE} | ⏳ pending |`);
  });
});
