import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseLdif, renderLdif, serializeRecord, serializeValue } from "../../src/directory/ldif.js";
import { SmimesyncError } from "../../src/errors.js";

const text = (v: Uint8Array | undefined) => Buffer.from(v ?? new Uint8Array()).toString("utf8");

describe("parseLdif", () => {
  it("reads ldapsearch output: comments, folded lines, base64, the search trailer", () => {
    const doc = parseLdif(
      [
        "# extended LDIF",
        "#",
        "# LDAPv3",
        "# base <DC=corp,DC=example> with scope subtree",
        "",
        "# Alice, Staff, corp.example",
        "dn: CN=Alice,OU=Staff,DC=corp,DC=ex",
        " ample",
        "objectClass: top",
        "objectClass: user",
        "cn:: TcO8bGxlcg==",
        "userCertificate;binary:: AAEC",
        " /w==",
        "description: a line",
        "  with a folded space",
        "mail:   spaced@corp.example",
        "empty:",
        "",
        "# search result",
        "search: 2",
        "result: 0 Success",
        "",
        "# numResponses: 2",
      ].join("\n"),
      "x.ldif",
    );
    expect(doc.records).toHaveLength(1);
    const r = doc.records[0];
    expect(r?.dn).toBe("CN=Alice,OU=Staff,DC=corp,DC=example");
    expect(r?.attributes.get("objectclass")?.values.map(text)).toEqual(["top", "user"]);
    expect(text(r?.attributes.get("cn")?.values[0])).toBe("Müller");
    expect(r?.attributes.get("usercertificate")?.name).toBe("userCertificate;binary");
    expect([...(r?.attributes.get("usercertificate")?.values[0] ?? [])]).toEqual([0, 1, 2, 255]);
    expect(text(r?.attributes.get("description")?.values[0])).toBe("a line with a folded space");
    expect(text(r?.attributes.get("mail")?.values[0])).toBe("spaced@corp.example");
    expect(r?.attributes.get("empty")?.values[0]).toHaveLength(0);
  });

  it("reads ldifde output: version, changetype add, CRLF, base64 DN", () => {
    const dn = Buffer.from("CN=Jürgen,DC=corp,DC=example").toString("base64");
    const doc = parseLdif(
      [
        "version: 1",
        "",
        `dn:: ${dn}`,
        "changetype: add",
        "objectClass: user",
        "objectGUID:: AAECAwQFBgcICQoLDA0ODw==",
        "",
      ].join("\r\n"),
      "x.ldif",
    );
    expect(doc.eol).toBe("\r\n");
    expect(doc.records[0]?.dn).toBe("CN=Jürgen,DC=corp,DC=example");
    expect(doc.records[0]?.attributes.has("changetype")).toBe(false);
    expect(doc.records[0]?.attributes.get("objectguid")?.values[0]).toHaveLength(16);
  });

  it("accepts version: 1 directly followed by the first record", () => {
    const doc = parseLdif("version: 1\ndn: CN=a,DC=x\ncn: a\n", "x.ldif");
    expect(doc.records.map((r) => r.dn)).toEqual(["CN=a,DC=x"]);
  });

  it.each([
    ["cn: a\n", /x\.ldif:1: a record must start with "dn:"/],
    ["dn: CN=a\ncn:: ***\n", /x\.ldif:2: the base64 value of "cn" is malformed/],
    ["dn: CN=a\njpegPhoto:< file:///etc/passwd\n", /x\.ldif:2: .*URL.*not supported/],
    ["dn: CN=a\nchangetype: modify\n", /x\.ldif:2: .*change record/],
    [" folded\n", /x\.ldif:1: a continuation line/],
    ["dn: CN=a\nno colon here\n", /x\.ldif:2: /],
    ["version: 2\ndn: CN=a\n", /version 1/],
  ])("rejects %j with a located message", (input, message) => {
    let error: unknown;
    try {
      parseLdif(input, "x.ldif");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SmimesyncError);
    expect((error as SmimesyncError).code).toBe("LDIF_INVALID");
    expect((error as SmimesyncError).message).toMatch(message);
  });
});

describe("serializing", () => {
  it("writes safe strings as text, anything else base64, folded at 76 columns", () => {
    expect(serializeValue("cn", Buffer.from("Alice"))).toEqual(["cn: Alice"]);
    expect(serializeValue("cn", Buffer.from("Müller"))).toEqual(["cn:: TcO8bGxlcg=="]);
    expect(serializeValue("cn", Buffer.from(" lead"))).toEqual([
      `cn:: ${Buffer.from(" lead").toString("base64")}`,
    ]);
    expect(serializeValue("cn", Buffer.from(":x"))[0]).toMatch(/^cn:: /);
    expect(serializeValue("cn", Buffer.from("<x"))[0]).toMatch(/^cn:: /);
    expect(serializeValue("cn", Buffer.from("trail "))[0]).toMatch(/^cn:: /);
    const long = serializeValue("userCertificate", new Uint8Array(300).fill(7));
    expect(long.every((l) => l.length <= 76)).toBe(true);
    expect(long.slice(1).every((l) => l.startsWith(" "))).toBe(true);
  });

  it("round-trips any values through serialize and parse", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { minLength: 1, maxLength: 5 }),
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\r\n]/.test(s)),
        (values, cn) => {
          const record = {
            dn: `CN=${cn},DC=x`,
            attributes: new Map([["usercertificate", { name: "userCertificate", values }]]),
            firstLine: 0,
            endLine: 0,
          };
          const doc = parseLdif(`${serializeRecord(record).join("\n")}\n`, "x.ldif");
          expect(doc.records[0]?.dn).toBe(record.dn);
          const back = doc.records[0]?.attributes.get("usercertificate")?.values ?? [];
          expect(back.map((v) => Buffer.from(v).toString("hex"))).toEqual(
            values.map((v) => Buffer.from(v).toString("hex")),
          );
        },
      ),
    );
  });

  it("re-renders only the changed records, keeping comments and other records as they were", () => {
    const input =
      "# head comment\n\ndn: CN=a,DC=x\ncn: a\n\n# about b\ndn: CN=b,DC=x\ncn: b\n  folded\n\ndn: CN=c,DC=x\ncn: c\n";
    const doc = parseLdif(input, "x.ldif");
    expect(renderLdif(doc, new Set())).toBe(input);
    const b = doc.records[1];
    if (!b) throw new Error("no b");
    b.attributes.set("mail", { name: "mail", values: [Buffer.from("b@x")] });
    expect(renderLdif(doc, new Set([b]))).toBe(
      "# head comment\n\ndn: CN=a,DC=x\ncn: a\n\n# about b\ndn: CN=b,DC=x\ncn: b folded\nmail: b@x\n\ndn: CN=c,DC=x\ncn: c\n",
    );
  });
});
