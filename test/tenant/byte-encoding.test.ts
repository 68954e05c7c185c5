import fc from "fast-check";
import { expect, it } from "vitest";
import { decodeExchangeBytes, encodeExchangeBytes } from "../../src/tenant/exchange/byte-encoding.js";

it("round-trips any bytes, including a view into a larger buffer", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
      const decoded = decodeExchangeBytes(encodeExchangeBytes(bytes), "test");
      expect(Buffer.compare(decoded, bytes)).toBe(0);
    }),
  );
  const big = new Uint8Array([9, 9, 1, 2, 3, 9]);
  expect(encodeExchangeBytes(big.subarray(2, 5))).toBe("AQID");
});

it("accepts a JSON byte array as a fallback and refuses anything else", () => {
  expect([...decodeExchangeBytes([1, 2, 255], "t")]).toEqual([1, 2, 255]);
  expect(() => decodeExchangeBytes("not base64!", "Get-Mailbox x")).toThrow(
    /Get-Mailbox x: a certificate value is not base64/,
  );
  expect(() => decodeExchangeBytes([1, 256], "t")).toThrow(/neither a base64 string nor a byte array/);
  expect(() => decodeExchangeBytes({}, "t")).toThrow();
});
