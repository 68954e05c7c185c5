// Graph through production code against the emulator: paging, delta (+ $batch completion),
// the $top limit, 401 and 403.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isSmimesyncError } from "../../src/errors.js";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { collect, openAgainst } from "./helpers.js";

let emu: Emulator;
afterEach(() => emu.close());

describe("reading users", () => {
  beforeEach(async () => {
    emu = await startEmulator({ graphMaxPageSize: 3 });
    for (let i = 0; i < 10; i++) {
      emu.state.addUser({
        userPrincipalName: `user${i}@contoso.com`,
        onPremisesSyncEnabled: i % 2 === 0 ? true : null,
      });
    }
  });

  it("follows @odata.nextLink over 4 pages and asks for $top=999 with the sync properties", async () => {
    const tenant = await openAgainst(emu);
    const users = await collect(tenant.readUsers());
    expect(users.map((u) => u.userPrincipalName).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `user${i}@contoso.com`).sort(),
    );
    expect(users.find((u) => u.userPrincipalName === "user0@contoso.com")?.onPremisesSyncEnabled).toBe(true);
    expect(users.find((u) => u.userPrincipalName === "user1@contoso.com")?.onPremisesSyncEnabled).toBeNull();
    const calls = emu.requests.filter((r) => r.service === "graph" && r.path === "/v1.0/users");
    expect(calls).toHaveLength(4);
    const first = new URL(calls[0]?.url ?? "");
    expect(first.searchParams.get("$top")).toBe("999");
    expect(first.searchParams.get("$select")?.split(",")).toContain("onPremisesImmutableId");
    expect(calls.slice(1).every((c) => new URL(c.url).searchParams.has("$skiptoken"))).toBe(true);
    expect(calls.every((c) => c.headers.authorization?.startsWith("Bearer "))).toBe(true);
  });

  it("delta: a complete first round, then only the changes, partial entries re-read through $batch", async () => {
    const tenant = await openAgainst(emu);
    const first = await tenant.readUserChanges(undefined);
    expect(first.complete).toBe(true);
    expect(first.changes).toHaveLength(10);
    expect(first.deltaLink).toContain("$deltatoken=");

    const [u1, u2] = [...emu.state.users.values()];
    if (!u1 || !u2) throw new Error("seed");
    emu.state.upsertUser({ ...u1, mail: "renamed@contoso.com" });
    emu.state.removeUser(u2.id);
    const added = emu.state.addUser({ userPrincipalName: "new@contoso.com" });

    const second = await tenant.readUserChanges(first.deltaLink);
    expect(second.complete).toBe(false);
    const byId = new Map(second.changes.map((c) => [c.kind === "upsert" ? c.user.id : c.id, c]));
    expect(byId.size).toBe(3);
    const changed = byId.get(u1.id);
    expect(changed?.kind === "upsert" && changed.user).toMatchObject({
      mail: "renamed@contoso.com",
      userPrincipalName: u1.userPrincipalName,
    });
    expect(byId.get(u2.id)).toEqual({ kind: "removed", id: u2.id, reason: "changed" });
    expect(byId.get(added.id)?.kind).toBe("upsert");
    // The updated user arrived with only `mail`: production completed it through $batch.
    expect(emu.requests.some((r) => r.path === "/v1.0/$batch")).toBe(true);

    const third = await tenant.readUserChanges(second.deltaLink);
    expect(third.changes).toEqual([]);
  });
});

it("an expired token is refreshed once; a revoked credential is then TENANT_AUTH with Entra's message", async () => {
  emu = await startEmulator();
  emu.state.addUser({ userPrincipalName: "a@contoso.com" });
  const tenant = await openAgainst(emu);
  await collect(tenant.readUsers());
  emu.inject.expireTokens();
  expect(await collect(tenant.readUsers())).toHaveLength(1);
  // The secret is rotated: the refresh after the next 401 cannot get a token.
  emu.inject.revokeTokens();
  emu.authority.register({ ...emu.app, clientSecret: "rotated" });
  const error = await collect(tenant.readUsers()).catch((e: unknown) => e);
  expect(isSmimesyncError(error) && error.code).toBe("TENANT_AUTH");
  expect(String(error)).toMatch(/cannot get a token.*client secret/i);
});

it("an app without User.Read.All is TENANT_FORBIDDEN with a hint naming the permission", async () => {
  emu = await startEmulator({ app: { graphRoles: [] } });
  const tenant = await openAgainst(emu);
  const error = await collect(tenant.readUsers()).catch((e: unknown) => e);
  expect(isSmimesyncError(error) && error.code).toBe("TENANT_FORBIDDEN");
  expect(isSmimesyncError(error) && error.hint).toMatch(/User\.Read\.All/);
});
