// `--target` matching: every name an admin knows a recipient by, case-insensitively; a target
// naming nobody is reported, not dropped.
import { describe, expect, it } from "vitest";
import { matchTargets, normalizeTargets, type TargetCandidate } from "../../src/reconcile/targets.js";

const erin: TargetCandidate = {
  address: "ad:user/erin@corp.example.com",
  mail: "Erin.Evans@corp.example.com",
  userPrincipalName: "erin@corp.example.com",
  proxyAddresses: ["SMTP:Erin.Evans@corp.example.com", "smtp:ee@corp.example.com", "X500:/o=Old/cn=erin"],
  ref: {
    type: "ad",
    objectGuid: "0f8fad5b-d9cb-469f-a165-70867728950e",
    dn: "CN=Erin Evans,OU=Staff,DC=corp",
  },
};
const partner: TargetCandidate = {
  address: "exchange:mail-contact/pat@supplier.example",
  mail: undefined,
  userPrincipalName: undefined,
  proxyAddresses: [],
  ref: { type: "exchange-new-contact", name: "Pat", externalEmailAddress: "Pat@Supplier.example" },
};

describe("matchTargets", () => {
  it("matches by plan address, mail, UPN, smtp proxy address, DN and objectGUID, ignoring case", () => {
    for (const t of [
      "AD:USER/ERIN@CORP.EXAMPLE.COM",
      "erin.evans@CORP.example.com",
      "Erin@corp.example.com",
      "EE@corp.example.com",
      "cn=erin evans,ou=staff,dc=corp",
      "0F8FAD5B-D9CB-469F-A165-70867728950E",
    ]) {
      const m = matchTargets(normalizeTargets([t]), [erin, partner]);
      expect([...m.addresses], t).toEqual([erin.address]);
      expect(m.unmatched).toEqual([]);
    }
    expect([...matchTargets(["pat@supplier.example"], [erin, partner]).addresses]).toEqual([partner.address]);
  });

  it("reports targets that name nobody (a non-smtp proxy address is not a mail address)", () => {
    const m = matchTargets(normalizeTargets(["x500:/o=old/cn=erin", " ee@corp.example.com "]), [erin]);
    expect(m.unmatched).toEqual(["x500:/o=old/cn=erin"]);
    expect([...m.addresses]).toEqual([erin.address]);
  });

  it("normalises targets so that order, case and repeats give the same plan", () => {
    expect(normalizeTargets(["B@x", "a@x", "b@X ", ""])).toEqual(["a@x", "b@x"]);
  });
});
