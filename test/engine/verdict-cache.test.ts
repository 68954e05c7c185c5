// The verdict cache between runs (src/engine/verdict-cache.ts) on the demo's organisation: a warm
// plan equals the cold one, changed material or time is judged anew, a bad file is never trusted.
import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import { writeDemo } from "../../src/demo/write-demo.js";
import { resolveCacheDir } from "../../src/engine/cache-dir.js";
import { computePlan } from "../../src/engine/plan-run.js";
import type { Plan } from "../../src/plan/types.js";

const NOW = new Date("2026-03-01T10:00:00Z");

async function demo(): Promise<{ dir: string; cacheDir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "smimesync-vcache-"));
  await writeDemo(dir, NOW);
  return { dir, cacheDir: join(dir, ".cache") };
}

async function plan(dir: string, cacheDir: string | undefined, now = NOW, notes: string[] = []) {
  const loaded = await loadConfig("smimesync.yaml", dir);
  return computePlan(loaded, {
    env: {},
    now,
    ...(cacheDir ? { cache: { dir: cacheDir, note: (l: string) => notes.push(l) } } : {}),
  });
}

/** The plan without what differs from run to run by design. */
function content(p: Plan): string {
  const { createdAt: _c, ...rest } = p;
  return JSON.stringify(rest);
}

async function editConfig(dir: string, edit: (doc: ReturnType<typeof parseDocument>) => void) {
  const doc = parseDocument(await readFile(join(dir, "smimesync.yaml"), "utf8"));
  edit(doc);
  await writeFile(join(dir, "smimesync.yaml"), doc.toString());
}

async function cacheFile(cacheDir: string): Promise<string> {
  const names = (await readdir(cacheDir)).filter((n) => n.endsWith(".jsonl"));
  expect(names).toHaveLength(1);
  return join(cacheDir, names[0]!);
}

