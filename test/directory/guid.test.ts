import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { guidFromText, guidToText } from "../../src/directory/guid.js";

describe("objectGUID text form", () => {
  it("writes the first three groups little-endian (Windows byte order)", () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(guidToText(bytes)).toBe("03020100-0504-0706-0809-0a0b0c0d0e0f");
    // a GUID as PowerShell shows it, and its base64 as Entra's onPremisesImmutableId
    const g = guidFromText("{12345678-9ABC-DEF0-1234-56789ABCDEF0}");
    expect(Buffer.from(g).toString("hex")).toBe("78563412bc9af0de123456789abcdef0");
    expect(Buffer.from(g).toString("base64")).toBe("eFY0Erya8N4SNFZ4mrze8A==");
  });

  it("round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        expect(Buffer.from(guidFromText(guidToText(b))).equals(Buffer.from(b))).toBe(true);
      }),
    );
  });

  it("rejects what is no GUID", () => {
    expect(() => guidToText(new Uint8Array(15))).toThrow(RangeError);
    expect(() => guidFromText("not-a-guid")).toThrow(RangeError);
  });
});
