// objectGUID is 16 bytes; its text form (as in PowerShell and ADSI Edit) writes the first three
// groups little-endian ("Windows byte order"), so bytes 00 01 02 03 04 05 06 07 08 ... read
// 03020100-0504-0706-0809-0a0b0c0d0e0f.

export function guidToText(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`a GUID has 16 bytes, not ${bytes.length}`);
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, "0"));
  const at = (...i: number[]): string => i.map((n) => h[n]).join("");
  return `${at(3, 2, 1, 0)}-${at(5, 4)}-${at(7, 6)}-${at(8, 9)}-${at(10, 11, 12, 13, 14, 15)}`;
}

export function guidFromText(text: string): Uint8Array {
  const m = /^\{?([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}?$/i.exec(
    text.trim(),
  );
  if (!m) throw new RangeError(`"${text}" is not a GUID`);
  const hex = (s: string): number[] => (s.match(/../g) ?? []).map((x) => Number.parseInt(x, 16));
  const [, a, b, c, d, e] = m as unknown as [string, string, string, string, string, string];
  return Uint8Array.from([
    ...hex(a).reverse(),
    ...hex(b).reverse(),
    ...hex(c).reverse(),
    ...hex(d),
    ...hex(e),
  ]);
}
