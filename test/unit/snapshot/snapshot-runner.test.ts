import { Int32, ObjectId, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { keyText } from "../../../src/codec/key-text.js";
import { silentLogger } from "../../../src/core/logger.js";
import { makePosition } from "../../../src/core/position.js";
import { runSnapshot, type SnapshotRunOptions } from "../../../src/snapshot/snapshot-runner.js";
import { tokenAt } from "../../support/events.js";
import { MemorySnapshotTarget } from "../../support/memory-snapshot-target.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";

function options(overrides: Partial<SnapshotRunOptions> = {}): SnapshotRunOptions {
  return { mode: "initial", parallelism: 3, chunkSize: 10, rangeSize: 40, logger: silentLogger(), signal: new AbortController().signal, ...overrides };
}

/** ObjectId, numeric (Int32 and Double), string and document `_id`s in one collection. */
function mixedDocuments(count: number): Document[] {
  return Array.from({ length: count }, (_, index) => {
    const kind = index % 4;
    const _id = kind === 0 ? new ObjectId(index.toString(16).padStart(24, "0")) : kind === 1 ? new Int32(index) : kind === 2 ? `key-${index}` : { part: index };
    return { _id, n: index };
  });
}

function keysOf(docs: readonly Document[]): string[] {
  return docs.map((doc) => keyText(doc._id)).sort();
}

describe("runSnapshot", () => {
  it("copies every document of every collection once, in ranges, and hands over at the position fixed first", async () => {
    const orders = mixedDocuments(200);
    const users = mixedDocuments(30);
    const source = new SyntheticSnapshotSource({ "shop.orders": orders, "shop.users": users });
    const target = new MemorySnapshotTarget();

    const outcome = await runSnapshot(source, target, options());

    expect(source.startPositionCalls).toBe(1);
    const startedAt = makePosition(tokenAt(1_700_000_001, 1));
    expect(outcome).toEqual({ copied: ["shop.orders", "shop.users"], documents: 230, complete: true, handover: startedAt });
    expect(target.states.get("shop.users")?.startedAt).toEqual(startedAt);
    expect([...(target.rows.get("shop.orders")?.keys() ?? [])].sort()).toEqual(keysOf(orders));
    expect([...(target.rows.get("shop.users")?.keys() ?? [])].sort()).toEqual(keysOf(users));
    const ordersState = target.states.get("shop.orders");
    expect(ordersState?.status).toBe("done");
    expect(ordersState?.ranges).toHaveLength(5);
    expect(ordersState?.ranges.every((range) => range.done)).toBe(true);
    expect(ordersState?.ranges.reduce((sum, range) => sum + range.copied, 0)).toBe(200);
    // No document is written twice: the chunks hold 230 documents in all.
    expect(target.chunks.reduce((sum, chunk) => sum + chunk.events.length, 0)).toBe(230);
  });

  it("copies ranges of several collections at once, at most `parallelism` at a time", async () => {
    const source = new SyntheticSnapshotSource({ "a.one": mixedDocuments(120), "a.two": mixedDocuments(120) }, { delayPerChunkMs: 5 });
    const target = new MemorySnapshotTarget();
    let active = 0;
    let most = 0;
    const namespacesAtOnce = new Set<string>();
    const write = target.writeChunk.bind(target);
    target.writeChunk = async (chunk) => {
      active += 1;
      most = Math.max(most, active);
      if (active > 1) namespacesAtOnce.add(chunk.namespace);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await write(chunk);
      active -= 1;
    };

    await runSnapshot(source, target, options({ parallelism: 3 }));

    expect(most).toBe(3);
    expect(namespacesAtOnce).toEqual(new Set(["a.one", "a.two"]));
  });

  it("after a stop, continues with the unfinished ranges only, each from its last committed chunk", async () => {
    const docs = mixedDocuments(200);
    const target = new MemorySnapshotTarget();
    const stop = new AbortController();
    const first = new SyntheticSnapshotSource({ "shop.orders": docs });
    const write = target.writeChunk.bind(target);
    target.writeChunk = async (chunk) => {
      await write(chunk);
      if (target.chunks.length >= 7) stop.abort();
    };

    const stopped = await runSnapshot(first, target, options({ signal: stop.signal }));
    expect(stopped.complete).toBe(false);
    expect(stopped.copied).toEqual([]);
    const afterStop = target.states.get("shop.orders");
    expect(afterStop?.status).toBe("copying");
    const committed = afterStop?.ranges.reduce((sum, range) => sum + range.copied, 0) ?? 0;
    expect(committed).toBe(stopped.documents);

    target.writeChunk = write;
    const second = new SyntheticSnapshotSource({ "shop.orders": docs });
    const resumed = await runSnapshot(second, target, options());

    expect(second.startPositionCalls).toBe(0);
    expect(resumed.complete).toBe(true);
    expect(resumed.handover?.key).toBe(stopped.handover?.key);
    // Finished ranges are not read again; the others start at their last committed `_id`.
    const doneBefore = afterStop?.ranges.filter((range) => range.done).map((range) => range.rangeNo) ?? [];
    expect(second.reads).toHaveLength(5 - doneBefore.length);
    for (const read of second.reads) {
      const before = afterStop?.ranges.find((range) => range.range.upper === read.range.upper);
      expect(read.range.lower).toBe(before?.resumeFrom ?? before?.range.lower);
      // Read at the start of the snapshot it continues, not at one of its own: nothing before that start may be missing.
      expect(read.startedAt?.key).toBe(stopped.handover?.key);
    }
    // One document per resumed, partly copied range is written again (the inclusive resume point).
    const partly = afterStop?.ranges.filter((range) => !range.done && range.copied > 0).length ?? 0;
    expect(stopped.documents + resumed.documents).toBe(200 + partly);
    expect([...(target.rows.get("shop.orders")?.keys() ?? [])].sort()).toEqual(keysOf(docs));
    expect(target.states.get("shop.orders")?.status).toBe("done");
  });

  it("stops at the first failing chunk and reports it; committed ranges stay committed", async () => {
    const docs = mixedDocuments(200);
    const target = new MemorySnapshotTarget();
    target.failOn = (chunk) => chunk.rangeNo === 2 && chunk.events.length > 0;

    // One range at a time: ranges 0 and 1 are done when range 2 fails.
    await expect(runSnapshot(new SyntheticSnapshotSource({ "shop.orders": docs }), target, options({ parallelism: 1 }))).rejects.toThrow("chunk of shop.orders range 2 refused");
    expect(target.states.get("shop.orders")?.ranges.map((range) => range.done)).toEqual([true, true, false, false, false]);
    expect(target.states.get("shop.orders")?.status).toBe("copying");

    target.failOn = undefined;
    const retry = new SyntheticSnapshotSource({ "shop.orders": docs });
    await runSnapshot(retry, target, options());
    expect(retry.reads.map((read) => read.range)).toEqual(target.states.get("shop.orders")?.ranges.slice(2).map((range) => range.range));
    expect([...(target.rows.get("shop.orders")?.keys() ?? [])].sort()).toEqual(keysOf(docs));
  });

  it("initial skips collections already copied; a collection included later is copied alone", async () => {
    const target = new MemorySnapshotTarget();
    await runSnapshot(new SyntheticSnapshotSource({ "shop.orders": mixedDocuments(50) }), target, options());
    const firstStart = target.states.get("shop.orders")?.startedAt;

    const later = new SyntheticSnapshotSource({ "shop.orders": mixedDocuments(50), "shop.users": mixedDocuments(20) });
    const outcome = await runSnapshot(later, target, options());

    expect(outcome.copied).toEqual(["shop.users"]);
    expect(outcome.documents).toBe(20);
    expect(later.reads.map((read) => read.namespace)).toEqual(["shop.users"]);
    expect(outcome.handover?.key).toBe(firstStart?.key);
  });

  it("always copies every collection again; never copies nothing", async () => {
    const target = new MemorySnapshotTarget();
    await runSnapshot(new SyntheticSnapshotSource({ "shop.orders": mixedDocuments(50) }), target, options());

    const again = await runSnapshot(new SyntheticSnapshotSource({ "shop.orders": mixedDocuments(50) }), target, options({ mode: "always" }));
    expect(again).toMatchObject({ copied: ["shop.orders"], documents: 50, complete: true });

    const never = new SyntheticSnapshotSource({ "shop.orders": mixedDocuments(50) });
    const none = await runSnapshot(never, target, options({ mode: "never" }));
    expect(none).toMatchObject({ copied: [], documents: 0, complete: true });
    expect(never.reads).toEqual([]);
    expect(never.startPositionCalls).toBe(0);
  });

  it("hands a re-copy over at the new snapshot's start, not at the start of the snapshot it replaced", async () => {
    const target = new MemorySnapshotTarget();
    const first = await runSnapshot(new SyntheticSnapshotSource({ "shop.orders": mixedDocuments(50) }, { startedAt: makePosition(tokenAt(1_700_000_001, 1)) }), target, options());
    const recopy = await runSnapshot(
      new SyntheticSnapshotSource({ "shop.orders": mixedDocuments(50), "shop.users": mixedDocuments(5) }, { startedAt: makePosition(tokenAt(1_800_000_000, 1)) }),
      target,
      options({ mode: "always" }),
    );
    expect(first.handover?.key).toBe(makePosition(tokenAt(1_700_000_001, 1)).key);
    expect(recopy.handover?.key).toBe(makePosition(tokenAt(1_800_000_000, 1)).key);
  });

  it("copies an empty collection as one empty range", async () => {
    const target = new MemorySnapshotTarget();
    const outcome = await runSnapshot(new SyntheticSnapshotSource({ "shop.empty": [] }), target, options());
    expect(outcome).toMatchObject({ copied: ["shop.empty"], documents: 0, complete: true });
    expect(target.states.get("shop.empty")?.ranges).toEqual([{ rangeNo: 0, range: {}, copied: 0, done: true }]);
  });
});
