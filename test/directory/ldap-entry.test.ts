// How search entries come out of ldapts: src/directory/ldap-entry.ts tells ldapts's parser that
// every attribute is binary, so values are never decoded as text on the way in. The entry handed
// to the directory code must be byte for byte what the server sent, text and certificates alike.
import { Attribute, BerReader, BerWriter, SearchEntry } from "ldapts";
import { expect, it } from "vitest";
import { bufferAttributeNames, fromLdapts } from "../../src/directory/ldap-entry.js";

/** A SearchResultEntry's body as a DC sends it (RFC 4511 4.5.2): the DN, then the attributes. */
function wireEntry(dn: string, attributes: Record<string, Buffer[]>): SearchEntry {
  const w = new BerWriter();
  w.startSequence(0x64);
  w.writeString(dn);
  w.startSequence();
  for (const [type, values] of Object.entries(attributes)) new Attribute({ type, values }).write(w);
  w.endSequence();
  w.endSequence();
  const entry = new SearchEntry({ messageId: 1 });
  const reader = new BerReader(w.buffer);
  reader.readSequence(0x64);
  entry.parseMessage(reader);
  return entry;
}

// Not valid UTF-8 (as DER often is not), and a value that is.
const DER = Buffer.from([0x30, 0x82, 0x01, 0xff, 0xc3, 0x28, 0xa0, 0xa1]);
const MAIL = Buffer.from("jürgen.müller@corp.example.com");

it("ldapts leaves every value undecoded, and the entry holds the server's exact bytes", () => {
  const entry = wireEntry("CN=J\\C3\\BCrgen,OU=Staff,DC=corp,DC=example,DC=com", {
    userCertificate: [DER],
    mail: [MAIL],
  });
  const [cert, mail] = entry.attributes;
  // The hook is in effect: even a valid UTF-8 value stays the buffer it arrived as.
  expect(mail?.values[0]).toBeInstanceOf(Buffer);
  expect(cert?.values[0]).toBeInstanceOf(Buffer);
  const raw = fromLdapts(
    entry.toObject(["userCertificate", "mail"], bufferAttributeNames(["userCertificate", "mail"])),
  );
  expect(raw.dn).toBe("CN=J\\C3\\BCrgen,OU=Staff,DC=corp,DC=example,DC=com");
  expect(Buffer.from(raw.attributes.get("usercertificate")?.[0] ?? []).equals(DER)).toBe(true);
  expect(Buffer.from(raw.attributes.get("mail")?.[0] ?? []).equals(MAIL)).toBe(true);
});
