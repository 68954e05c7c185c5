import { expect, it } from "vitest";
import { isSmimesyncError } from "../../src/errors.js";
import { resolveEndpoints } from "../../src/tenant/endpoints.js";
import { openTenant } from "../../src/tenant/open-tenant.js";

it("national clouds have their own hosts and token audiences", () => {
  expect(resolveEndpoints("global", undefined)).toMatchObject({
    graph: "https://graph.microsoft.com",
    exchangeScope: "https://outlook.office365.com/.default",
  });
  expect(resolveEndpoints("usgov", undefined)).toMatchObject({
    graph: "https://graph.microsoft.us",
    login: "https://login.microsoftonline.us",
  });
  expect(resolveEndpoints("usgov-dod", undefined).graphScope).toBe("https://dod-graph.microsoft.us/.default");
  expect(resolveEndpoints("china", undefined).exchange).toBe("https://partner.outlook.cn");
});

it("overrides change where requests go, not the token audience", () => {
  const e = resolveEndpoints("global", {
    graph: "https://proxy.example/graph/",
    exchange: "https://127.0.0.1:8443",
  });
  expect(e.graph).toBe("https://proxy.example/graph");
  expect(e.exchange).toBe("https://127.0.0.1:8443");
  expect(e.graphScope).toBe("https://graph.microsoft.com/.default");
});

it("refuses plain http, with no switch to allow it", () => {
  const error = (() => {
    try {
      return resolveEndpoints("global", { graph: "http://127.0.0.1:8080" });
    } catch (e) {
      return e;
    }
  })();
  expect(isSmimesyncError(error) && error.code).toBe("CONFIG_INVALID");
  expect(String(error)).toMatch(/must be an https:\/\/ URL/);
});

it("a live tenant needs tenantId, domain and auth", async () => {
  const error = await openTenant(
    { tenantId: "8d2f6a1e-3b4c-4d5e-9f60-7a8b9c0d1e2f" },
    { baseDir: ".", env: {} },
  ).catch((e: unknown) => e);
  expect(String(error)).toMatch(/domain, auth required/);
});
