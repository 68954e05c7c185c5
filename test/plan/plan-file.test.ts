import { mkdtemp, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { isSmimesyncError, type SmimesyncError } from "../../src/errors.js";
import { canonicalJson } from "../../src/plan/canonical-json.js";
import { sha256Hex } from "../../src/plan/ids.js";
import {
  loadPlan,
  PLAN_FILE_MODE,
  parsePlan,
  planIntegrity,
  savePlan,
  serializePlan,
} from "../../src/plan/plan-file.js";
import type { PlanDocument } from "../../src/plan/types.js";
import { changeValue } from "../../src/plan/value.js";
import { fixturePlan } from "./fixture-plan.js";

type Doc = Record<string, unknown> & { changes: Record<string, unknown>[]; integrity: { hash: string } };

function doc(): Doc {
  return JSON.parse(serializePlan(fixturePlan())) as Doc;
}

/** Re-seals an edited document, as someone who knows the format could: only consistency checks remain. */
function reseal(d: Doc): string {
  const { integrity: _i, ...rest } = d;
  return JSON.stringify(
    { ...rest, integrity: { algorithm: "sha256", hash: sha256Hex(canonicalJson(rest)) } },
    null,
    2,
  );
}

function refusal(f: () => unknown): SmimesyncError {
  try {
    f();
  } catch (e) {
    if (isSmimesyncError(e)) return e;
    throw e;
  }
  throw new Error("expected a SmimesyncError");
}

describe("serializePlan / parsePlan", () => {
  it("round-trips: parse(serialize(p)) equals p and re-serialises to the same bytes", () => {
    const plan = fixturePlan();
    const text = serializePlan(plan);
    const back = parsePlan(text, "plan.json");
    expect(back).toEqual(plan);
    expect(serializePlan(back)).toBe(text);
  });

  it("writes pretty JSON with formatVersion first and integrity last", () => {
    const text = serializePlan(fixturePlan());
    expect(text.startsWith('{\n  "formatVersion": 1,\n  "id": ')).toBe(true);
    expect(text.endsWith("}\n")).toBe(true);
    const keys = Object.keys(JSON.parse(text));
    expect(keys.at(-1)).toBe("integrity");
    expect((JSON.parse(text) as PlanDocument).integrity).toEqual(planIntegrity(fixturePlan()));
  });

  it("refuses to write a plan that loadPlan would refuse (a bug in the writer)", () => {
    const plan = fixturePlan();
    const broken = { ...plan, summary: { ...plan.summary, publish: 99 } };
    expect(() => serializePlan(broken)).toThrow(/summary.publish is 99/);
  });
});

describe("parsePlan refuses", () => {
  it("a syntax error, located by line and column", () => {
    const e = refusal(() => parsePlan('{\n  "formatVersion": 1,\n  "id": }\n', "p.json"));
    expect(e.code).toBe("PLAN_INVALID");
    expect(e.message).toMatch(/^p\.json:3:9: not valid JSON/);
  });

  it("a truncated file", () => {
    const text = serializePlan(fixturePlan());
    expect(refusal(() => parsePlan(text.slice(0, 200), "p.json")).message).toMatch(
      /^p\.json:\d+:\d+: not valid JSON/,
    );
  });

  it("something that is not a plan", () => {
    expect(refusal(() => parsePlan("[1,2]", "p.json")).message).toBe(
      "p.json is not a smimesync plan (no formatVersion)",
    );
  });

  it("an unsupported format version, naming it and the tool's", () => {
    const d = doc();
    d.formatVersion = 2;
    const e = refusal(() => parsePlan(JSON.stringify(d), "p.json"));
    expect(e.code).toBe("PLAN_INVALID");
    expect(e.message).toMatch(
      /^p\.json is in plan format version 2 \(written by smimesync 0\.0\.0-test\); smimesync \S+ reads version 1$/,
    );
    expect(e.hint).toMatch(/upgrade/);
  });

  it("a value whose bytes were changed", () => {
    const d = doc();
    const publish = d.changes.find((c) => c.action === "publish")!;
    const v = publish.value as string;
    publish.value = (v[0] === "A" ? "B" : "A") + v.slice(1);
    const e = refusal(() => parsePlan(JSON.stringify(d, null, 2), "p.json"));
    expect(e.code).toBe("PLAN_INVALID");
    expect(e.message).toBe("p.json: the plan file was modified after it was written");
  });

  it("an added change", () => {
    const d = doc();
    d.changes.push({ ...d.changes[0]!, address: "ad:user/mallory@corp.example.com" });
    expect(refusal(() => parsePlan(JSON.stringify(d), "p.json")).message).toMatch(
      /modified after it was written/,
    );
  });

  it("a reformatted file is fine (the hash covers content, not layout)", () => {
    const d = doc();
    expect(parsePlan(JSON.stringify(d), "p.json")).toEqual(fixturePlan());
  });

  it("schema problems, each named by its JSON path (when the integrity was recomputed)", () => {
    const d = doc();
    d.changes[1]!.valueBytes = "1200";
    d.changes[2]!.colour = "red";
    d.summary = { ...(d.summary as object), extra: 1 };
    const e = refusal(() => parsePlan(reseal(d), "p.json"));
    expect(e.code).toBe("PLAN_INVALID");
    expect(e.message).toMatch(/^p\.json does not match the plan format \(3 problems\):/);
    expect(e.message).toContain("  - changes[1].valueBytes must be integer");
    expect(e.message).toContain("  - changes[2].colour is not part of the plan format");
    expect(e.message).toContain("  - summary.extra is not part of the plan format");
  });

  it("a resealed plan whose value no longer matches its hash", () => {
    const d = doc();
    const publish = d.changes.find((c) => c.action === "publish")!;
    const v = publish.value as string;
    publish.value = (v[0] === "A" ? "B" : "A") + v.slice(1);
    const e = refusal(() => parsePlan(reseal(d), "p.json"));
    expect(e.message).toMatch(/is inconsistent/);
    expect(e.message).toMatch(/the value does not match its SHA-256/);
  });

  it("a resealed plan with an added change (ids, summary and plan id disagree)", () => {
    const d = doc();
    d.changes.push({ ...d.changes[0]!, valueSha256: "0".repeat(64) });
    const e = refusal(() => parsePlan(reseal(d), "p.json"));
    expect(e.message).toMatch(/changes\[\d+\]: id \w+ does not match its content/);
    expect(e.message).toMatch(/summary\.remove is \d+ but the plan's lists give \d+/);
    expect(e.message).toMatch(/^ {2}- id \w+ does not match the plan's content/m);
  });

  it("a change whose address has no object", () => {
    const d = doc();
    d.objects = (d.objects as { address: string }[]).filter((o) => o.address !== d.changes[0]!.address);
    expect(refusal(() => parsePlan(reseal(d), "p.json")).message).toMatch(
      /changes\[0\]: no object with the address/,
    );
  });
});

describe("savePlan / loadPlan", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "smimesync-plan-"));
  });

  it("writes atomically with mode 0644, leaving no temporary file, and loads back", async () => {
    const path = join(dir, "plan.json");
    await writeFile(path, "old content");
    const umask = process.umask(0o077);
    try {
      await savePlan(path, fixturePlan());
    } finally {
      process.umask(umask);
    }
    expect((await stat(path)).mode & 0o777).toBe(PLAN_FILE_MODE);
    expect(await readdir(dir)).toEqual(["plan.json"]);
    expect(await readFile(path, "utf8")).toBe(serializePlan(fixturePlan()));
    expect(await loadPlan(path)).toEqual(fixturePlan());
  });

  it("reports a directory that does not exist", async () => {
    await expect(savePlan(join(dir, "missing", "plan.json"), fixturePlan())).rejects.toMatchObject({
      code: "FILE_UNWRITABLE",
    });
  });

  it("reports a missing plan file", async () => {
    await expect(loadPlan(join(dir, "nope.json"))).rejects.toMatchObject({ code: "FILE_UNREADABLE" });
  });
});

describe("changeValue", () => {
  it("decodes a publish value to the bytes it was built from", () => {
    const plan = fixturePlan();
    const publish = plan.changes.find((c) => c.action === "publish")!;
    const bytes = changeValue(publish);
    expect(bytes.length).toBe(publish.valueBytes);
    expect(sha256Hex(bytes)).toBe(publish.valueSha256);
  });

  it("refuses a removal (no value), and bytes that do not match the hash", () => {
    const plan = fixturePlan();
    const remove = plan.changes.find((c) => c.action === "remove")!;
    expect(() => changeValue(remove)).toThrow(/a removal has no value to write/);
    const publish = plan.changes.find((c) => c.action === "publish")!;
    expect(() => changeValue({ ...publish, value: Buffer.from("x").toString("base64") })).toThrow(
      /bytes long but the plan says/,
    );
    expect(() => changeValue({ ...publish, value: `${publish.value} ` })).toThrow(/not canonical base64/);
  });
});
