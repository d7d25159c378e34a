import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { ChangeWatcher, type StopInfo } from "../../../src/watch/change-watcher.js";
import type { IdBatch } from "../../../src/watch/id-batcher.js";
import { resolveWatchOptions, type WatchOptions } from "../../../src/watch/watch-options.js";
import { waitFor } from "../../support/wait-for.js";
import { MemoryStore, ScriptedFeed } from "./scripted-feed.js";
import { collect } from "../../support/async-helpers.js";

function watcherOn(feed: ScriptedFeed, options: WatchOptions = {}): ChangeWatcher {
  return new ChangeWatcher(feed, resolveWatchOptions(options));
}

async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  if (count === 0) return items;
  for await (const item of iterable) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

const idsOf = (events: readonly ChangeEvent[]): unknown[] => events.map((event) => event.key?._id);

describe("ChangeWatcher: for await", () => {
  it("yields the events in order and stops when the loop ends", async () => {
    const feed = new ScriptedFeed();
    const a = feed.write({ op: "insert", ns: "app.users", id: 1, doc: { _id: 1, email: "a@example.com" } });
    const b = feed.write({ op: "update", ns: "app.users", id: 1 });
    const c = feed.write({ op: "delete", ns: "app.users", id: 1 });
    const watcher = watcherOn(feed);
    expect(await take(watcher, 3)).toEqual([a, b, c]);
    // The loop broke while holding c: c is not done.
    expect(watcher.position()).toEqual(b.position);
    expect(watcher.stats()).toMatchObject({
      started: true,
      stopped: true,
      total: 3,
      byNamespace: { "app.users": { insert: 1, update: 1, delete: 1 } },
      skipped: 0,
      position: b.position,
    });
    expect(feed.openedWith).toEqual([undefined]);
    expect(feed.readFrom).toEqual([feed.start]);
    expect(feed.closed).toBe(1);
  });

  it("saves the start at once, and on a break the position before the event in hand: the next watcher gets it again first", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const events = [1, 2, 3, 4].map((id) => feed.write({ op: "insert", ns: "app.users", id }));
    const first = watcherOn(feed, { resumePoints: store });
    await first.start();
    expect(store.saved).toEqual([feed.start]);
    expect(idsOf(await take(first, 2))).toEqual([1, 2]);
    expect(store.value).toEqual(events[0]?.position);

    const second = watcherOn(feed, { resumePoints: store, startAt: "oldest" });
    expect(idsOf(await take(second, 3))).toEqual([2, 3, 4]);
    expect(feed.openedWith).toEqual([undefined, events[0]?.position]);
    expect(store.value).toEqual(events[2]?.position);
  });

  it("after stop() from outside, a new watcher delivers exactly the changes made meanwhile", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const first = watcherOn(feed, { resumePoints: store });
    const run = collect(first);
    const written = [1, 2, 3].map((id) => feed.write({ op: "insert", ns: "app.users", id }));
    await waitFor(() => run.items.length === 3, "three events");
    await first.stop();
    expect(await run.done).toBeUndefined();
    expect(store.value).toEqual(written[2]?.position);
    expect(first.stats().stopped).toBe(true);

    feed.write({ op: "update", ns: "app.users", id: 2 });
    feed.write({ op: "delete", ns: "app.users", id: 3 });
    const second = watcherOn(feed, { resumePoints: store });
    const again = await take(second, 2);
    expect(again.map((event) => [event.op, event.key?._id])).toEqual([
      ["update", 2],
      ["delete", 3],
    ]);
  });

  it("reads the stream ahead while the loop body awaits, and a stop delivers none of what it read ahead: the next watcher does", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const events = Array.from({ length: 30 }, (_, i) => feed.write({ op: "insert", ns: "app.users", id: i + 1 }));
    const watcher = watcherOn(feed, { resumePoints: store });
    const seen: unknown[] = [];
    for await (const event of watcher) {
      seen.push(event.key?._id);
      if (seen.length < 2) continue;
      // The body of the second change awaits its own work: meanwhile the rest of the stream is read.
      await waitFor(() => feed.handedOut === 30, "every change read ahead while the loop body awaits");
      await watcher.stop();
    }
    expect(seen).toEqual([1, 2]);
    expect(store.value).toEqual(events[0]?.position);
    // The change in hand (2) is not done either: the next watcher begins with it.
    expect(idsOf(await take(watcherOn(feed, { resumePoints: store }), 29))).toEqual(Array.from({ length: 29 }, (_, i) => i + 2));
  });

  it("reads no further ahead than its limits", async () => {
    const feed = new ScriptedFeed();
    for (let id = 1; id <= 30; id += 1) feed.write({ op: "insert", ns: "app.users", id });
    const watcher = new ChangeWatcher(feed, { ...resolveWatchOptions(), readAhead: { maxItems: 5, maxBytes: 1024 * 1024 } });
    for await (const event of watcher) {
      // The one in hand, and five read ahead: the reader holds at most 5 not taken, and refills only once they are all taken.
      await waitFor(() => feed.handedOut >= 6, "five changes read ahead");
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(feed.handedOut).toBe(6);
      if (event.key?._id === 1) break;
    }
  });

  it("stop() inside the loop body leaves the event in hand undone", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const events = [1, 2, 3].map((id) => feed.write({ op: "insert", ns: "app.users", id }));
    const watcher = watcherOn(feed, { resumePoints: store });
    const seen: unknown[] = [];
    for await (const event of watcher) {
      seen.push(event.key?._id);
      if (event.key?._id === 2) await watcher.stop();
    }
    expect(seen).toEqual([1, 2]);
    expect(store.value).toEqual(events[0]?.position);
  });

  it("ends the loop with the error the feed cannot survive", async () => {
    const feed = new ScriptedFeed();
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    const lost = new TributaryError(ErrorCode.ChangeStreamHistoryLost, "history lost");
    feed.fail(lost);
    const watcher = watcherOn(feed);
    const errors: TributaryError[] = [];
    watcher.on("error", (error) => errors.push(error));
    const run = collect(watcher);
    expect(await run.done).toBe(lost);
    expect(idsOf(run.items)).toEqual([1]);
    expect(errors).toEqual([lost]);
    expect(feed.closed).toBe(1);
  });

  it("ends the loop with HandlerFailed when a filter predicate throws", async () => {
    const feed = new ScriptedFeed();
    feed.write({ op: "insert", ns: "app.users", id: 1, doc: { _id: 1 } });
    feed.write({ op: "delete", ns: "app.users", id: 2 });
    const watcher = watcherOn(feed).filter((event) => event.doc?._id !== undefined || event.doc!.x === 1);
    const run = collect(watcher);
    const error = await run.done;
    expect(idsOf(run.items)).toEqual([1]);
    expect(error).toMatchObject({ code: "TRIB_HANDLER_FAILED", context: { namespace: "app.users", key: "2", op: "delete" } });
  });
});

