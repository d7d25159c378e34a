import { describe, expect, it } from "vitest";
import type { SourceItem } from "../../../src/core/change-event.js";
import { sleep } from "../../../src/core/retry.js";
import { ReadAhead, readAheadLimits } from "../../../src/pipeline/read-ahead.js";
import { makeEvent } from "../../support/events.js";

const item = (i: number, doc: Record<string, unknown> = { _id: `k${i}` }): SourceItem => ({ kind: "event", event: makeEvent({ op: "insert", ns: "shop.orders", id: `k${i}`, doc, t: 1_700_000_000 + i }) });
const idOf = (each: SourceItem): unknown => (each.kind === "event" ? each.event.key?._id : "caughtUp");

/** A source of `count` items that counts how many were pulled, and records whether it was closed and whether its signal aborted by then. */
function countingSource(count: number, make: (i: number) => SourceItem = item) {
  const seen = { pulled: 0, closed: false, aborted: false };
  const open = async function* (signal: AbortSignal): AsyncGenerator<SourceItem> {
    try {
      for (let i = 0; i < count; i += 1) {
        seen.pulled += 1;
        yield make(i);
      }
    } finally {
      seen.aborted = signal.aborted;
      // Closing a change stream is a round trip to the server.
      await sleep(20);
      seen.closed = true;
    }
  };
  return { seen, open };
}

/** Lets every pending promise and timer of this turn run. */
const settle = (): Promise<void> => sleep(5);

/**
 * How many items were read and not taken once the reader has stopped reading (nothing pulled for
 * 50 ms), after first waiting, if `atLeast` is given, until that many are: on a loaded machine
 * the reader's slices may come late, never too many.
 */
async function aheadOnceStill(seen: { pulled: number }, taken: number, atLeast = 0): Promise<number> {
  const deadline = Date.now() + 10_000;
  while (seen.pulled - taken < atLeast && Date.now() < deadline) await sleep(1);
  for (let last = -1; last !== seen.pulled && Date.now() < deadline; ) {
    last = seen.pulled;
    await sleep(50);
  }
  return seen.pulled - taken;
}

