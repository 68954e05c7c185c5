// `smimesync report` on the demo organisation (offline backends, in-process CLI, pinned time):
// the figures the demo is built to show, every format, --out, bad --weeks, the coverage line of
// the demo and of plan's markdown, and that the "after this plan" figure is what apply produces.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/report/types.js";
import { compileSchema } from "../../src/schemas/compile.js";
import { runAt } from "../demo/run.js";
import { runCli } from "../helpers/cli.js";

const NOW = new Date("2031-03-15T10:00:00Z");
let root: string;
let dir: string;
let demoOut: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "smimesync-report-cli-"));
  dir = join(root, "demo");
  const r = await runCli(["demo", dir, "--now", NOW.toISOString()]);
  expect(r.code, r.stderr).toBe(0);
  demoOut = r.stdout;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const json = async (): Promise<Report> => {
  const r = await runAt(NOW, ["report", "--format", "json"], dir);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
};
const byMail = (report: Report, local: string) =>
  report.recipients.find((x) => x.mail?.startsWith(`${local}@`));

describe("smimesync report on the demo", () => {
  it("prints the coverage line in the demo, before and after its plan", () => {
    expect(demoOut).toMatch(
      /^Coverage: 6 of 12 recipients \(50\.0%\) can receive encrypted mail; .* → after this plan: 8 of 12 recipients/m,
    );
  });

  it("writes nothing: the directory and the tenant stay byte for byte", async () => {
    const files = ["directory.ldif", "tenant.json", "smimesync.yaml"];
    const before = await Promise.all(files.map((f) => readFile(join(dir, f))));
    for (const format of ["text", "markdown", "json", "csv", "html"]) {
      const r = await runAt(NOW, ["report", "--format", format], dir);
      expect(r.code, r.stderr).toBe(0);
    }
    const after = await Promise.all(files.map((f) => readFile(join(dir, f))));
    for (const [i, bytes] of after.entries()) expect(bytes.equals(before[i]!), files[i]).toBe(true);
  });

  it("judges each demo recipient as the demo's story says", async () => {
    const report = await json();
    expect(compileSchema<Report>("report")(report)).toBe(true);
    expect(report.figures).toMatchObject({ inScope: 12, covered: 6, pending: 1, none: 5, blocked: 1 });
    expect(byMail(report, "judy.jones")?.status).toBe("pending");
    expect(byMail(report, "carol.chen")?.note).toMatch(/^weak-signature:/);
    expect(byMail(report, "dave.dunn")?.note).toMatch(/^email-mismatch:/);
    // Sixteen values in AD: Entra Connect stopped exporting, Exchange still shows older ones.
    expect(byMail(report, "erin.evans")).toMatchObject({ status: "covered", blockers: ["over-limit"] });
    expect(byMail(report, "heidi.hall")?.status).toBe("covered");
    expect(report.figures.expiring.d30).toBe(1);
    expect(report.forecast[1]?.recipients.map((e) => e.mail)).toEqual(["heidi.hall@corp.example.com"]);
    expect(report.figures.pruned).toBe(16);
  });

  it("renders text by default and each format on request", async () => {
    const text = await runAt(NOW, ["report"], dir);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Coverage: 6 of 12 recipients \(50\.0%\)/m);
    expect(text.stdout).toMatch(/^ {2}W2 +\S+ +1 █+$/m);
    const md = await runAt(NOW, ["report", "--format", "markdown"], dir);
    expect(md.stdout).toMatch(/^## smimesync report\n/);
    expect(md.stdout).toContain("```mermaid\nxychart-beta\n");
    const csv = await runAt(NOW, ["report", "--format", "csv", "--weeks", "8"], dir);
    expect(csv.stdout.split("\r\n").filter((l) => l !== "")).toHaveLength(13);
  });

  it("writes --out atomically, choosing the format from the extension", async () => {
    const r = await runAt(NOW, ["report", "--out", "coverage.html"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("Wrote the report (html) to coverage.html.");
    const html = await readFile(join(dir, "coverage.html"), "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html.match(/<rect class="bar/g)).toHaveLength(26);
  });

  it("refuses a bad --weeks with a message and a hint, no stack trace", async () => {
    for (const bad of ["0", "521", "ten", "2.5"]) {
      const r = await runAt(NOW, ["report", "--weeks", bad], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--weeks: "${bad}" is not a number of weeks from 1 to 520`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("plan's markdown shows the coverage before and after; after apply the report agrees", async () => {
    const md = await runAt(NOW, ["plan", "--format", "markdown"], dir);
    const line = /^Coverage: (.*) → after this plan: (.*)$/m.exec(md.stdout);
    expect(line, md.stdout.slice(0, 600)).not.toBeNull();
    const text = await runAt(NOW, ["plan"], dir);
    expect(text.stdout).not.toContain("after this plan");

    const saved = await runAt(NOW, ["plan", "--out", "plan.json"], dir);
    expect(saved.code, saved.stderr).toBe(0);
    const apply = await runAt(NOW, ["apply", "plan.json"], dir);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const after = await runAt(NOW, ["report"], dir);
    expect(after.stdout).toContain(`Coverage: ${line?.[2]}.`);
  });
});
