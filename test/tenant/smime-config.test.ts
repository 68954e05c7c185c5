// The tenant's S/MIME trust collection (Get-/Set-SmimeConfig SMIMECertificateIssuingCA) through
// production code: against the emulator (wire shape, byte-exact SST, stale and unconfirmed
// writes, the service's refusal of bytes that are no SST) and the snapshot backend.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readSst, sstFromCertificates, writeSst } from "../../src/certs/sst.js";
import { editCollection, trustCollectionFingerprint } from "../../src/model/trust-collection.js";
import { openTenant } from "../../src/tenant/open-tenant.js";
import type { SnapshotDocument } from "../../src/tenant/snapshot/snapshot-format.js";
import type { Tenant } from "../../src/tenant/types.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { testPki } from "../fixtures/pki.js";
import { openAgainst } from "./helpers.js";

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString("hex"));
const sha256 = async (b: Uint8Array) =>
  (await import("node:crypto")).createHash("sha256").update(b).digest("hex");

/** An SST as Windows writes it: a friendly-name property (id 11) before the root. */
function windowsStore(root: Uint8Array, other: Uint8Array): Uint8Array {
  const name = new Uint8Array(Buffer.from("R\0o\0o\0t\0\0\0", "binary"));
  return writeSst({
    entries: [
      {
        kind: "certificate",
        encodingType: 1,
        properties: [{ id: 11, encodingType: 1, value: name }],
        value: root,
      },
      { kind: "certificate", encodingType: 1, properties: [], value: other },
    ],
  });
}

/** One InvokeCommand as any app-only client sends it, outside production code. */
async function rawInvoke(
  emu: Emulator,
  cmdlet: string,
  parameters: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  const { endpoints } = emu.tenantConfig();
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: emu.app.clientId,
    client_secret: emu.app.clientSecret,
    scope: "https://outlook.office365.com/.default",
  });
  const token = (await (
    await emu.fetch(`${endpoints?.login}/${emu.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    })
  ).json()) as { access_token: string };
  const res = await emu.fetch(`${endpoints?.exchange}/adminapi/beta/${emu.tenantId}/InvokeCommand`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token.access_token}`,
      "content-type": "application/json",
      "x-anchormailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${emu.tenantId}`,
    },
    body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }),
  });
  return { status: res.status, body: await res.json() };
}

describe("against the emulator", () => {
  let emu: Emulator;
  let tenant: Tenant;
  beforeEach(async () => {
    emu = await startEmulator();
    tenant = await openAgainst(emu);
  });
  afterEach(() => emu.close());

  it("reads an unset collection as null, then writes the whole store with Set-SmimeConfig", async () => {
    const pki = await testPki();
    expect(await tenant.readSmimeConfig()).toEqual({ issuingCA: null });
    const result = await tenant.writeSmimeIssuingCA(
      { add: [pki.root.der, pki.intermediate.der], remove: [] },
      trustCollectionFingerprint(null),
    );
    expect(result).toEqual({ ok: true });
    expect(hex(emu.state.smimeIssuingCA)).toBe(
      hex(sstFromCertificates([pki.root.der, pki.intermediate.der])),
    );
    const set = emu.requests.filter((r) => r.cmdlet === "Set-SmimeConfig");
    expect(set).toHaveLength(1);
    // One byte[] parameter, base64 as every byte[] (byte-encoding.ts), no GenericHashTable.
    expect(set[0]?.body).toEqual({
      CmdletInput: {
        CmdletName: "Set-SmimeConfig",
        Parameters: {
          SMIMECertificateIssuingCA: Buffer.from(emu.state.smimeIssuingCA ?? []).toString("base64"),
        },
      },
    });
    const get = emu.requests.find((r) => r.cmdlet === "Get-SmimeConfig");
    expect(get?.headers["x-anchormailbox"]).toBe(
      `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${emu.tenantId}`,
    );
    expect(new URL(get?.url ?? "").searchParams.get("$select")).toBe("Identity,SMIMECertificateIssuingCA");
    expect(hex((await tenant.readSmimeConfig()).issuingCA)).toBe(hex(emu.state.smimeIssuingCA));
  });

  it("removes one CA and keeps the other entry byte for byte, properties included", async () => {
    const pki = await testPki();
    const store = windowsStore(pki.root.der, pki.otherRoot.der);
    emu.state.smimeIssuingCA = store;
    const result = await tenant.writeSmimeIssuingCA(
      { add: [pki.intermediate.der], remove: [await sha256(pki.otherRoot.der)] },
      trustCollectionFingerprint(store),
    );
    expect(result).toEqual({ ok: true });
    const read = readSst(emu.state.smimeIssuingCA ?? new Uint8Array());
    if (!read.ok) throw new Error(read.error.message);
    expect(read.store.entries.map((e) => hex(e.value))).toEqual([
      hex(pki.root.der),
      hex(pki.intermediate.der),
    ]);
    // The root's friendly name survived: the entry was kept as Windows wrote it.
    expect(read.store.entries[0]?.properties.map((p) => p.id)).toEqual([11]);
  });

  it("is stale, writing nothing, when another admin changed the collection since the plan", async () => {
    const pki = await testPki();
    const planned = trustCollectionFingerprint(null);
    emu.state.smimeIssuingCA = sstFromCertificates([pki.otherRoot.der]);
    const result = await tenant.writeSmimeIssuingCA({ add: [pki.root.der], remove: [] }, planned);
    expect(result).toMatchObject({ ok: false, reason: "stale" });
    expect(emu.requests.filter((r) => r.cmdlet === "Set-SmimeConfig")).toHaveLength(0);
    expect(hex(emu.state.smimeIssuingCA)).toBe(hex(sstFromCertificates([pki.otherRoot.der])));
  });

  it("reports a Set-SmimeConfig answered with a warning as unconfirmed, never as applied", async () => {
    const pki = await testPki();
    const want = sstFromCertificates([pki.root.der]);
    // Someone sets the very bytes between the re-read and the write: Exchange warns "no settings modified".
    emu.inject.beforeCommand("Set-SmimeConfig", (state) => {
      state.smimeIssuingCA = want;
    });
    const result = await tenant.writeSmimeIssuingCA(
      { add: [pki.root.der], remove: [] },
      trustCollectionFingerprint(null),
    );
    expect(result).toMatchObject({ ok: false, reason: "unconfirmed" });
  });

  it("clears the collection with $null when nothing is left, and refuses bytes that are no SST", async () => {
    const pki = await testPki();
    const store = sstFromCertificates([pki.root.der]);
    emu.state.smimeIssuingCA = store;
    expect(
      await tenant.writeSmimeIssuingCA(
        { add: [], remove: [await sha256(pki.root.der)] },
        trustCollectionFingerprint(store),
      ),
    ).toEqual({ ok: true });
    expect(emu.state.smimeIssuingCA).toBeNull();
    expect(emu.requests.find((r) => r.cmdlet === "Set-SmimeConfig")?.body).toMatchObject({
      CmdletInput: { Parameters: { SMIMECertificateIssuingCA: null } },
    });
    // Exchange takes only an SST: a bare certificate is refused and the collection stays as it was.
    const answer = await rawInvoke(emu, "Set-SmimeConfig", {
      SMIMECertificateIssuingCA: Buffer.from(pki.root.der).toString("base64"),
    });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toMatch(/serialized certificate store/);
    expect(emu.state.smimeIssuingCA).toBeNull();
  });

  it("dumps and seeds the collection through the snapshot format", async () => {
    const pki = await testPki();
    emu.state.smimeIssuingCA = sstFromCertificates([pki.root.der]);
    const dumped = emu.dump();
    expect(dumped.smimeConfig?.issuingCA).toBe(Buffer.from(emu.state.smimeIssuingCA).toString("base64"));
    const again = await startEmulator({ seed: dumped });
    try {
      expect(hex(again.state.smimeIssuingCA)).toBe(hex(emu.state.smimeIssuingCA));
    } finally {
      await again.close();
    }
    // A tenant never given one dumps none: snapshots of unmanaged tenants keep their shape.
    const plain = await startEmulator();
    try {
      expect("smimeConfig" in plain.dump()).toBe(false);
    } finally {
      await plain.close();
    }
  });
});

