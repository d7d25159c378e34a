import type { Document } from "mongodb";
import { describe, expect, it } from "vitest";
import type { IdRange, SnapshotChunk } from "../../../src/core/snapshot-contract.js";
import { silentLogger } from "../../../src/core/logger.js";
import type { Position } from "../../../src/core/position.js";
import { watchSlowItems, watchSlowStep, type SlowStepLimits } from "../../../src/snapshot/slow-step.js";
import { runSnapshot } from "../../../src/snapshot/snapshot-runner.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { MemorySnapshotTarget } from "../../support/memory-snapshot-target.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";
import { waitFor } from "../../support/wait-for.js";

const SHORT: SlowStepLimits = { reads: 20, writes: 20 };

/** A promise and the function that settles it: a step held until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function documents(count: number): Document[] {
  return Array.from({ length: count }, (_, index) => ({ _id: index, n: index }));
}

/** A source whose first chunk of every range waits for `held` (MongoDB not answering a majority read). */
class HeldSource extends SyntheticSnapshotSource {
  constructor(
    collections: Record<string, readonly Document[]>,
    private readonly held: Promise<void>,
  ) {
    super(collections);
  }

  override readRange(namespace: string, range: IdRange, chunkSize: number, signal: AbortSignal, startedAt?: Position): AsyncIterable<Document[]> {
    const chunks = super.readRange(namespace, range, chunkSize, signal, startedAt);
    const held = this.held;
    return (async function* () {
      await held;
      yield* chunks;
    })();
  }
}

/** A target whose writes wait for `held` (a lock on the table). */
class HeldTarget extends MemorySnapshotTarget {
  constructor(private readonly held: Promise<void>) {
    super();
  }

  override async writeChunk(chunk: SnapshotChunk): Promise<void> {
    await this.held;
    await super.writeChunk(chunk);
  }
}

describe("watchSlowStep", () => {
  it("warns once when a step outlasts its side's limit, and says when it ended", async () => {
    const { logger, lines } = capturingLogger();
    const held = gate();
    const step = watchSlowStep(held.promise.then(() => "read"), { kind: "read", collection: "shop.orders", rangeNo: 2 }, SHORT, logger);
    const warning = await waitFor(() => lines.find((line) => line.level === 40), "the warning");
    expect(warning).toMatchObject({ msg: "snapshot: reading a chunk has waited 0 s for MongoDB", collection: "shop.orders", rangeNo: 2 });
    expect(warning.hint).toMatch(/only once the snapshot's start is majority-committed, held by a majority of the replica set's voting members/);
    held.open();
    expect(await step).toBe("read");
    expect(lines.filter((line) => line.level === 40)).toHaveLength(1);
    expect(lines.at(-1)).toMatchObject({ level: 30, msg: "snapshot: reading a chunk waited for MongoDB and has ended", collection: "shop.orders", rangeNo: 2 });
  });

  it("says nothing of a step that ends in time", async () => {
    const { logger, lines } = capturingLogger();
    await watchSlowStep(Promise.resolve(), { kind: "write", collection: "shop.orders" }, { reads: 20, writes: 60_000 }, logger);
    expect(lines).toEqual([]);
  });

  // Node would run a timer of 2³¹ ms or more (Infinity too) after 1 ms.
  it.each([
    ["Infinity", Number.POSITIVE_INFINITY],
    ["a limit too long for a timer", 2 ** 31],
  ])("takes %s as never", async (_name, limit) => {
    const { logger, lines } = capturingLogger();
    const held = gate();
    const step = watchSlowStep(held.promise, { kind: "write" }, { reads: 20, writes: limit }, logger);
    await new Promise((resolve) => setTimeout(resolve, 60));
    held.open();
    await step;
    expect(lines).toEqual([]);
  });

  it("names the target, and a lock as the usual cause, for a write", async () => {
    const { logger, lines } = capturingLogger();
    const held = gate();
    const step = watchSlowStep(held.promise, { kind: "write", collection: "shop.orders", rangeNo: 0 }, SHORT, logger);
    const warning = await waitFor(() => lines.find((line) => line.level === 40), "the warning");
    held.open();
    await step;
    expect(warning).toMatchObject({ msg: "snapshot: writing a chunk has waited 0 s for the target", collection: "shop.orders", rangeNo: 0 });
    expect(warning.hint).toMatch(/pg_stat_activity, wait_event_type 'Lock'/);
  });

  it("passes a failure on, and still says that the wait ended", async () => {
    const { logger, lines } = capturingLogger();
    const held = gate();
    const step = watchSlowStep(
      held.promise.then(() => Promise.reject(new Error("cursor killed"))),
      { kind: "plan", collection: "shop.orders" },
      SHORT,
      logger,
    );
    step.catch(() => undefined);
    await waitFor(() => lines.find((line) => line.level === 40), "the warning");
    held.open();
    await expect(step).rejects.toThrow("cursor killed");
    expect(lines.map((line) => line.msg)).toEqual(["snapshot: planning the ranges has waited 0 s for MongoDB", "snapshot: planning the ranges waited for MongoDB and has ended"]);
  });
});