describe("ChangeWatcher: filters", () => {
  it("delivers what passes operations, include, exclude and the predicates, and counts the rest as skipped", async () => {
    const feed = new ScriptedFeed();
    feed.write({ op: "insert", ns: "app.users", id: 1, doc: { _id: 1, plan: "pro" } });
    feed.write({ op: "insert", ns: "app.users", id: 2, doc: { _id: 2, plan: "free" } });
    feed.write({ op: "update", ns: "app.users", id: 1 });
    feed.write({ op: "insert", ns: "app.tmp_import", id: 3, doc: { _id: 3, plan: "pro" } });
    feed.write({ op: "insert", ns: "crm.users", id: 4, doc: { _id: 4, plan: "pro" } });
    feed.write({ op: "invalidate", ns: "" });
    const last = feed.write({ op: "insert", ns: "app.orders", id: 5, doc: { _id: 5, plan: "pro", total: 10 } });
    const watcher = watcherOn(feed, { include: ["app.*"], exclude: ["app.tmp_*"], operations: ["insert"], filter: (event) => event.doc?.plan === "pro" }).filter(
      (event) => event.key?._id !== 99,
    );
    const delivered = await take(watcher, 2);
    expect(idsOf(delivered)).toEqual([1, 5]);
    expect(watcher.stats()).toMatchObject({ total: 2, skipped: 5, byNamespace: { "app.users": { insert: 1 }, "app.orders": { insert: 1 } } });
    expect((watcher.position()?.key ?? "") < last.position.key).toBe(true);
  });

  it("delivers invalidate when the operations list it", async () => {
    const feed = new ScriptedFeed();
    const invalidate = feed.write({ op: "invalidate", ns: "" });
    const watcher = watcherOn(feed, { operations: ["insert", "invalidate"] });
    expect(await take(watcher, 1)).toEqual([invalidate]);
  });
});

