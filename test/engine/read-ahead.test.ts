// The directory's read-ahead (src/engine/read-ahead.ts): pages in order, prepared as they are read,
// never more than `depth` pages ahead of the consumer, a read error after the pages before it.
import { describe, expect, it } from "vitest";
import { readAhead } from "../../src/engine/read-ahead.js";

/** A source of 0..n-1 that counts what was pulled from it, and can fail at one item. */
function source(n: number, failAt?: number) {
  const state = { pulled: 0, returned: false };
  async function* items(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        await Promise.resolve();
        if (i === failAt) throw new Error(`item ${i} unreadable`);
        state.pulled++;
        yield i;
      }
    } finally {
      state.returned = true;
    }
  }
  return { items: items(), state };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of pages) out.push(p);
  return out;
}

describe("readAhead", () => {
  it("gives every item once, in order, in pages, the last one short; each page prepared as read", async () => {
    const { items } = source(23);
    const prepared: number[][] = [];
    const r = readAhead(items, 5, 2, (page) => {
      prepared.push(page);
      return page.length;
    });
    expect(await collect(r.pages)).toEqual([5, 5, 5, 5, 3]);
    expect(prepared.flat()).toEqual([...Array(23).keys()]);
  });

  it("reads ahead at once, but at most `depth` pages ahead of a consumer that waits", async () => {
    const { items, state } = source(1000);
    const r = readAhead(items, 10, 3, (page) => page);
    await settle();
    // Three pages buffered, and the item that starts a fourth pulled at most.
    expect(state.pulled).toBeGreaterThanOrEqual(30);
    expect(state.pulled).toBeLessThanOrEqual(31);
    const it = r.pages[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual([...Array(10).keys()]);
    await settle();
    expect(state.pulled).toBeLessThanOrEqual(41);
    r.cancel();
  });

  it("throws a read error after the pages read before it", async () => {
    const { items } = source(100, 12);
    const r = readAhead(items, 5, 10, (page) => page);
    const seen: number[][] = [];
    await expect(
      (async () => {
        for await (const p of r.pages) seen.push(p);
      })(),
    ).rejects.toThrow("item 12 unreadable");
    expect(seen.flat()).toEqual([...Array(10).keys()]);
  });

  it("cancel stops the read: nothing more is pulled and the source is closed", async () => {
    const { items, state } = source(1000);
    const r = readAhead(items, 10, 2, (page) => page);
    await settle();
    r.cancel();
    await settle();
    const pulled = state.pulled;
    await settle();
    expect(state.pulled).toBe(pulled);
    expect(state.pulled).toBeLessThan(1000);
    expect(state.returned).toBe(true);
  });
});