describe("the snapshot backend", () => {
  let dir: string;
  let file: string;
  const base: SnapshotDocument = { formatVersion: 1, users: [], recipients: [] };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "smimesync-smimeconfig-"));
    file = join(dir, "tenant.json");
  });
  const open = () => openTenant({ snapshot: file }, { baseDir: dir, env: {} });

  it("reads, edits and saves smimeConfig.issuingCA, keeping entries byte-exact", async () => {
    const pki = await testPki();
    const store = windowsStore(pki.root.der, pki.otherRoot.der);
    writeFileSync(
      file,
      JSON.stringify({ ...base, smimeConfig: { issuingCA: Buffer.from(store).toString("base64") } }),
    );
    const tenant = await open();
    expect(hex((await tenant.readSmimeConfig()).issuingCA)).toBe(hex(store));
    const edit = { add: [pki.intermediate.der], remove: [await sha256(pki.otherRoot.der)] };
    expect(await tenant.writeSmimeIssuingCA(edit, trustCollectionFingerprint(store))).toEqual({ ok: true });
    await tenant.close();
    const saved = JSON.parse(readFileSync(file, "utf8")) as SnapshotDocument;
    expect(saved.smimeConfig?.issuingCA).toBe(
      Buffer.from(editCollection(store, edit).sst ?? []).toString("base64"),
    );
    const reopened = await open();
    expect(await reopened.writeSmimeIssuingCA(edit, trustCollectionFingerprint(store))).toMatchObject({
      ok: false,
      reason: "stale",
    });
    await reopened.close();
  });

  it("reads a snapshot without smimeConfig as no collection and leaves the key out when saving", async () => {
    const pki = await testPki();
    writeFileSync(file, JSON.stringify(base));
    const tenant = await open();
    expect(await tenant.readSmimeConfig()).toEqual({ issuingCA: null });
    await tenant.close();
    expect("smimeConfig" in JSON.parse(readFileSync(file, "utf8"))).toBe(false);
    const writer = await open();
    await writer.writeSmimeIssuingCA({ add: [pki.root.der], remove: [] }, trustCollectionFingerprint(null));
    await writer.close();
    const saved = JSON.parse(readFileSync(file, "utf8")) as SnapshotDocument;
    expect(saved.smimeConfig?.issuingCA).toBe(
      Buffer.from(sstFromCertificates([pki.root.der])).toString("base64"),
    );
  });

  it("refuses a snapshot whose issuingCA is not base64", async () => {
    writeFileSync(file, JSON.stringify({ ...base, smimeConfig: { issuingCA: "not base64!" } }));
    await expect(open()).rejects.toMatchObject({ code: "SNAPSHOT_INVALID" });
  });
});
