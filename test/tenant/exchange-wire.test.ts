// Exchange's wire conventions as public clients of InvokeCommand rely on them (CIPP-API,
// GreyCorbel ExoHelper, M365Permissions), through production code against the emulator:
// value-level GenericHashTable edits (a concurrent editor's value survives), @adminapi.warnings
// turning a write into `unconfirmed`, both next-link forms, answers without `value`, the
// concurrency-limit answer and the Rate-Limit headers.
import { afterEach, describe, expect, it } from "vitest";
import type { Tenant } from "../../src/tenant/types.js";
import { type Emulator, type EmulatorOptions, startEmulator } from "../emulator/server.js";
import { certFor, collect, invokeCommand, openAgainst, recordingClock } from "./helpers.js";

let emu: Emulator;
afterEach(() => emu.close());

const hex = (values: readonly Uint8Array[]) => values.map((v) => Buffer.from(v).toString("hex")).sort();

async function cloudOnlyMailbox(options: EmulatorOptions = {}) {
  emu = await startEmulator(options);
  emu.state.addUser({ userPrincipalName: "frank@contoso.com" });
  const stored = [...emu.state.recipients.values()][0];
  if (!stored) throw new Error("no mailbox");
  const a = await certFor("frank@contoso.com");
  stored.userCertificate = [a];
  const clock = recordingClock();
  const tenant = await openAgainst(emu, { clock });
  return { stored, a, tenant, clock, ref: { kind: "Mailbox" as const, identity: stored.guid } };
}

async function write(
  tenant: Tenant,
  ref: { kind: "Mailbox"; identity: string },
  add: Uint8Array[],
  remove: Uint8Array[],
) {
  const current = await tenant.readRecipient(ref);
  if (!current) throw new Error("gone");
  return tenant.writeValues(
    ref,
    [{ attribute: "userCertificate", add, remove }],
    tenant.fingerprint(current),
  );
}

describe("value-level edits", () => {
  it("Set-Mailbox carries a GenericHashTable with add and remove, never the whole list", async () => {
    const { a, tenant, ref } = await cloudOnlyMailbox();
    const b = await certFor("frank@contoso.com");
    expect(await write(tenant, ref, [b], [a])).toEqual({ ok: true });
    const set = emu.requests.find((r) => r.cmdlet === "Set-Mailbox");
    expect(set?.body).toEqual({
      CmdletInput: {
        CmdletName: "Set-Mailbox",
        Parameters: {
          Identity: ref.identity,
          UserCertificate: {
            "@odata.type": "#Exchange.GenericHashTable",
            add: [Buffer.from(b).toString("base64")],
            remove: [Buffer.from(a).toString("base64")],
          },
        },
      },
    });
    expect(hex((await tenant.readRecipient(ref))?.values.userCertificate ?? [])).toEqual(hex([b]));
  });

  it("a concurrent edit landing between apply's re-read and its Set-Mailbox is kept, and so is ours", async () => {
    const { stored, a, tenant, ref } = await cloudOnlyMailbox();
    const ours = await certFor("frank@contoso.com");
    const theirs = await certFor("frank@contoso.com");
    // Another admin adds a certificate after smimesync re-read the mailbox, before its write.
    emu.inject.beforeCommand("Set-Mailbox", () => {
      stored.userCertificate = [...stored.userCertificate, theirs];
    });
    expect(await write(tenant, ref, [ours], [])).toEqual({ ok: true });
    expect(hex(stored.userCertificate)).toEqual(hex([a, theirs, ours]));
  });

  it("the emulator refuses a value both added and removed, and more than 15 values after the edit", async () => {
    const { stored, a, ref } = await cloudOnlyMailbox();
    const set = (UserCertificate: unknown) =>
      invokeCommand(emu, "Set-Mailbox", { Identity: ref.identity, UserCertificate });

    const b64 = Buffer.from(a).toString("base64");
    const both = await set({ "@odata.type": "#Exchange.GenericHashTable", add: [b64], remove: [b64] });
    expect(both.status).toBe(400);
    expect(await both.text()).toMatch(/added to and removed from/);
    const many = Array.from({ length: 15 }, (_, i) => Buffer.from([0x30, 3, 2, 1, i]).toString("base64"));
    const over = await set({ "@odata.type": "#Exchange.GenericHashTable", add: many });
    expect(over.status).toBe(400);
    expect(await over.text()).toMatch(/at most 15 values; 16/);
    expect(hex(stored.userCertificate)).toEqual(hex([a]));
    // An empty GenericHashTable clears the attribute.
    expect((await set({ "@odata.type": "#Exchange.GenericHashTable" })).status).toBe(200);
    expect(stored.userCertificate).toEqual([]);
  });
});

describe("warnings", () => {
  it("a Set-Mailbox that changed nothing answers with @adminapi.warnings: the write is unconfirmed, not applied", async () => {
    const { a, tenant, ref } = await cloudOnlyMailbox();
    // Adding the value the mailbox already holds: Exchange modifies nothing and says so.
    const result = await write(tenant, ref, [a], []);
    expect(result).toEqual({
      ok: false,
      reason: "unconfirmed",
      message: expect.stringMatching(
        /warnings: The command completed successfully but no settings of 'frank' have been modified/,
      ),
    });
  });
});

