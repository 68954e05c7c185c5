// Apply's one line per recipient: results folded from per-change outcomes, and printed by the CLI
// before the summary (the demo's apply).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recipientResults } from "../../src/apply/results.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import type { ChangeOutcome } from "../../src/gitops/audit-record.js";
import { runAt } from "../demo/run.js";
import { adUserAddress, exchangeAddress, fakeCertificate, PlanBuilder } from "../fixtures/plan-builder.js";

const scratch: string[] = [];
afterAll(async () => {
  for (const d of scratch) await rm(d, { recursive: true, force: true });
});

describe("recipientResults", () => {
  const b = new PlanBuilder()
    .adUser("ann@corp.example.com")
    .adUser("bob@corp.example.com")
    .cloudMailbox("cy@corp.example.com")
    .adUser("dee@corp.example.com");
  b.publish(adUserAddress("ann@corp.example.com"), "userCertificate", fakeCertificate({ cn: "Ann" }));
  b.remove(
    adUserAddress("ann@corp.example.com"),
    "userCertificate",
    fakeCertificate({ cn: "Ann old" }),
    "expired",
  );
  b.publish(adUserAddress("bob@corp.example.com"), "userCertificate", fakeCertificate({ cn: "Bob" }));
  b.publish(adUserAddress("bob@corp.example.com"), "userSMIMECertificate", fakeCertificate({ cn: "Bob 2" }));
  b.publish(exchangeAddress("cy@corp.example.com"), "userCertificate", fakeCertificate({ cn: "Cy" }));
  b.publish(adUserAddress("dee@corp.example.com"), "userCertificate", fakeCertificate({ cn: "Dee" }));
  const plan = b.build();
  const idsOf = (address: string) => plan.changes.filter((c) => c.address === address).map((c) => c.id);

  it("gives one result per recipient, in address order, with the reason of what was not applied", () => {
    const outcomes: ChangeOutcome[] = [
      ...idsOf(adUserAddress("ann@corp.example.com")).map((changeId) => ({
        changeId,
        outcome: "applied" as const,
      })),
      ...idsOf(adUserAddress("bob@corp.example.com")).map((changeId) => ({
        changeId,
        outcome: "stale" as const,
        message: "the object changed since the plan",
      })),
      ...idsOf(exchangeAddress("cy@corp.example.com")).map((changeId) => ({
        changeId,
        outcome: "failed" as const,
        message: "HTTP 500",
      })),
      // dee: no outcome at all (apply stopped before it): never reported as applied.
    ];
    expect(recipientResults(plan, outcomes)).toEqual([
      { address: adUserAddress("ann@corp.example.com"), outcome: "applied", published: 1, removed: 1 },
      {
        address: adUserAddress("bob@corp.example.com"),
        outcome: "stale",
        message: "the object changed since the plan",
        notApplied: 2,
      },
      {
        address: adUserAddress("dee@corp.example.com"),
        outcome: "skipped",
        message: "no outcome was recorded",
        notApplied: 1,
      },
      {
        address: exchangeAddress("cy@corp.example.com"),
        outcome: "failed",
        message: "HTTP 500",
        notApplied: 1,
      },
    ]);
  });
});

describe("smimesync apply", () => {
  it("prints one line per recipient before the summary", async () => {
    const NOW = new Date("2031-03-15T10:00:00Z");
    const dir = await mkdtemp(join(tmpdir(), "smimesync-results-"));
    scratch.push(dir);
    await writeDemo(dir, NOW);
    const r = await runAt(NOW, ["apply", "--auto-approve"], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    const summary = lines.findIndex((l) => l.startsWith("Apply complete:"));
    expect(lines[summary]).toBe("Apply complete: 27 applied, 0 stale, 0 failed.");
    const results = lines.filter((l) => /^(applied|stale|failed|skipped|unconfirmed) +\S+: /.test(l));
    expect(results).toHaveLength(7);
    // All of them directly above the summary, sorted by address.
    expect(lines.slice(summary - 7, summary)).toEqual(results);
    expect(results).toContain("applied     ad:user/erin.evans@corp.example.com: 3 published, 13 removed");
    const addresses = results.map((l) => l.split(/ +/)[1]);
    expect(addresses).toEqual([...addresses].sort());
  });
});
