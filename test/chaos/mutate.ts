// Cheap fast-check arbitraries for hostile input: a valid seed mutated a few times (bytes flipped,
// inserted, deleted, chunks duplicated, cut short), or a JSON document with one node replaced or
// removed. Mutating valid input reaches the deep paths of a parser; random bytes alone stop at the
// first check.
import fc from "fast-check";

type ByteOp = readonly [kind: number, at: number, value: number, span: number];

const byteOp: fc.Arbitrary<ByteOp> = fc.tuple(
  fc.integer({ min: 0, max: 5 }),
  fc.nat(),
  fc.integer({ min: 0, max: 255 }),
  fc.integer({ min: 1, max: 64 }),
);

function applyByteOp(buf: Uint8Array, [kind, rawAt, value, span]: ByteOp): Uint8Array {
  if (buf.length === 0) return Uint8Array.of(value);
  const at = rawAt % buf.length;
  switch (kind) {
    case 0: {
      const out = Uint8Array.from(buf);
      out[at] = value;
      return out;
    }
    case 1: {
      const out = Uint8Array.from(buf);
      out[at]! ^= 1 << (value % 8);
      return out;
    }
    case 2:
      return Buffer.concat([buf.subarray(0, at), Uint8Array.of(value), buf.subarray(at)]);
    case 3:
      return Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + span))]);
    case 4:
      // A chunk repeated: lengths and counts that no longer add up.
      return Buffer.concat([buf.subarray(0, at + span), buf.subarray(at)]);
    default:
      return buf.subarray(0, at);
  }
}

/** One of `seeds`, mutated 1 to 6 times, or (one case in ten) random bytes. */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.nat(seeds.length - 1), fc.array(byteOp, { minLength: 1, maxLength: 6 }))
    .map(([i, ops]) => ops.reduce(applyByteOp, seeds[i] as Uint8Array));
  return fc.oneof(
    { weight: 9, arbitrary: mutated },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  );
}

/** Text seeds mutated as bytes and read back as (possibly invalid) UTF-8. */
export function mutatedText(seeds: readonly string[]): fc.Arbitrary<string> {
  return mutatedBytes(seeds.map((s) => Buffer.from(s, "utf8"))).map((b) => Buffer.from(b).toString("utf8"));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = readonly (string | number)[];

function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) {
    for (const [i, c] of v.entries()) paths(c, [...at, i], out);
  } else if (v !== null && typeof v === "object")
    for (const [k, c] of Object.entries(v)) paths(c, [...at, k], out);
  return out;
}

const oddValues: Json[] = [null, true, 0, -1, 1e308, 2 ** 53, "", "x".repeat(300), [], {}, "\u0000", "A=="];

const smallJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...oddValues),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);

function edit(doc: Json, path: Path, action: number, value: Json): Json {
  if (path.length === 0) return action === 0 ? value : doc;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const i = head as number;
    const copy = [...doc];
    if (rest.length > 0) copy[i] = edit(copy[i] as Json, rest, action, value);
    else if (action === 1) copy.splice(i, 1);
    else if (action === 2) copy.splice(i, 0, copy[i] as Json);
    else copy[i] = value;
    return copy;
  }
  if (doc !== null && typeof doc === "object") {
    const k = head as string;
    const copy = { ...doc };
    if (rest.length > 0) copy[k] = edit(copy[k] as Json, rest, action, value);
    else if (action === 1) delete copy[k];
    else copy[k] = value;
    return copy;
  }
  return doc;
}

/**
 * The JSON seeds with 1 to 3 nodes replaced by odd values, removed or (in arrays) duplicated,
 * serialised; `reseal` may fix up what a forger would (a plan's integrity hash).
 */
export function mutatedJson(seedTexts: readonly string[], reseal: (doc: Json) => Json = (d) => d) {
  const seeds = seedTexts.map((t) => JSON.parse(t) as Json);
  const seedPaths = seeds.map((s) => paths(s));
  return fc
    .tuple(
      fc.nat(seeds.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 3 }), smallJson), { minLength: 1, maxLength: 3 }),
    )
    .map(([i, edits]) => {
      const all = seedPaths[i] as Path[];
      let doc = seeds[i] as Json;
      for (const [p, action, value] of edits) doc = edit(doc, all[p % all.length] as Path, action, value);
      return JSON.stringify(reseal(doc));
    });
}

export type { Json };