describe("ReadAhead", () => {
  it("reads while its consumer is busy, up to maxItems not taken, and hands everything over in order", async () => {
    const { seen, open } = countingSource(100);
    const taken: unknown[] = [];
    const aheadWhileBusy: number[] = [];
    for await (const each of new ReadAhead(open, new AbortController().signal, { maxItems: 10, maxBytes: 1e9 })) {
      taken.push(idOf(each));
      // The consumer is busy (a batch being applied): the reader fills up to its limit, no further.
      if (taken.length === 1) aheadWhileBusy.push(await aheadOnceStill(seen, taken.length, 10));
      else if (taken.length % 25 === 0) aheadWhileBusy.push(await aheadOnceStill(seen, taken.length));
    }
    expect(taken).toEqual(Array.from({ length: 100 }, (_, i) => `k${i}`));
    expect(aheadWhileBusy[0]).toBe(10);
    for (const ahead of aheadWhileBusy) expect(ahead).toBeLessThanOrEqual(10);
  });

  it("holds about maxBytes of events, and always lets one in however large", async () => {
    const large = { _id: "x", blob: "x".repeat(50_000) };
    const { seen, open } = countingSource(20, (i) => item(i, { ...large, _id: `k${i}` }));
    const aheadWhileBusy: number[] = [];
    let taken = 0;
    for await (const each of new ReadAhead(open, new AbortController().signal, { maxItems: 1000, maxBytes: 120_000 })) {
      expect(idOf(each)).toBe(`k${taken}`);
      taken += 1;
      aheadWhileBusy.push(await aheadOnceStill(seen, taken, taken === 1 ? 3 : 0));
    }
    expect(taken).toBe(20);
    // Each event is about 50 KB: two come to less than 120 KB, so a third is read, and then no more.
    expect(aheadWhileBusy[0]).toBe(3);
    for (const ahead of aheadWhileBusy) expect(ahead).toBeLessThanOrEqual(3);

    const alone = countingSource(3, (i) => item(i, { ...large, _id: `k${i}` }));
    const ids: unknown[] = [];
    for await (const each of new ReadAhead(alone.open, new AbortController().signal, { maxItems: 1000, maxBytes: 10 })) ids.push(idOf(each));
    expect(ids).toEqual(["k0", "k1", "k2"]);
  });

  it("passes a source failure on after every item read before it", async () => {
    const failing = async function* (): AsyncGenerator<SourceItem> {
      yield item(0);
      yield item(1);
      throw new Error("stream broke");
    };
    const taken: unknown[] = [];
    const consume = async (): Promise<void> => {
      for await (const each of new ReadAhead(failing, new AbortController().signal, { maxItems: 10, maxBytes: 1e9 })) {
        await settle();
        taken.push(idOf(each));
      }
    };
    await expect(consume()).rejects.toThrow("stream broke");
    expect(taken).toEqual(["k0", "k1"]);
  });

  it("stops and closes its source before a consumer that stops early goes on", async () => {
    const { seen, open } = countingSource(1_000);
    const consume = async (): Promise<void> => {
      for await (const each of new ReadAhead(open, new AbortController().signal, { maxItems: 10, maxBytes: 1e9 })) {
        if (idOf(each) === "k3") throw new Error("the sink failed");
      }
    };
    await expect(consume()).rejects.toThrow("the sink failed");
    expect(seen).toMatchObject({ aborted: true, closed: true });
    expect(seen.pulled).toBeLessThanOrEqual(4 + 11);
  });

  it("tells a source that waits (a MongoDB outage's back-off) to stop, through its signal", async () => {
    let closed = false;
    const waiting = async function* (signal: AbortSignal): AsyncGenerator<SourceItem> {
      try {
        yield item(0);
        // Retrying with back-off, yielding nothing until the back-off ends (sleep ends on abort).
        while (!signal.aborted) await sleep(60_000, signal);
      } finally {
        closed = true;
      }
    };
    const startedAt = Date.now();
    const taken: unknown[] = [];
    for await (const each of new ReadAhead(waiting, new AbortController().signal, { maxItems: 10, maxBytes: 1e9 })) {
      taken.push(idOf(each));
      break;
    }
    expect(taken).toEqual(["k0"]);
    expect(closed).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it("hands nothing more out once the caller's signal aborts, and aborts the source's with it", async () => {
    const caller = new AbortController();
    const { seen, open } = countingSource(100);
    const taken: unknown[] = [];
    for await (const each of new ReadAhead(open, caller.signal, { maxItems: 10, maxBytes: 1e9 })) {
      taken.push(idOf(each));
      if (taken.length === 3) {
        // A stop asked for while a batch is applied, with more read ahead.
        await aheadOnceStill(seen, taken.length, 10);
        caller.abort();
      }
    }
    expect(taken).toEqual(["k0", "k1", "k2"]);
    expect(seen).toMatchObject({ aborted: true, closed: true });
  });

  it("lets the event loop run after each slice of sliceMs", async () => {
    /** How many items were read when a turn of the event loop first came, with each item costing 0.1 ms to read. */
    const readBeforeATurn = async (sliceMs: number): Promise<number> => {
      const { seen, open } = countingSource(100, (i) => {
        const until = performance.now() + 0.1;
        while (performance.now() < until);
        return item(i);
      });
      for await (const each of new ReadAhead(open, new AbortController().signal, { maxItems: 100, maxBytes: 1e9, sliceMs })) {
        void each;
        return await new Promise<number>((resolve) => setImmediate(() => resolve(seen.pulled)));
      }
      throw new Error("the source yielded nothing");
    };
    expect(await readBeforeATurn(0.01)).toBeLessThanOrEqual(2);
    expect(await readBeforeATurn(1_000)).toBe(100);
  });

  it("reads one batch ahead, and no more than one getMore reply's bytes", () => {
    expect(readAheadLimits({ maxSize: 2_000, maxBytes: 64 * 1024 * 1024 })).toEqual({ maxItems: 2_000, maxBytes: 16 * 1024 * 1024 });
    expect(readAheadLimits({ maxSize: 500, maxBytes: 1024 * 1024 })).toEqual({ maxItems: 500, maxBytes: 1024 * 1024 });
    expect(readAheadLimits({ maxSize: 500 })).toEqual({ maxItems: 500, maxBytes: 16 * 1024 * 1024 });
  });
});