/** Items 1, 2, 3 whose closing is counted, failing at the second when `failAt2`. */
function countedItems(failAt2 = false): { items: AsyncIterable<number>; closings: () => number } {
  let closings = 0;
  let next = 1;
  const iterator: AsyncIterator<number> = {
    next: () => {
      if (failAt2 && next === 2) return Promise.reject(new Error("cursor killed"));
      return Promise.resolve(next <= 3 ? { done: false, value: next++ } : { done: true, value: undefined });
    },
    return: () => {
      closings += 1;
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return { items: { [Symbol.asyncIterator]: () => iterator }, closings: () => closings };
}

describe("watchSlowItems", () => {
  it("hands out every item, and closes nothing that ran out or failed by itself", async () => {
    const all = countedItems();
    const seen: number[] = [];
    for await (const item of watchSlowItems(all.items, { kind: "read" }, SHORT, silentLogger())) seen.push(item);
    expect(seen).toEqual([1, 2, 3]);
    expect(all.closings()).toBe(0);

    const failing = countedItems(true);
    const read = (async () => {
      for await (const item of watchSlowItems(failing.items, { kind: "read" }, SHORT, silentLogger())) expect(item).toBe(1);
    })();
    await expect(read).rejects.toThrow("cursor killed");
    expect(failing.closings()).toBe(0);
  });

  it("closes the items once when the caller leaves early", async () => {
    const counted = countedItems();
    for await (const item of watchSlowItems(counted.items, { kind: "read" }, SHORT, silentLogger())) if (item === 2) break;
    expect(counted.closings()).toBe(1);
  });

  it("closes the items when the caller leaves early (a generator's finally)", async () => {
    let closed = false;
    const items = (async function* () {
      try {
        yield 1;
        yield 2;
        yield 3;
      } finally {
        closed = true;
      }
    })();
    const seen: number[] = [];
    for await (const item of watchSlowItems(items, { kind: "read" }, SHORT, silentLogger())) {
      seen.push(item);
      if (item === 2) break;
    }
    expect(seen).toEqual([1, 2]);
    expect(closed).toBe(true);
  });
});

describe("runSnapshot's warnings for a step that waits", () => {
  const options = { mode: "initial" as const, parallelism: 2, chunkSize: 10, rangeSize: 20, signal: new AbortController().signal };

  it("warns, naming the collection and the range, when MongoDB holds a range's read, and copies everything once it answers", async () => {
    const { logger, lines } = capturingLogger();
    const held = gate();
    const target = new MemorySnapshotTarget();
    const run = runSnapshot(new HeldSource({ "shop.orders": documents(40) }, held.promise), target, { ...options, logger, slowSteps: SHORT });
    await waitFor(() => lines.filter((line) => line.level === 40).length === 2, "a warning for each range read at once");
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => [line.msg, line.collection, line.rangeNo]).sort()).toEqual([
      ["snapshot: reading a chunk has waited 0 s for MongoDB", "shop.orders", 0],
      ["snapshot: reading a chunk has waited 0 s for MongoDB", "shop.orders", 1],
    ]);
    held.open();
    const outcome = await run;
    expect(outcome).toMatchObject({ documents: 40, complete: true });
    expect(target.rows.get("shop.orders")?.size).toBe(40);
    expect(lines.filter((line) => line.msg === "snapshot: reading a chunk waited for MongoDB and has ended")).toHaveLength(2);
  });

  it("warns when the target holds a chunk's write", async () => {
    const { logger, lines } = capturingLogger();
    const held = gate();
    const run = runSnapshot(new SyntheticSnapshotSource({ "shop.orders": documents(10) }), new HeldTarget(held.promise), { ...options, logger, slowSteps: SHORT });
    const warning = await waitFor(() => lines.find((line) => line.level === 40), "the warning");
    held.open();
    await run;
    expect(warning).toMatchObject({ msg: "snapshot: writing a chunk has waited 0 s for the target", collection: "shop.orders", rangeNo: 0 });
  });

  it("warns when the target holds the recording of a collection's ranges", async () => {
    const { logger, lines } = capturingLogger();
    const held = gate();
    const target = new MemorySnapshotTarget();
    const record = target.startSnapshot.bind(target);
    target.startSnapshot = async (plan) => {
      await held.promise;
      await record(plan);
    };
    const run = runSnapshot(new SyntheticSnapshotSource({ "shop.orders": documents(10) }), target, { ...options, logger, slowSteps: SHORT });
    const warning = await waitFor(() => lines.find((line) => line.level === 40), "the warning");
    held.open();
    await run;
    expect(warning).toMatchObject({ msg: "snapshot: recording the snapshot's progress has waited 0 s for the target", collection: "shop.orders" });
  });

  it("closes a range's reads when a stop comes while a chunk is written", async () => {
    const stop = new AbortController();
    const source = new SyntheticSnapshotSource({ "shop.orders": documents(40) });
    let closings = 0;
    const read = source.readRange.bind(source);
    source.readRange = (...args) => {
      const iterator = read(...args)[Symbol.asyncIterator]();
      const close = iterator.return?.bind(iterator);
      iterator.return = (value) => {
        closings += 1;
        return close ? close(value) : Promise.resolve({ done: true, value: undefined });
      };
      return { [Symbol.asyncIterator]: () => iterator };
    };
    const target = new MemorySnapshotTarget();
    const write = target.writeChunk.bind(target);
    target.writeChunk = async (chunk) => {
      stop.abort();
      await write(chunk);
    };
    const outcome = await runSnapshot(source, target, { ...options, parallelism: 1, rangeSize: 1_000, signal: stop.signal, logger: silentLogger() });
    expect(outcome).toMatchObject({ documents: 10, complete: false });
    expect(closings).toBe(1);
  });

  it("warns of nothing when no step waits long", async () => {
    const { logger, lines } = capturingLogger();
    await runSnapshot(new SyntheticSnapshotSource({ "shop.orders": documents(100), "shop.users": documents(30) }), new MemorySnapshotTarget(), { ...options, logger });
    expect(lines.filter((line) => line.level !== 30)).toEqual([]);
  });
});