describe("verdict cache", () => {
  it("a warm plan equals the cold plan, and is served from the facts without parsing", async () => {
    const { dir, cacheDir } = await demo();
    const none = await plan(dir, undefined);
    const cold = await plan(dir, cacheDir);
    expect(cold.cache?.hits).toBe(0);
    expect(cold.cache?.written).toBeGreaterThan(0);
    const warm = await plan(dir, cacheDir);
    expect(warm.cache?.hits).toBeGreaterThan(0);
    expect(warm.cache?.misses).toBe(0);
    expect(content(warm.plan)).toBe(content(cold.plan));
    expect(content(cold.plan)).toBe(content(none.plan));
    expect(warm.plan.id).toBe(none.plan.id);
  });

  it("time moving on: expiry is judged at the new now from the cached facts", async () => {
    const { dir, cacheDir } = await demo();
    const cold = await plan(dir, cacheDir);
    const later = new Date("2030-01-01T00:00:00Z");
    const warm = await plan(dir, cacheDir, later);
    const fresh = await plan(dir, undefined, later);
    expect(warm.cache?.misses).toBe(0);
    expect(content(warm.plan)).toBe(content(fresh.plan));
    const reasons = [
      ...warm.plan.changes.map((c) => c.reason),
      ...(warm.plan.wouldRemove ?? []).map((c) => c.reason),
    ];
    expect(reasons).toContain("expired");
    expect(content(warm.plan)).not.toBe(content(cold.plan));
  });

  it("a trust anchor, intermediate, CRL or requirement changed: judged under the new policy", async () => {
    const edits: [string, (d: ReturnType<typeof parseDocument>) => void][] = [
      ["anchor removed", (d) => d.setIn(["policy", "trustAnchors"], ["pki/example-root-ca.pem"])],
      [
        "intermediate removed (and its CRL, which it signs)",
        (d) => {
          d.deleteIn(["policy", "intermediates"]);
          d.deleteIn(["policy", "crls"]);
        },
      ],
      ["CRL removed", (d) => d.deleteIn(["policy", "crls"])],
      ["requirement raised", (d) => d.setIn(["policy", "requirements", "emailProtectionEku"], false)],
    ];
    for (const [what, edit] of edits) {
      // Both directions: facts recorded under the old policy must not serve the new one.
      const { dir, cacheDir } = await demo();
      const before = await plan(dir, cacheDir);
      await editConfig(dir, edit);
      const fresh = await plan(dir, undefined);
      const warm = await plan(dir, cacheDir);
      expect(content(fresh.plan), what).not.toBe(content(before.plan));
      expect(content(warm.plan), what).toBe(content(fresh.plan));
      expect(warm.cache?.hits, what).toBe(0);
    }
  });

  it("a corrupted, truncated or foreign file is ignored with one note, and rebuilt", async () => {
    const { dir, cacheDir } = await demo();
    const cold = await plan(dir, cacheDir);
    const file = await cacheFile(cacheDir);
    const good = await readFile(file, "utf8");
    const header = JSON.parse(good.slice(0, good.indexOf("\n"))) as Record<string, unknown>;
    const body = good.slice(good.indexOf("\n") + 1);
    // A forged "fine" subject: edited without the checksum, the file is not used.
    const lines = body.split("\n");
    const forged = lines[0]!.replace(/"subject":"[^"]*"/, '"subject":"CN=Forged"');
    const variants: [string, string, RegExp][] = [
      [
        "corrupted",
        `${good.slice(0, good.indexOf("\n") + 1)}${[forged, ...lines.slice(1)].join("\n")}`,
        /checksum/,
      ],
      ["truncated", good.slice(0, Math.floor(good.length / 2)), /checksum|count/],
      ["foreign version", `${JSON.stringify({ ...header, version: 99 })}\n${body}`, /format 99/],
      ["foreign file", "hello\nworld\n", /not JSON|not a/],
      ["empty", "", /truncated|no header/],
    ];
    for (const [what, text, why] of variants) {
      await writeFile(file, text);
      const notes: string[] = [];
      const r = await plan(dir, cacheDir, NOW, notes);
      expect(notes, what).toHaveLength(1);
      expect(notes[0], what).toMatch(why);
      expect(r.cache?.hits, what).toBe(0);
      expect(content(r.plan), what).toBe(content(cold.plan));
      expect(JSON.stringify(r.plan), what).not.toContain("CN=Forged");
      // Rebuilt: the next run is warm and quiet.
      const again: string[] = [];
      const next = await plan(dir, cacheDir, NOW, again);
      expect(again, what).toEqual([]);
      expect(next.cache?.misses, what).toBe(0);
    }
  });

  it("an entry of the wrong shape under a valid checksum is not used", async () => {
    const { dir, cacheDir } = await demo();
    const cold = await plan(dir, cacheDir);
    const file = await cacheFile(cacheDir);
    const good = await readFile(file, "utf8");
    const nl = good.indexOf("\n");
    const header = JSON.parse(good.slice(0, nl)) as Record<string, unknown>;
    const lines = good.slice(nl + 1).split("\n");
    lines[0] = lines[0]!.replace(/"notAfter":\d+/, '"notAfter":"forever"');
    const body = lines.join("\n");
    const { createHash } = await import("node:crypto");
    const sum = createHash("sha256").update(body).digest("hex");
    await writeFile(file, `${JSON.stringify({ ...header, bodySha256: sum })}\n${body}`);
    const notes: string[] = [];
    const r = await plan(dir, cacheDir, NOW, notes);
    expect(notes.join("\n")).toMatch(/unexpected shape/);
    expect(content(r.plan)).toBe(content(cold.plan));
  });

  it("is bounded: entries over the cap are evicted, least recently used first", async () => {
    const { dir, cacheDir } = await demo();
    const loaded = await loadConfig("smimesync.yaml", dir);
    const r = await computePlan(loaded, {
      env: {},
      now: NOW,
      cache: { dir: cacheDir, note: () => {}, limits: { maxEntries: 5 } },
    });
    expect(r.cache?.written).toBe(5);
    const text = await readFile(await cacheFile(cacheDir), "utf8");
    expect(text.trimEnd().split("\n")).toHaveLength(6);
  });

  it("where it lives: --cache-dir, SMIMESYNC_CACHE_DIR, XDG_CACHE_HOME, ~/.cache; --no-cache", () => {
    const env = { HOME: "/home/u", XDG_CACHE_HOME: "/x", SMIMESYNC_CACHE_DIR: "/s" };
    expect(resolveCacheDir({ cache: true, cacheDir: "c" }, env, "/w", "linux")).toBe("/w/c");
    expect(resolveCacheDir({ cache: true }, env, "/w", "linux")).toBe("/s");
    expect(resolveCacheDir({ cache: true }, { HOME: "/home/u", XDG_CACHE_HOME: "/x" }, "/w", "linux")).toBe(
      "/x/smimesync",
    );
    expect(resolveCacheDir({ cache: true }, { HOME: "/home/u" }, "/w", "linux")).toBe(
      "/home/u/.cache/smimesync",
    );
    expect(resolveCacheDir({ cache: false, cacheDir: "c" }, env, "/w", "linux")).toBeUndefined();
    expect(resolveCacheDir({ cache: true }, {}, "/w", "linux")).toBeUndefined();
  });
});
