// Every parser of hostile input, fed mutated valid inputs (issue 15): whatever the bytes, each one
// answers with its own typed outcome (a result, DerError, or a SmimesyncError with its code),
// never anything else, and never hangs (the test's timeout). A fixed seed per property makes a
// failure reproducible; the case counts add up to more than 100,000.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOrganisation } from "../../bench/organisation.js";
import { summarizeCrl } from "../../src/certs/crl.js";
import { DerError } from "../../src/certs/der.js";
import { buildOutlookBlob, readOutlookBlob } from "../../src/certs/outlook.js";
import { parseCertificates } from "../../src/certs/parse.js";
import { buildCertsOnlyPkcs7, readPkcs7 } from "../../src/certs/pkcs7.js";
import { readSst, sstFromCertificates } from "../../src/certs/sst.js";
import { summarizeCertificate } from "../../src/certs/summary.js";
import { parseConfig } from "../../src/config/load.js";
import { renderConfig } from "../../src/demo/config-file.js";
import {
  daysFrom,
  issueCrl,
  issueUserCertificate,
  makeIssuingCa,
  makeRootCa,
  pem,
} from "../../src/demo/pki.js";
import { buildOrganisation } from "../../src/demo/scenario.js";
import { parseLdif } from "../../src/directory/ldif.js";
import { type ErrorCode, SmimesyncError } from "../../src/errors.js";
import { canonicalJson } from "../../src/plan/canonical-json.js";
import { sha256Hex } from "../../src/plan/ids.js";
import { parsePlan } from "../../src/plan/plan-file.js";
import { parseSnapshot } from "../../src/tenant/snapshot/snapshot-format.js";
import { runCli } from "../helpers/cli.js";
import { type Json, mutatedBytes, mutatedJson, mutatedText } from "./mutate.js";

const NOW = new Date("2026-12-03T08:00:00Z");
const SEED = 15;
const cases: Record<string, number> = {};

let dir: string;
let der: { user: Uint8Array; ca: Uint8Array; crl: Uint8Array };
let files: { ldif: string; snapshot: string; config: string; demoConfig: string; plan: string };

beforeAll(async () => {
  const at = (d: number) => daysFrom(NOW, d);
  const root = await makeRootCa("CN=Chaos Root", at(-100), at(1000));
  const issuing = await makeIssuingCa(root, "CN=Chaos Issuing", at(-50), at(900));
  const user = await issueUserCertificate(issuing, {
    cn: "Ada",
    emails: ["ada@corp.example.com"],
    notBefore: at(-1),
    notAfter: at(365),
  });
  const crl = await issueCrl(issuing, [{ serial: user.serial, date: at(-1) }], at(-1), at(30));
  der = { user: user.der, ca: issuing.der, crl };

  // A small organisation: its LDIF, snapshot, config and plan are the text seeds.
  dir = await mkdtemp(join(tmpdir(), "smimesync-props-"));
  await writeOrganisation(dir, 4, NOW, { cloudOnlyEvery: 2 });
  const planned = await runCli(["plan", "--out", "plan.json"], { cwd: dir, env: { PATH: process.env.PATH } });
  expect(planned.code, planned.stderr).toBe(0);
  const read = (f: string) => readFile(join(dir, f), "utf8");
  files = {
    ldif: await read("directory.ldif"),
    snapshot: await read("tenant.json"),
    config: await read("smimesync.yaml"),
    demoConfig: renderConfig(await buildOrganisation(NOW)),
    plan: await read("plan.json"),
  };
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  const total = Object.values(cases).reduce((a, b) => a + b, 0);
  const each = Object.entries(cases)
    .map(([k, n]) => `${k} ${n.toLocaleString("en-US")}`)
    .join(", ");
  console.log(
    `parser properties: ${total.toLocaleString("en-US")} cases (seed ${SEED}), 0 untyped errors: ${each}`,
  );
});

/** Runs `numRuns` cases of a synchronous property and counts them. */
function check<T>(name: string, arb: fc.Arbitrary<T>, numRuns: number, predicate: (v: T) => void): void {
  fc.assert(
    fc.property(arb, (v) => {
      predicate(v);
    }),
    { seed: SEED, numRuns },
  );
  cases[name] = (cases[name] ?? 0) + numRuns;
}

/** The call either returns or throws a DerError. */
function derErrorOnly(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DerError)) throw new Error(`not a DerError: ${String(e)}`, { cause: e });
  }
}

/** The call either returns or throws a SmimesyncError with one of `codes`. */
function typedOnly(codes: readonly ErrorCode[], f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SmimesyncError) || !codes.includes(e.code))
      throw new Error(`not a SmimesyncError ${codes.join("/")}: ${String(e)}`, { cause: e });
  }
}

// Messages of JavaScript's own errors: a parser that returns one of these as "malformed" has hit
// a bug it then hid, not a check it made.
const ENGINE_ERROR =
  /Cannot read propert|is not a function|is not iterable|undefined|Maximum call stack|Invalid array length/;

