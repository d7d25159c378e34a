import { describe, expect, it } from "vitest";
import { prefetchChunks } from "../../../src/snapshot/prefetch-chunks.js";

/** A source of `count` numbers that records how many were pulled and whether it was closed. */
function countingSource(count: number, options: { failAt?: number; delayMs?: number } = {}): { items: AsyncGenerator<number>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  async function* generate(): AsyncGenerator<number> {
    try {
      for (let value = 0; value < count; value += 1) {
        if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        if (value === options.failAt) throw new Error(`source failed at ${value}`);
        pulled += 1;
        yield value;
      }
    } finally {
      closed = true;
    }
  }
  return { items: generate(), pulled: () => pulled, closed: () => closed };
}

/** Lets every pending read run as far as it can. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setTimeout(resolve, 0));
}

async function chunksOf<T>(iterable: AsyncIterable<T[]>): Promise<T[][]> {
  const chunks: T[][] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

describe("prefetchChunks", () => {
  it("groups items into chunks of at most the chunk size, in order", async () => {
    expect(await chunksOf(prefetchChunks(countingSource(7).items, 3))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(await chunksOf(prefetchChunks(countingSource(6).items, 3))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(await chunksOf(prefetchChunks(countingSource(2).items, 10))).toEqual([[0, 1]]);
    expect(await chunksOf(prefetchChunks(countingSource(3).items, 1))).toEqual([[0], [1], [2]]);
  });

  it("also ends a chunk after an item that ends one, as a cursor's batch cut short by its bytes", async () => {
    // Items 2 and 4 end a batch: chunks stop after them, and still at the chunk size in between.
    const endsBatch = (item: number): boolean => item === 2 || item === 4;
    expect(await chunksOf(prefetchChunks(countingSource(12).items, 5, undefined, endsBatch))).toEqual([[0, 1, 2], [3, 4], [5, 6, 7, 8, 9], [10, 11]]);
    expect(await chunksOf(prefetchChunks(countingSource(6).items, 3, undefined, () => true))).toEqual([[0], [1], [2], [3], [4], [5]]);
  });

  it("reads one chunk ahead, no further, when chunks end early", async () => {
    const source = countingSource(100);
    const chunks = prefetchChunks(source.items, 10, undefined, (item) => item % 4 === 3);
    expect((await chunks.next()).value).toEqual([0, 1, 2, 3]);
    await settle();
    expect(source.pulled()).toBe(8);
    await chunks.return(undefined);
  });

  it("yields nothing for an empty source", async () => {
    expect(await chunksOf(prefetchChunks(countingSource(0).items, 3))).toEqual([]);
  });

  it("reads exactly one chunk ahead while the caller holds a chunk, and no further", async () => {
    const source = countingSource(100);
    const chunks = prefetchChunks(source.items, 10);
    const first = await chunks.next();
    expect(first.value).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await settle();
    expect(source.pulled()).toBe(20);
    const second = await chunks.next();
    expect(second.value).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await settle();
    expect(source.pulled()).toBe(30);
    await chunks.return(undefined);
  });

  it("reads the next chunk while the caller works on the current one", async () => {
    const source = countingSource(6, { delayMs: 5 });
    const seen: number[] = [];
    for await (const chunk of prefetchChunks(source.items, 3)) {
      if (chunk[0] === 0) {
        // While this chunk is being "written", the next one arrives in the background.
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen.push(source.pulled());
      }
    }
    expect(seen).toEqual([6]);
  });

  it("gives way to other work while it reads ahead from a source that never waits", async () => {
    const source = countingSource(3000);
    const chunks = prefetchChunks(source.items, 1000);
    await chunks.next();
    // The caller starts writing the first chunk: its next turn comes before the whole second chunk is read.
    const pulledAtNextTurn = await new Promise<number>((resolve) => setImmediate(() => resolve(source.pulled())));
    expect(pulledAtNextTurn).toBeGreaterThan(1000);
    expect(pulledAtNextTurn).toBeLessThan(2000);
    await chunks.return(undefined);
  });

  it("closes the source when the caller breaks out of the loop", async () => {
    const source = countingSource(100);
    for await (const chunk of prefetchChunks(source.items, 10)) {
      if (chunk[0] === 10) break;
    }
    expect(source.closed()).toBe(true);
    // The read ahead of the break stops there: nothing past the chunk after the one in hand.
    expect(source.pulled()).toBeGreaterThanOrEqual(20);
    expect(source.pulled()).toBeLessThanOrEqual(30);
  });

  it("calls return() on an iterator that is no generator when the caller stops early", async () => {
    let returned = 0;
    let next = 0;
    const iterable: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: false, value: next++ }),
        return: () => {
          returned += 1;
          return Promise.resolve({ done: true, value: undefined });
        },
      }),
    };
    const chunks = prefetchChunks(iterable, 4);
    expect((await chunks.next()).value).toEqual([0, 1, 2, 3]);
    await chunks.return(undefined);
    expect(returned).toBe(1);
    expect(next).toBeLessThanOrEqual(8);
  });

  it("delivers the chunks read before a failure, then throws the source's error at the next pull", async () => {
    const source = countingSource(100, { failAt: 13 });
    const chunks = prefetchChunks(source.items, 5);
    expect((await chunks.next()).value).toEqual([0, 1, 2, 3, 4]);
    // The failure happens in the read ahead, while the caller holds the first chunk.
    await settle();
    expect((await chunks.next()).value).toEqual([5, 6, 7, 8, 9]);
    await expect(chunks.next()).rejects.toThrow("source failed at 13");
    expect(source.closed()).toBe(true);
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
  });

  it("does not report a failure of the read ahead as an unhandled rejection while the caller is busy", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      const chunks = prefetchChunks(countingSource(100, { failAt: 2 }).items, 2);
      expect((await chunks.next()).value).toEqual([0, 1]);
      await settle();
      await expect(chunks.next()).rejects.toThrow("source failed at 2");
      await settle();
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it("stops reading and delivering once the signal is aborted, and closes the source", async () => {
    const source = countingSource(1_000, { delayMs: 1 });
    const controller = new AbortController();
    const received: number[][] = [];
    for await (const chunk of prefetchChunks(source.items, 5, controller.signal)) {
      received.push(chunk);
      if (received.length === 2) controller.abort();
    }
    expect(received).toEqual([
      [0, 1, 2, 3, 4],
      [5, 6, 7, 8, 9],
    ]);
    expect(source.closed()).toBe(true);
    expect(source.pulled()).toBeLessThanOrEqual(15);
  });

  it("reads nothing when the signal is already aborted", async () => {
    const source = countingSource(10);
    const controller = new AbortController();
    controller.abort();
    expect(await chunksOf(prefetchChunks(source.items, 3, controller.signal))).toEqual([]);
    expect(source.pulled()).toBe(0);
  });

  it("refuses a chunk size that is not a positive integer", async () => {
    await expect(chunksOf(prefetchChunks(countingSource(3).items, 0))).rejects.toThrow("chunk size must be a positive integer, not 0");
    await expect(chunksOf(prefetchChunks(countingSource(3).items, 1.5))).rejects.toThrow(RangeError);
  });
});
