// The fixed, hand-built plan of the golden files: one of each thing a rendering must show.

import type { Plan } from "../../src/plan/types.js";
import {
  adUserAddress,
  exchangeAddress,
  fakeCertificate,
  fakeMalformedValue,
  PlanBuilder,
} from "../fixtures/plan-builder.js";

export const ALICE = adUserAddress("alice@corp.example.com");
export const BOB = adUserAddress("bob@corp.example.com");
export const CAROL = exchangeAddress("carol@corp.example.com");
export const PARTNER = exchangeAddress("dave@partner.example", "contact");
export const ERIN = adUserAddress("erin_o'neil@corp.example.com");

export function fixturePlan(): Plan {
  const aliceNew = fakeCertificate({
    cn: "Alice Example",
    email: "alice@corp.example.com",
    notAfter: "2028-02-01T00:00:00.000Z",
  });
  const aliceOld = fakeCertificate({
    cn: "Alice Example",
    email: "alice@corp.example.com",
    notBefore: "2023-01-01T00:00:00.000Z",
    notAfter: "2025-12-31T23:59:59.000Z",
  });
  const aliceSha1 = fakeCertificate({
    cn: "Alice Example",
    email: "alice@corp.example.com",
    seed: "alice-sha1",
  });
  const bobWrong = fakeCertificate({ cn: "Bob Example", email: "robert@other.example" });
  const carol = fakeCertificate({ cn: "Carol Cloud", email: "carol@corp.example.com" });
  const dave = fakeCertificate({
    cn: "Dave Partner",
    email: "dave@partner.example",
    issuer: "CN=Partner CA, O=Partner",
  });
  const erinOld = fakeCertificate({
    cn: "Erin O'Neil | *Sales*",
    email: "erin_o'neil@corp.example.com",
    seed: "erin-old",
  });

  return new PlanBuilder({ inScope: 42 })
    .adUser("alice@corp.example.com", { usnChanged: "120034" })
    .adUser("bob@corp.example.com")
    .cloudMailbox("carol@corp.example.com")
    .partnerContact("dave@partner.example", { name: "Dave Partner", exists: false })
    .adUser("erin_o'neil@corp.example.com")
    .publish(
      ALICE,
      "userCertificate",
      aliceNew,
      "declared-in-repo",
      "declared in certs/alice@corp.example.com.pem",
    )
    .remove(ALICE, "userCertificate", aliceOld, "expired", "expired on 2025-12-31")
    .remove(
      ALICE,
      "userCertificate",
      fakeMalformedValue("alice-junk"),
      "malformed",
      "not a certificate (40 bytes)",
    )
    .wouldRemove(ALICE, "userCertificate", aliceSha1, "weak-signature", "signed with sha1WithRSAEncryption")
    .wouldRemove(
      BOB,
      "userCertificate",
      bobWrong,
      "email-mismatch",
      "robert@other.example is not an address of this user",
    )
    .publish(
      CAROL,
      "userCertificate",
      carol,
      "declared-in-repo",
      "declared in certs/carol@corp.example.com.pem",
    )
    .publish(
      CAROL,
      "userSMIMECertificate",
      { der: carol.der.slice().reverse(), ref: carol.ref },
      "derived-pkcs7",
    )
    .publish(PARTNER, "userCertificate", dave, "declared-in-repo", "declared in partners/dave.pem")
    .remove(
      ERIN,
      "userSMIMECertificate",
      erinOld,
      "superseded",
      "superseded by a certificate valid until 2027-03-01",
    )
    .drift(
      "sync-pending",
      BOB,
      "Exchange Online shows 1 value more than AD; Entra Connect has not exported yet",
      "userCertificate",
    )
    .drift(
      "no-cloud-counterpart",
      adUserAddress("frank@corp.example.com"),
      "no Entra ID user has this object's source anchor",
    )
    .warning("expiring-soon", "Alice Example's newest certificate expires in 21 days", ALICE)
    .warning(
      "prune-disabled",
      "2 values are kept because prune is disabled for weak-signature and email-mismatch",
    )
    .build();
}