describe("parsers of hostile input never throw anything but their typed error", () => {
  it("DER certificate (summarizeCertificate): a result, never a throw, never an engine error", () => {
    check("certificate DER", mutatedBytes([der.user, der.ca]), 15_000, (b) => {
      const r = summarizeCertificate(b);
      if (!r.ok) expect(r.message).not.toMatch(ENGINE_ERROR);
    });
  });

  it("CRL (summarizeCrl): a result, never a throw", () => {
    check("CRL DER", mutatedBytes([der.crl]), 8_000, (b) => {
      const r = summarizeCrl(b);
      if (!r.ok) expect(r.message).not.toMatch(ENGINE_ERROR);
    });
  });

  it("PKCS#7 (readPkcs7): returns or throws DerError", () => {
    const p7 = buildCertsOnlyPkcs7([der.user, der.ca]);
    check("PKCS#7", mutatedBytes([p7, buildCertsOnlyPkcs7([der.user])]), 12_000, (b) => {
      derErrorOnly(() => readPkcs7(b));
    });
  });

  it("Outlook security-settings blob (readOutlookBlob): returns or throws DerError", () => {
    const blob = buildOutlookBlob([
      { tag: 1, data: Uint8Array.of(0x01, 0x00) },
      { tag: 3, data: der.user },
      { tag: 8, data: der.user },
    ]);
    check("Outlook blob", mutatedBytes([blob]), 12_000, (b) => {
      derErrorOnly(() => readOutlookBlob(b));
    });
  });

  it("any attribute value or certificate file (parseCertificates: DER, PEM, PKCS#7, Outlook): a typed result", () => {
    const seeds = [
      der.user,
      buildCertsOnlyPkcs7([der.user, der.ca]),
      buildOutlookBlob([{ tag: 3, data: der.user }]),
      Buffer.from(pem("CERTIFICATE", der.user) + pem("X509 CRL", der.crl)),
      Buffer.from(`0 text first\n${pem("CERTIFICATE", der.ca)}`),
    ];
    const kinds = ["empty", "private-key", "malformed", "unsupported"];
    check("certificate/PEM/PKCS#7/Outlook value", mutatedBytes(seeds), 15_000, (b) => {
      const r = parseCertificates(b);
      if (!r.ok) {
        expect(kinds).toContain(r.error.kind);
        expect(r.error.message).not.toMatch(ENGINE_ERROR);
      }
    });
  });

  it("SST, the tenant's trust collection (readSst): a result, never a throw", () => {
    const sst = sstFromCertificates([der.ca, der.user]);
    check("SST", mutatedBytes([sst]), 10_000, (b) => {
      const r = readSst(b);
      expect(typeof r.ok).toBe("boolean");
    });
  });

  it("LDIF (parseLdif): returns or throws LDIF_INVALID", () => {
    const small = files.ldif.split(/\n\n/).slice(0, 4).join("\n\n");
    check("LDIF", mutatedText([small, `version: 1\n${small}`]), 10_000, (t) => {
      typedOnly(["LDIF_INVALID", "INPUT_LIMIT"], () => parseLdif(t, "directory.ldif"));
    });
  });

  it("tenant snapshot JSON (parseSnapshot): returns or throws SNAPSHOT_INVALID, for bytes and for JSON edits", () => {
    check("snapshot (bytes)", mutatedText([files.snapshot]), 4_000, (t) => {
      typedOnly(["SNAPSHOT_INVALID"], () => parseSnapshot(t, "tenant.json"));
    });
    check("snapshot (JSON edits)", mutatedJson([files.snapshot]), 6_000, (t) => {
      typedOnly(["SNAPSHOT_INVALID"], () => parseSnapshot(t, "tenant.json"));
    });
  });

  it("plan file (parsePlan): returns or throws PLAN_INVALID, also when a forger re-seals it", () => {
    // What anyone can do: edit the plan, then recompute its integrity hash.
    const reseal = (doc: Json): Json => {
      if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return doc;
      const { integrity: _, ...rest } = doc;
      return { ...rest, integrity: { algorithm: "sha256", hash: sha256Hex(canonicalJson(rest)) } };
    };
    check("plan file (bytes)", mutatedText([files.plan]), 3_000, (t) => {
      typedOnly(["PLAN_INVALID"], () => parsePlan(t, "plan.json"));
    });
    check("plan file (re-sealed JSON edits)", mutatedJson([files.plan], reseal), 5_000, (t) => {
      typedOnly(["PLAN_INVALID"], () => parsePlan(t, "plan.json"));
    });
  });

  it("config YAML (parseConfig): resolves or rejects with CONFIG_INVALID / INPUT_LIMIT", async () => {
    const seeds = [files.config, files.demoConfig];
    const numRuns = 6_000;
    await fc.assert(
      fc.asyncProperty(mutatedText(seeds), async (t) => {
        try {
          await parseConfig(Buffer.from(t, "utf8"), join(dir, "smimesync.yaml"), "smimesync.yaml");
        } catch (e) {
          if (!(e instanceof SmimesyncError) || !["CONFIG_INVALID", "INPUT_LIMIT"].includes(e.code))
            throw new Error(`not a typed config error: ${String(e)}`, { cause: e });
        }
      }),
      { seed: SEED, numRuns },
    );
    cases["config YAML"] = numRuns;
  });
});
