// A stream cut into pages and read ahead of its consumer: reading starts at once (so the
// directory is read while the tenant is) and runs at most `depth` pages ahead, so a slow consumer
// holds the read back instead of the whole directory piling up in memory.

export interface ReadAhead<U> {
  /** The prepared pages, in order; iterate once. A read error is thrown after the pages before it. */
  readonly pages: AsyncIterable<U>;
  /** Stops reading (the consumer failed): nothing more is pulled from the source. */
  cancel(): void;
}

/** `prepare` runs on each page as it is read, ahead of the consumer (plan-run starts its analysis there). */
export function readAhead<T, U>(
  source: AsyncIterable<T>,
  pageSize: number,
  depth: number,
  prepare: (page: T[]) => U,
): ReadAhead<U> {
  const it = source[Symbol.asyncIterator]();
  const buffer: U[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let cancelled = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  const wake = () => {
    wakeConsumer?.();
    wakeConsumer = undefined;
  };

  void (async () => {
    try {
      let page: T[] = [];
      while (!cancelled) {
        while (buffer.length >= depth && !cancelled)
          await new Promise<void>((resolve) => {
            wakeReader = resolve;
          });
        if (cancelled) break;
        const next = await it.next();
        if (next.done) break;
        page.push(next.value);
        if (page.length >= pageSize) {
          buffer.push(prepare(page));
          page = [];
          wake();
        }
      }
      if (page.length > 0 && !cancelled) buffer.push(prepare(page));
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake();
    }
  })();

  async function* pages(): AsyncGenerator<U> {
    for (;;) {
      if (buffer.length > 0) {
        const next = buffer.shift() as U;
        wakeReader?.();
        wakeReader = undefined;
        yield next;
        continue;
      }
      if (finished) {
        if (failure) throw failure.error;
        return;
      }
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve;
      });
    }
  }

  return {
    pages: pages(),
    cancel() {
      cancelled = true;
      wakeReader?.();
      wakeReader = undefined;
      // The source may be waiting on the network: closing the backends ends it.
      void it.return?.()?.catch(() => {});
    },
  };
}
