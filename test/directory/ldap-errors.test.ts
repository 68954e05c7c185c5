import {
  InsufficientAccessError,
  InvalidCredentialsError,
  SizeLimitExceededError,
  StrongAuthRequiredError,
} from "ldapts";
import { describe, expect, it } from "vitest";
import {
  AD_BIND_DATA_CODES,
  adBindDataCode,
  describeBindFailure,
  toLdapError,
} from "../../src/directory/ldap-errors.js";

const ctx = { operation: "binding as svc@corp.example", server: "ldaps://dc01:636" };
const adMessage = (code: string) =>
  `80090308: LdapErr: DSID-0C09042A, comment: AcceptSecurityContext error, data ${code}, v3839`;

describe("AD bind data codes", () => {
  it.each([
    ["525", "does not exist"],
    ["52e", "password is wrong"],
    ["530", "at this time"],
    ["531", "from this workstation"],
    ["532", "password has expired"],
    ["533", "account is disabled"],
    ["701", "account has expired"],
    ["773", "must be changed"],
    ["775", "locked out"],
  ])("decodes data %s", (code, text) => {
    expect(adBindDataCode(adMessage(code))).toBe(code);
    expect(describeBindFailure(adMessage(code))).toContain(text);
    const e = toLdapError(new InvalidCredentialsError(adMessage(code)), ctx);
    expect(e.code).toBe("LDAP_AUTH");
    expect(e.message).toContain(text);
    expect(e.message).toContain(`AD code ${code}`);
    expect(e.message).toContain("svc@corp.example");
  });

  it("knows every code the issue lists and says something for unknown ones", () => {
    for (const c of ["525", "52e", "530", "531", "532", "533", "701", "773", "775"])
      expect(AD_BIND_DATA_CODES[c]).toBeDefined();
    expect(describeBindFailure(adMessage("999"))).toBe("invalid credentials (AD code 999)");
    expect(describeBindFailure("Invalid credentials")).toBe("invalid credentials");
  });
});

describe("toLdapError", () => {
  it("maps network failures to LDAP_CONNECT", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.1:636"), { code: "ECONNREFUSED" });
    expect(toLdapError(refused, ctx).code).toBe("LDAP_CONNECT");
    expect(toLdapError(new Error("Connection timeout"), ctx).code).toBe("LDAP_CONNECT");
    expect(
      toLdapError(Object.assign(new Error("getaddrinfo ENOTFOUND dc01"), { code: "ENOTFOUND" }), ctx).code,
    ).toBe("LDAP_CONNECT");
  });

  it("maps certificate failures to LDAP_TLS with a hint about caFile", () => {
    for (const code of [
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "SELF_SIGNED_CERT_IN_CHAIN",
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "CERT_HAS_EXPIRED",
    ]) {
      const e = toLdapError(Object.assign(new Error("x"), { code }), ctx);
      expect(e.code).toBe("LDAP_TLS");
      expect(e.hint).toContain("caFile");
    }
    expect(toLdapError(new StrongAuthRequiredError("00002028: strong auth"), ctx).code).toBe("LDAP_TLS");
  });

  it("maps rights and limits", () => {
    expect(toLdapError(new InsufficientAccessError("00002098: SecErr"), ctx).code).toBe("LDAP_RIGHTS");
    expect(toLdapError(new SizeLimitExceededError("Size limit exceeded"), ctx).code).toBe("LDAP_LIMIT");
  });
});