describe("ChangeWatcher: handlers", () => {
  it("awaits each handler in order and saves every saveEvery.events events and on stop", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const watcher = watcherOn(feed, { resumePoints: store, saveEvery: { events: 2, ms: 60_000 } });
    const log: string[] = [];
    watcher.on("change", async (event) => {
      log.push(`start ${String(event.key?._id)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`end ${String(event.key?._id)}`);
    });
    watcher.on("change", (event) => {
      log.push(`second ${String(event.key?._id)}`);
    });
    const stops: StopInfo[] = [];
    watcher.on("stop", (info) => stops.push(info));
    await watcher.start();
    const events = [1, 2, 3, 4, 5].map((id) => feed.write({ op: "insert", ns: "app.users", id }));
    await waitFor(() => log.length === 15, "every handler call");
    await watcher.stop();
    expect(log).toEqual([1, 2, 3, 4, 5].flatMap((id) => [`start ${id}`, `end ${id}`, `second ${id}`]));
    expect(store.saved).toEqual([feed.start, events[1]?.position, events[3]?.position, events[4]?.position]);
    expect(stops).toEqual([{ error: undefined, position: events[4]?.position }]);
    expect(watcher.stats()).toMatchObject({ started: true, stopped: true, total: 5 });
  });

  it("stops at a handler that throws, reports HandlerFailed, and a new watcher redelivers that change first", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const watcher = watcherOn(feed, { resumePoints: store });
    const seen: unknown[] = [];
    const errors: TributaryError[] = [];
    const stops: StopInfo[] = [];
    const cause = new Error("SMTP unavailable");
    watcher
      .on("change", async (event) => {
        seen.push(event.key?._id);
        if (event.key?._id === 2) throw cause;
      })
      .on("error", (error) => errors.push(error))
      .on("stop", (info) => stops.push(info));
    await watcher.start();
    const events = [1, 2, 3].map((id) => feed.write({ op: "insert", ns: "app.users", id, doc: { _id: id } }));
    await waitFor(() => stops.length === 1, "the watcher to stop");
    expect(seen).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: "TRIB_HANDLER_FAILED",
      message:
        'The "change" handler failed on the insert of app.users key 2: SMTP unavailable. The watcher stopped at this change; its resume point is before it, so a new watcher with the same store receives it again',
      context: { namespace: "app.users", key: "2", op: "insert" },
      cause,
    });
    expect(stops).toEqual([{ error: errors[0], position: events[0]?.position }]);
    expect(store.value).toEqual(events[0]?.position);
    await watcher.stop(); // already stopped: resolves

    const again = watcherOn(feed, { resumePoints: store });
    expect(idsOf(await take(again, 2))).toEqual([2, 3]);
  });

  it("stop() inside a handler resolves at once; that change counts as done", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const watcher = watcherOn(feed, { resumePoints: store });
    const stops: StopInfo[] = [];
    watcher.on("change", async (event) => {
      if (event.key?._id === 2) await watcher.stop();
    });
    watcher.on("stop", (info) => stops.push(info));
    await watcher.start();
    const events = [1, 2, 3].map((id) => feed.write({ op: "insert", ns: "app.users", id }));
    await waitFor(() => stops.length === 1, "the watcher to stop");
    expect(store.value).toEqual(events[1]?.position);
    expect(watcher.stats().total).toBe(2);
  });

  it("delivers id batches to batch handlers next to the changes, and the rest on stop", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const watcher = watcherOn(feed, { resumePoints: store, batch: { size: 3, latencyMs: 60_000 } });
    const changes: unknown[] = [];
    const batches: IdBatch[] = [];
    watcher.on("change", (event) => void changes.push(event.key?._id)).on("batch", (batch) => void batches.push(batch));
    await watcher.start();
    const events = [
      feed.write({ op: "insert", ns: "app.users", id: 1 }),
      feed.write({ op: "insert", ns: "app.users", id: 2 }),
      feed.write({ op: "drop", ns: "app.tmp" }),
      feed.write({ op: "update", ns: "app.users", id: 1 }),
      feed.write({ op: "delete", ns: "app.users", id: 7 }),
    ];
    await waitFor(() => changes.length === 5, "every change");
    expect(batches).toEqual([
      [
        { namespace: "app.users", op: "insert", ids: [1, 2] },
        { namespace: "app.users", op: "update", ids: [1] },
      ],
    ]);
    // The delete waits in the batch: the position stays at the end of the first batch.
    expect(watcher.position()).toEqual(events[3]?.position);
    await watcher.stop();
    expect(batches[1]).toEqual([{ namespace: "app.users", op: "delete", ids: [7] }]);
    expect(store.value).toEqual(events[4]?.position);
    expect(watcher.stats()).toMatchObject({ total: 5, batches: 2 });
  });

  it("refuses to be consumed two ways or changed once delivering", async () => {
    const feed = new ScriptedFeed();
    const withHandlers = watcherOn(feed).on("change", () => undefined);
    expect(() => withHandlers[Symbol.asyncIterator]()).toThrow('This watcher has "change"/"batch" handlers: call start() instead of iterating it');
    await withHandlers.start();
    expect(() => withHandlers.on("batch", () => undefined)).toThrow('on("batch") must be called before start()');
    expect(() => withHandlers.filter(() => true)).toThrow("filter() must be called before the watcher delivers");
    expect(() => withHandlers.batches()[Symbol.asyncIterator]()).toThrow("This watcher delivers to its handlers; iterate a watcher that has none");
    withHandlers.on("change", () => undefined); // more of the same kind is fine
    await withHandlers.stop();
    expect(() => withHandlers.on("change", () => undefined)).toThrow('on("change") on a watcher that has stopped');

    const iterated = watcherOn(feed);
    const iterator = iterated[Symbol.asyncIterator]();
    expect(() => iterated[Symbol.asyncIterator]()).toThrow("This watcher is already being iterated; consume a watcher one way");
    expect(() => iterated.on("change", () => undefined)).toThrow('on("change") on a watcher that is being iterated: consume a watcher one way');
    await iterated.stop();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(() => iterated[Symbol.asyncIterator]()).toThrow("This watcher has stopped; create a new one with watch()");
    expect(feed.closed).toBe(2);
  });

  it("stops before a batch whose handler throws; a new watcher delivers those changes again", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const watcher = watcherOn(feed, { resumePoints: store, batch: { size: 2, latencyMs: 60_000 } });
    const errors: TributaryError[] = [];
    let calls = 0;
    watcher
      .on("batch", () => {
        calls += 1;
        if (calls === 2) throw new Error("search index offline");
      })
      .on("error", (error) => errors.push(error));
    await watcher.start();
    const events = [1, 2, 3, 4, 5].map((id) => feed.write({ op: "update", ns: "app.users", id }));
    await waitFor(() => errors.length === 1, "the failure");
    expect(errors[0]).toMatchObject({ code: "TRIB_HANDLER_FAILED", context: { namespace: "app.users", op: "update", ids: 2 } });
    await watcher.stop();
    expect(store.value).toEqual(events[1]?.position);
    const again = watcherOn(feed, { resumePoints: store, batch: { size: 3, latencyMs: 60_000 } });
    expect(await take(again.batches(), 1)).toEqual([[{ namespace: "app.users", op: "update", ids: [3, 4, 5] }]]);
  });
});

describe("ChangeWatcher: batches()", () => {
  it("groups changed ids per namespace and operation, flushed at batch.size", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const events = [
      feed.write({ op: "insert", ns: "app.users", id: 1 }),
      feed.write({ op: "insert", ns: "app.orders", id: 10 }),
      feed.write({ op: "insert", ns: "app.users", id: 2 }),
      feed.write({ op: "update", ns: "app.users", id: 1 }),
      feed.write({ op: "replace", ns: "app.users", id: 2 }),
      feed.write({ op: "delete", ns: "app.orders", id: 10 }),
      feed.write({ op: "insert", ns: "app.users", id: 3 }),
    ];
    const watcher = watcherOn(feed, { resumePoints: store, batch: { size: 3, latencyMs: 60_000 } });
    const batches = await take(watcher.batches(), 2);
    expect(batches).toEqual([
      [
        { namespace: "app.users", op: "insert", ids: [1, 2] },
        { namespace: "app.orders", op: "insert", ids: [10] },
      ],
      [
        { namespace: "app.users", op: "update", ids: [1] },
        { namespace: "app.users", op: "replace", ids: [2] },
        { namespace: "app.orders", op: "delete", ids: [10] },
      ],
    ]);
    // The loop broke holding the second batch: only the first is done.
    expect(store.value).toEqual(events[2]?.position);
    expect(watcher.stats()).toMatchObject({ total: 6, batches: 2 });

    const again = watcherOn(feed, { resumePoints: store, batch: { size: 4, latencyMs: 60_000 } });
    expect(await take(again.batches(), 1)).toEqual([
      [
        { namespace: "app.users", op: "update", ids: [1] },
        { namespace: "app.users", op: "replace", ids: [2] },
        { namespace: "app.orders", op: "delete", ids: [10] },
        { namespace: "app.users", op: "insert", ids: [3] },
      ],
    ]);
  });

  it("flushes a partial batch after batch.latencyMs", async () => {
    const feed = new ScriptedFeed();
    const watcher = watcherOn(feed, { batch: { size: 100, latencyMs: 30 } });
    const run = collect(watcher.batches());
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    feed.write({ op: "insert", ns: "app.users", id: 2 });
    await waitFor(() => run.items.length === 1, "the batch", 5_000);
    expect(run.items).toEqual([[{ namespace: "app.users", op: "insert", ids: [1, 2] }]]);
    await watcher.stop();
    expect(await run.done).toBeUndefined();
  });
});

describe("ChangeWatcher: resume points", () => {
  it("continues after the stored position, whatever startAt says", async () => {
    const feed = new ScriptedFeed();
    const before = feed.write({ op: "insert", ns: "app.users", id: 1 });
    feed.write({ op: "insert", ns: "app.users", id: 2 });
    const store = new MemoryStore(before.position);
    const watcher = watcherOn(feed, { resumePoints: store, startAt: new Date(0) });
    expect(idsOf(await take(watcher, 1))).toEqual([2]);
    expect(feed.openedWith).toEqual([before.position]);
    expect(store.saved).toEqual([]); // the in-hand change is not done: nothing new to save
  });

  it("moves and saves the position on a quiet stream", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const watcher = watcherOn(feed, { resumePoints: store, saveEvery: { events: 100, ms: 1 } });
    const run = collect(watcher);
    await waitFor(() => store.saved.length === 1, "the start to be saved");
    await new Promise((resolve) => setTimeout(resolve, 5));
    const quiet = feed.caughtUp();
    await waitFor(() => store.saved.length === 2, "the quiet position to be saved");
    expect(store.saved).toEqual([feed.start, quiet]);
    expect(watcher.position()).toEqual(quiet);
    expect(watcher.stats().lagMs).toBeLessThan(1_000);
    await watcher.stop();
    expect(await run.done).toBeUndefined();
  });

  it("reports a store that cannot be read as ResumePointUnreadable", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    store.load = async () => {
      throw new Error("permission denied");
    };
    const watcher = watcherOn(feed, { resumePoints: store });
    await expect(watcher.start()).rejects.toMatchObject({
      code: "TRIB_RESUME_POINT_UNREADABLE",
      message: "Cannot read the watch resume point from memory: permission denied",
    });
    expect(feed.openedWith).toEqual([]);
  });
});
