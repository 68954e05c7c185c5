// SHA-256 (hex), the one place smimesync hashes bytes or text. A plan hashes the same value many
// times (reconcile, policy, the plan's value fields, fingerprints, apply's checks), so each
// Uint8Array's digest is remembered beside it: values are never modified once read.
import { createHash } from "node:crypto";

const memo = new WeakMap<Uint8Array, string>();

export function sha256Hex(data: Uint8Array | string): string {
  if (typeof data === "string") return createHash("sha256").update(data, "utf8").digest("hex");
  const known = memo.get(data);
  if (known !== undefined) return known;
  const hex = createHash("sha256").update(data).digest("hex");
  memo.set(data, hex);
  return hex;
}
