// The emulator answers in the real services' shapes (checked with plain HTTP, no production code).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invokeCommand } from "../tenant/helpers.js";
import { type Emulator, startEmulator } from "./server.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
  for (let i = 0; i < 25; i++)
    emu.state.addUser({ userPrincipalName: `u${i}@contoso.com`, onPremisesSyncEnabled: i < 3 ? true : null });
});
afterAll(() => emu.close());

const graph = (
  path: string,
  init: RequestInit = {},
  token = emu.authority.issue(emu.app.clientId, "graph"),
) =>
  emu.fetch(`${emu.urls.graph}${path}`, {
    ...init,
    headers: {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
      ...(init.headers as Record<string, string>),
    },
  });

const exo = (cmdlet: string, parameters: Record<string, unknown>, headers: Record<string, string> = {}) =>
  invokeCommand(emu, cmdlet, parameters, headers);

describe("Graph", () => {
  it("401 without a token: InvalidAuthenticationToken with innerError and WWW-Authenticate", async () => {
    const res = await emu.fetch(`${emu.urls.graph}/v1.0/users`, { method: "GET" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
    const body = (await res.json()) as {
      error: { code: string; message: string; innerError: Record<string, string> };
    };
    expect(body.error.code).toBe("InvalidAuthenticationToken");
    expect(body.error.message).toBe("Access token is empty.");
    expect(Object.keys(body.error.innerError).sort()).toEqual(["client-request-id", "date", "request-id"]);
  });

  it("a token for Exchange is refused by Graph (audience)", async () => {
    const res = await graph("/v1.0/users", {}, emu.authority.issue(emu.app.clientId, "exchange"));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Invalid audience/);
  });

  it("$top over 999 is 400 Request_UnsupportedQuery with Graph's wording", async () => {
    const res = await graph("/v1.0/users?$top=1000");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: "Request_UnsupportedQuery",
        message: "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
      },
    });
  });

  it("default page of 100, $select projection, $filter eq, OData envelope", async () => {
    const res = await graph("/v1.0/users?$select=id,userPrincipalName&$filter=onPremisesSyncEnabled eq true");
    const body = (await res.json()) as { "@odata.context": string; value: Record<string, unknown>[] };
    expect(body["@odata.context"]).toContain("$metadata#users");
    expect(body.value).toHaveLength(3);
    expect(Object.keys(body.value[0] ?? {}).sort()).toEqual(["id", "userPrincipalName"]);
    const bad = await graph("/v1.0/users?$filter=startswith(mail,'a')");
    expect(bad.status).toBe(400);
  });

  it("$batch answers each request and refuses more than 20", async () => {
    const ids = [...emu.state.users.keys()];
    const ok = await graph("/v1.0/$batch", {
      method: "POST",
      body: JSON.stringify({
        requests: [
          { id: "1", method: "GET", url: `/users/${ids[0]}?$select=id` },
          { id: "2", method: "GET", url: "/users/nope" },
        ],
      }),
    });
    const body = (await ok.json()) as { responses: { id: string; status: number }[] };
    expect(body.responses.map((r) => [r.id, r.status])).toEqual([
      ["1", 200],
      ["2", 404],
    ]);
    const tooMany = await graph("/v1.0/$batch", {
      method: "POST",
      body: JSON.stringify({
        requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: "GET", url: "/users" })),
      }),
    });
    expect(tooMany.status).toBe(400);
  });

  it("injected 429 carries Retry-After and Graph's throttling shape", async () => {
    emu.inject.throttle("graph", { retryAfterSeconds: 3 });
    const res = await graph("/v1.0/users");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toMatchObject({ error: { code: "TooManyRequests" } });
  });
});

describe("Exchange", () => {
  it("401 with an empty body and x-ms-diagnostics when the token is bad", async () => {
    const res = await emu.fetch(`${emu.urls.exchange}/adminapi/beta/${emu.tenantId}/InvokeCommand`, {
      method: "POST",
      headers: { Authorization: "Bearer forged", "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(await res.text()).toBe("");
    expect(res.headers.get("x-ms-diagnostics")).toMatch(/^2000003;reason=/);
  });

  it("the write-scope refusal has Exchange's error layout and wording", async () => {
    const synced = [...emu.state.recipients.values()].find((r) => r.isDirSynced);
    const res = await exo("Set-Mailbox", { Identity: synced?.guid, UserCertificate: ["MAA="] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { details: { message: string }[]; innererror: { internalexception: { message: string } } };
    };
    expect(body.error.details[0]?.message).toMatch(
      /^Ex[0-9A-F]{6}\|System\.InvalidOperationException\|The operation on mailbox ".+" failed because it's out of the current user's write scope\. The action 'Set-Mailbox', 'UserCertificate', can't be performed/,
    );
    expect(body.error.innererror.internalexception.message).toMatch(
      /synchronized from your on-premises organization/,
    );
  });

  it("a value over 32,768 bytes is refused", async () => {
    const cloud = [...emu.state.recipients.values()].find((r) => !r.isDirSynced);
    const res = await exo("Set-Mailbox", {
      Identity: cloud?.guid,
      UserSMimeCertificate: [Buffer.alloc(32_769, 0x30).toString("base64")],
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/maximum length is 32768/);
  });

  it("unknown cmdlets, unknown identities and a missing anchor header are errors", async () => {
    expect((await exo("Remove-Mailbox", {})).status).toBe(400);
    const missing = await exo("Get-Mailbox", { Identity: "nobody" });
    expect(missing.status).toBe(404);
    expect(JSON.stringify(await missing.json())).toMatch(/ManagementObjectNotFoundException/);
    expect((await exo("Get-Mailbox", {}, { "X-AnchorMailbox": "" })).status).toBe(400);
    // An app-only token has no user: the delegated UPN form of the anchor does not route it.
    const upn = `UPN:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${emu.domain}`;
    expect((await exo("Get-Mailbox", {}, { "X-AnchorMailbox": upn })).status).toBe(400);
  });

  it("pages Get-Mailbox by odata.maxpagesize and POST to @odata.nextLink", async () => {
    const first = await exo(
      "Get-Mailbox",
      { ResultSize: "Unlimited" },
      { "X-prefer": "odata.maxpagesize=10" },
    );
    const page = (await first.json()) as { value: unknown[]; "@odata.nextLink": string };
    expect(page.value).toHaveLength(10);
    expect(page["@odata.nextLink"]).toContain("$skiptoken=");
  });
});