describe("paging and answer shapes", () => {
  it("follows odata.nextLink (without the @) as well as @odata.nextLink", async () => {
    emu = await startEmulator({ exchangeMaxPageSize: 2, exchangeNextLinkKey: "odata.nextLink" });
    for (let i = 0; i < 5; i++) emu.state.addUser({ userPrincipalName: `u${i}@contoso.com` });
    const tenant = await openAgainst(emu);
    expect(await collect(tenant.readRecipients())).toHaveLength(5);
    expect(emu.requests.filter((r) => r.cmdlet === "Get-Mailbox")).toHaveLength(3);
  });

  it("reads a Get-* answered with the bare object (no value) as that one object", async () => {
    const { a, ref } = await cloudOnlyMailbox({ exchangeBareSingleObjects: true });
    const tenant = await openAgainst(emu);
    const got = await tenant.readRecipient(ref);
    expect(got?.primarySmtpAddress).toBe("frank@contoso.com");
    expect(hex(got?.values.userCertificate ?? [])).toEqual(hex([a]));
  });
});

describe("throttling answers", () => {
  it("the concurrency-limit answer is retried whatever its status, even for New-MailContact", async () => {
    emu = await startEmulator();
    const clock = recordingClock();
    const tenant = await openAgainst(emu, { clock });
    emu.inject.fault({ service: "exchange", status: 500, concurrencyLimit: true, count: 2 });
    const contact = await tenant.createContact({
      name: "Pat",
      externalEmailAddress: "pat@fabrikam.example",
      values: { userCertificate: [], userSMIMECertificate: [] },
    });
    expect(contact.kind).toBe("MailContact");
    expect(emu.requests.filter((r) => r.cmdlet === "New-MailContact").map((r) => r.status)).toEqual([
      500, 500, 200,
    ]);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("a 429 without Retry-After waits for Rate-Limit-Reset when Rate-Limit-Remaining is 0", async () => {
    emu = await startEmulator();
    emu.state.addUser({ userPrincipalName: "u@contoso.com" });
    const clock = recordingClock();
    const tenant = await openAgainst(emu, { clock });
    emu.inject.fault({ service: "exchange", status: 429, rateLimitResetSeconds: 12 });
    expect(await collect(tenant.readRecipients())).toHaveLength(1);
    expect(clock.sleeps).toEqual([12_000]);
  });
});

describe("$batch", () => {
  it("concurrent re-reads and writes of many mailboxes travel in $batch requests of up to 10, one failure not stopping the rest", async () => {
    emu = await startEmulator();
    for (let i = 0; i < 12; i++) emu.state.addUser({ userPrincipalName: `m${i}@contoso.com` });
    const tenant = await openAgainst(emu);
    const stored = [...emu.state.recipients.values()];
    const refs = stored.map((r) => ({ kind: "Mailbox" as const, identity: r.guid }));
    const certs = await Promise.all(refs.map((_, i) => certFor(`m${i}@contoso.com`)));
    // One mailbox disappears before apply gets to it.
    const gone = stored[5];
    if (!gone) throw new Error("no mailbox");
    emu.state.recipients.delete(gone.guid.toLowerCase());
    const results = await Promise.all(
      refs.map(async (ref, i) => {
        const cert = certs[i];
        if (!cert) throw new Error("no cert");
        const current = await tenant.readRecipient(ref);
        if (!current) return { ok: false, reason: "not-found" };
        return tenant.writeValues(
          ref,
          [{ attribute: "userCertificate", add: [cert], remove: [] }],
          tenant.fingerprint(current),
        );
      }),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(11);
    expect(results[5]).toMatchObject({ ok: false, reason: "not-found" });
    for (const [i, r] of stored.entries())
      if (i !== 5) expect(hex(r.userCertificate)).toEqual(hex([certs[i] as Uint8Array]));

    const wire = emu.requests.filter((r) => r.service === "exchange" && !r.inBatch);
    const batches = wire.filter((r) => r.path === `/adminapi/beta/${emu.tenantId}/$batch`);
    // 12 reads + 11 re-reads + 11 writes, one request each without batching.
    expect(wire.length).toBeLessThan(12);
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      expect(b.headers.prefer).toBe("odata.continue-on-error");
      const items = (b.body as { requests: { headers: Record<string, string> }[] }).requests;
      expect(items.length).toBeLessThanOrEqual(10);
      for (const item of items)
        expect(item.headers["X-AnchorMailbox"]).toMatch(/^APP:SystemMailbox\{bb558c35-/);
    }
    expect(emu.requests.filter((r) => r.inBatch && r.cmdlet === "Set-Mailbox")).toHaveLength(11);
  });

  it("the emulator refuses a batch of more than 10", async () => {
    emu = await startEmulator();
    const requests = Array.from({ length: 11 }, (_, i) => ({
      id: String(i),
      method: "POST",
      url: `${emu.urls.exchange}/adminapi/beta/${emu.tenantId}/InvokeCommand`,
      body: { CmdletInput: { CmdletName: "Get-Mailbox", Parameters: {} } },
    }));
    const res = await emu.fetch(`${emu.urls.exchange}/adminapi/beta/${emu.tenantId}/$batch`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${emu.authority.issue(emu.app.clientId, "exchange")}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ requests }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/at most 10 requests; 11/);
  });
});
