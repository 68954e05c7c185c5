import { afterAll, beforeAll, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/server.js";
import { collect, openAgainst } from "./helpers.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
  emu.state.addUser({ userPrincipalName: "alice@contoso.com" });
});
afterAll(() => emu.close());

it("reads users and recipients", async () => {
  const tenant = await openAgainst(emu);
  const users = await collect(tenant.readUsers());
  expect(users.map((u) => u.userPrincipalName)).toEqual(["alice@contoso.com"]);
  const recipients = await collect(tenant.readRecipients());
  expect(recipients).toHaveLength(1);
});
