// Exchange Online through production code against the emulator: paging, headers, byte round
// trip, writes to cloud-only recipients, write-scope refusal, contacts, limits, 401/403.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isSmimesyncError } from "../../src/errors.js";
import { emptyValues } from "../../src/model/attributes.js";
import { fingerprintOf } from "../../src/model/fingerprint.js";
import type { ExchangeRecipientRef, Tenant } from "../../src/tenant/types.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { certFor, collect, invokeCommand, openAgainst } from "./helpers.js";

let emu: Emulator;
let tenant: Tenant;
afterEach(() => emu.close());

function refOf(upn: string): ExchangeRecipientRef {
  const user = [...emu.state.users.values()].find((u) => u.userPrincipalName === upn);
  const r = user && emu.state.recipientOfUser(user.id);
  if (!r) throw new Error(`no recipient for ${upn}`);
  return { kind: r.kind, identity: r.guid };
}

describe("with mailboxes, mail users and contacts", () => {
  beforeEach(async () => {
    emu = await startEmulator({ exchangeMaxPageSize: 2 });
    for (let i = 0; i < 7; i++) emu.state.addUser({ userPrincipalName: `mbx${i}@contoso.com` });
    emu.state.addUser({
      userPrincipalName: "synced@contoso.com",
      onPremisesSyncEnabled: true,
      onPremisesImmutableId: "AAAA",
    });
    emu.state.addUser({ userPrincipalName: "guest@contoso.com" }, { mailbox: "MailUser" });
    tenant = await openAgainst(emu);
  });

  it("reads every recipient over 3+ pages, with the routing headers and $select", async () => {
    const recipients = await collect(tenant.readRecipients());
    expect(recipients.filter((r) => r.kind === "Mailbox")).toHaveLength(8);
    expect(recipients.filter((r) => r.kind === "MailUser")).toHaveLength(1);
    const calls = emu.requests.filter((r) => r.service === "exchange");
    const mailboxPages = calls.filter((c) => c.cmdlet === "Get-Mailbox");
    expect(mailboxPages).toHaveLength(4);
    expect(mailboxPages.slice(1).every((c) => new URL(c.url).searchParams.has("$skiptoken"))).toBe(true);
    for (const c of calls) {
      expect(c.path).toBe(`/adminapi/beta/${emu.tenantId}/InvokeCommand`);
      expect(c.headers["x-anchormailbox"]).toBe(
        `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${emu.tenantId}`,
      );
      expect(c.headers["x-prefer"]).toBe("odata.maxpagesize=1000");
      expect(c.headers["x-responseformat"]).toBe("json");
      expect(c.body).toMatchObject({
        CmdletInput: { CmdletName: c.cmdlet, Parameters: { ResultSize: "Unlimited" } },
      });
    }
    expect(new URL(mailboxPages[0]?.url ?? "").searchParams.get("$select")).toContain("UserSMimeCertificate");
    const synced = recipients.find((r) => r.primarySmtpAddress === "synced@contoso.com");
    expect(synced?.isDirSynced).toBe(true);
    expect(synced?.externalDirectoryObjectId).toBe(
      [...emu.state.users.values()].find((u) => u.userPrincipalName === "synced@contoso.com")?.id,
    );
  });

  it("publishes and removes certificates on a cloud-only mailbox and mail user, bytes intact", async () => {
    for (const upn of ["mbx0@contoso.com", "guest@contoso.com"]) {
      const ref = refOf(upn);
      const [a, b] = [await certFor(upn), await certFor(upn)];
      const before = await tenant.readRecipient(ref);
      if (!before) throw new Error("missing");
      expect(
        await tenant.writeValues(
          ref,
          [{ attribute: "userCertificate", add: [a, b], remove: [] }],
          tenant.fingerprint(before),
        ),
      ).toEqual({ ok: true });
      const after = await tenant.readRecipient(ref);
      expect(after?.values.userCertificate.map((v) => Buffer.from(v).toString("hex"))).toEqual(
        [a, b].map((v) => Buffer.from(v).toString("hex")),
      );
      // The emulator holds the exact bytes too: the wire encoding round-tripped.
      const stored = emu.state.recipients.get(ref.identity.toLowerCase());
      expect(
        stored?.userCertificate.map((v) => Buffer.compare(v, a) === 0 || Buffer.compare(v, b) === 0),
      ).toEqual([true, true]);
      if (!after) throw new Error("missing");
      expect(
        await tenant.writeValues(
          ref,
          [{ attribute: "userCertificate", add: [], remove: [a] }],
          tenant.fingerprint(after),
        ),
      ).toEqual({
        ok: true,
      });
      const last = await tenant.readRecipient(ref);
      expect(last?.values.userCertificate).toHaveLength(1);
      const set = emu.requests.filter((r) => r.cmdlet === `Set-${ref.kind}`).at(-1);
      expect(set?.body).toMatchObject({
        CmdletInput: {
          Parameters: {
            Identity: ref.identity,
            // Only the removed value travels: the write names what changes, never the whole list.
            UserCertificate: {
              "@odata.type": "#Exchange.GenericHashTable",
              remove: [Buffer.from(a).toString("base64")],
            },
          },
        },
      });
    }
  });

  it("a directory-synced mailbox comes back `refused` with Exchange's write-scope message", async () => {
    const ref = refOf("synced@contoso.com");
    const result = await tenant.writeValues(
      ref,
      [{ attribute: "userSMIMECertificate", add: [await certFor("synced@contoso.com")], remove: [] }],
      fingerprintOf(emptyValues()),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe("refused");
    expect(!result.ok && result.message).toMatch(/out of the current user's write scope/);
    expect(!result.ok && result.message).toMatch(/synchronized from your on-premises organization/);
    expect(!result.ok && result.message).not.toMatch(/^\||Ex[0-9A-F]{6}\|/);
  });

  it("a recipient changed since the plan is `stale` and not written", async () => {
    const ref = refOf("mbx1@contoso.com");
    const planned = fingerprintOf(emptyValues());
    const stored = emu.state.recipients.get(ref.identity.toLowerCase());
    if (!stored) throw new Error("missing");
    stored.userCertificate = [await certFor("someone-else@contoso.com")];
    const result = await tenant.writeValues(
      ref,
      [{ attribute: "userCertificate", add: [await certFor("mbx1@contoso.com")], remove: [] }],
      planned,
    );
    expect(!result.ok && result.reason).toBe("stale");
    expect(emu.requests.some((r) => r.cmdlet === "Set-Mailbox")).toBe(false);
  });

  it("never sends a 16th value; the emulator refuses one sent anyway", async () => {
    const ref = refOf("mbx2@contoso.com");
    const values = await Promise.all(Array.from({ length: 16 }, () => certFor("mbx2@contoso.com")));
    const result = await tenant.writeValues(
      ref,
      [{ attribute: "userCertificate", add: values, remove: [] }],
      fingerprintOf(emptyValues()),
    );
    expect(!result.ok && result.reason).toBe("error");
    expect(!result.ok && result.message).toMatch(/16 values exceed the limit of 15/);
    expect(emu.requests.some((r) => r.cmdlet === "Set-Mailbox")).toBe(false);

    const raw = await invokeCommand(emu, "Set-Mailbox", {
      Identity: ref.identity,
      UserCertificate: values.map((v) => Buffer.from(v).toString("base64")),
    });
    expect(raw.status).toBe(400);
    expect(JSON.stringify(await raw.json())).toMatch(/at most 15 values/);
  });

  it("creates a mail contact with its certificates (New-MailContact, then Set-MailContact)", async () => {
    const cert = await certFor("partner@fabrikam.example");
    const created = await tenant.createContact({
      name: "Partner Fabrikam",
      externalEmailAddress: "partner@fabrikam.example",
      values: { userCertificate: [cert], userSMIMECertificate: [] },
    });
    expect(created).toMatchObject({
      kind: "MailContact",
      primarySmtpAddress: "partner@fabrikam.example",
      isDirSynced: false,
    });
    expect(Buffer.compare(created.values.userCertificate[0] ?? new Uint8Array(), cert)).toBe(0);
    expect(emu.requests.filter((r) => r.service === "exchange").map((r) => r.cmdlet)).toEqual([
      "New-MailContact",
      "Set-MailContact",
      "Get-MailContact",
    ]);
    const again = await tenant
      .createContact({
        name: "Partner Fabrikam",
        externalEmailAddress: "x@fabrikam.example",
        values: emptyValues(),
      })
      .catch((e: unknown) => e);
    expect(isSmimesyncError(again) && again.message).toMatch(/already being used/);
  });

  it("readRecipient of a vanished recipient is undefined; writing to it is `not-found`", async () => {
    const ref: ExchangeRecipientRef = { kind: "Mailbox", identity: "00000000-0000-4000-8000-000000000000" };
    expect(await tenant.readRecipient(ref)).toBeUndefined();
    const result = await tenant.writeValues(
      ref,
      [{ attribute: "userCertificate", add: [], remove: [] }],
      fingerprintOf(emptyValues()),
    );
    expect(!result.ok && result.reason).toBe("not-found");
  });
});

describe("authorisation", () => {
  it("a token revoked mid-run is replaced by a fresh one once, and the read goes on", async () => {
    emu = await startEmulator();
    emu.state.addUser({ userPrincipalName: "a@contoso.com" });
    tenant = await openAgainst(emu);
    await collect(tenant.readRecipients());
    emu.inject.revokeTokens();
    await collect(tenant.readRecipients());
    const refused = emu.requests.filter((r) => r.service === "exchange" && r.status === 401);
    expect(refused).toHaveLength(1);
  });

  it("a token refused again after the refresh is TENANT_AUTH naming Exchange's diagnostics and the role to grant", async () => {
    emu = await startEmulator();
    tenant = await openAgainst(emu);
    await collect(tenant.readRecipients());
    // The admin takes the app role away: every token, old or new, lacks it.
    emu.authority.register({ ...emu.app, exchangeRoles: [] });
    emu.inject.revokeTokens();
    const error = await collect(tenant.readRecipients()).catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("TENANT_AUTH");
    expect(String(error)).toMatch(
      /Exchange Online rejected the access token.*401.*also with a freshly issued token/,
    );
    expect(isSmimesyncError(error) && error.hint).toMatch(/Exchange\.ManageAsApp/);
    expect(emu.requests.filter((r) => r.service === "exchange" && r.status === 401)).toHaveLength(2);
  });

  it("an app without an Exchange admin role is TENANT_FORBIDDEN with the fix in the hint", async () => {
    emu = await startEmulator({ app: { exchangeAdminRole: false } });
    tenant = await openAgainst(emu);
    const error = await collect(tenant.readRecipients()).catch((e: unknown) => e);
    expect(isSmimesyncError(error) && error.code).toBe("TENANT_FORBIDDEN");
    expect(String(error)).toMatch(/isn't assigned to any management roles/);
    expect(isSmimesyncError(error) && error.hint).toMatch(/Exchange Recipient Administrator/);
  });
});
