// The export half of the Entra Connect simulator, without AD (the LDAP half runs in test/e2e).
import { describe, expect, it } from "vitest";
import { EmulatorState } from "./state.js";
import { type AdUser, exportToTenant } from "./sync-simulator.js";

const bytes = (n: number) => new Uint8Array([0x30, n]);
const adUser = (over: Partial<AdUser> = {}): AdUser => ({
  dn: "CN=Alice,OU=Staff,DC=corp,DC=test",
  sourceAnchor: Buffer.from("0123456789abcdef").toString("base64"),
  userPrincipalName: "alice@corp.test",
  mail: "alice@corp.test",
  proxyAddresses: ["SMTP:alice@corp.test"],
  disabled: false,
  userCertificate: [bytes(1)],
  userSMIMECertificate: [],
  ...over,
});

describe("exportToTenant", () => {
  it("provisions a synced user and mailbox, then updates it in place", () => {
    const state = new EmulatorState("t", "contoso.onmicrosoft.com");
    const first = exportToTenant(state, [adUser()]);
    expect(first.provisioned).toEqual(["CN=Alice,OU=Staff,DC=corp,DC=test"]);
    const [user] = [...state.users.values()];
    expect(user).toMatchObject({ onPremisesSyncEnabled: true, onPremisesImmutableId: adUser().sourceAnchor });
    const mailbox = state.recipientOfUser(user?.id ?? "");
    expect(mailbox).toMatchObject({ isDirSynced: true, kind: "Mailbox" });
    expect(mailbox?.userCertificate).toEqual([bytes(1)]);

    const second = exportToTenant(state, [adUser({ userCertificate: [bytes(1), bytes(2)], disabled: true })]);
    expect(second.updated).toHaveLength(1);
    expect(state.users.size).toBe(1);
    expect(state.recipientOfUser(user?.id ?? "")?.userCertificate).toHaveLength(2);
    expect([...state.users.values()][0]?.accountEnabled).toBe(false);
  });

  it("exports an attribute with more than 15 values as nothing (AuthoritativeNull), the other one still", () => {
    const state = new EmulatorState("t", "d");
    exportToTenant(state, [adUser()]);
    const many = Array.from({ length: 16 }, (_, i) => bytes(i));
    const report = exportToTenant(state, [
      adUser({ userCertificate: many, userSMIMECertificate: [bytes(99)] }),
    ]);
    expect(report.suppressed).toEqual([{ dn: adUser().dn, attribute: "userCertificate", count: 16 }]);
    const r = [...state.recipients.values()][0];
    expect(r?.userCertificate).toEqual([]);
    expect(r?.userSMIMECertificate).toEqual([bytes(99)]);
    exportToTenant(state, [adUser({ userCertificate: many.slice(0, 15) })]);
    expect([...state.recipients.values()][0]?.userCertificate).toHaveLength(15);
  });

  it("matches by immutable id only, and deletes synced users gone from the scope", () => {
    const state = new EmulatorState("t", "d");
    state.addUser({ userPrincipalName: "cloud@contoso.com" });
    exportToTenant(state, [adUser()]);
    expect(state.users.size).toBe(2);
    const report = exportToTenant(state, [], { deleteMissingUnder: "OU=Staff,DC=corp,DC=test" });
    expect(report.deleted).toEqual([adUser().dn]);
    expect([...state.users.values()].map((u) => u.userPrincipalName)).toEqual(["cloud@contoso.com"]);
    expect(state.changesSince(0).size).toBe(2);
  });

  it("keeps provisioning errors, and an unresolved one of Exchange Online holds the mailbox's values", () => {
    const state = new EmulatorState("t", "d");
    exportToTenant(state, [adUser()]);
    const user = [...state.users.values()][0];
    if (!user) throw new Error("no user");
    const exchangeError = {
      createdDateTime: "2031-03-15T09:00:00Z",
      isResolved: false,
      serviceInstance: "exchange/EURPRD05-001-01",
      errorDetail: "<ErrorDescription>The proxy address is already being used.</ErrorDescription>",
    };
    const conflict = { category: "PropertyConflict", propertyCausingError: "ProxyAddresses" };
    state.upsertUser({
      ...user,
      onPremisesProvisioningErrors: [conflict],
      serviceProvisioningErrors: [exchangeError, { ...exchangeError, serviceInstance: "SharePoint/Dublin" }],
    });
    const held = exportToTenant(state, [adUser({ userCertificate: [bytes(1), bytes(2)] })]);
    expect(held.heldByExchange).toEqual([adUser().dn]);
    expect(state.recipientOfUser(user.id)?.userCertificate).toEqual([bytes(1)]);
    expect(state.users.get(user.id)?.onPremisesProvisioningErrors).toEqual([conflict]);

    // Resolved in Exchange (another service's error does not matter): the next cycle carries it.
    const now = state.users.get(user.id);
    if (!now) throw new Error("no user");
    state.upsertUser({
      ...now,
      serviceProvisioningErrors: now.serviceProvisioningErrors.map((e) => ({
        ...e,
        isResolved: e.serviceInstance?.startsWith("exchange") === true,
      })),
    });
    const carried = exportToTenant(state, [adUser({ userCertificate: [bytes(1), bytes(2)] })]);
    expect(carried.heldByExchange).toEqual([]);
    expect(state.recipientOfUser(user.id)?.userCertificate).toEqual([bytes(1), bytes(2)]);
  });
});
