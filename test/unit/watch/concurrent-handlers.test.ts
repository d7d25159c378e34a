// concurrency: N with per-document order, and the resume point that never passes a change whose
// handler (or an earlier one's) is still at work. Handlers wait on gates the test opens one by
// one, so every interleaving below is decided by the test, not by timing.
import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { TributaryError } from "../../../src/core/tributary-error.js";
import { ChangeWatcher } from "../../../src/watch/change-watcher.js";
import { resolveWatchOptions, type WatchOptions } from "../../../src/watch/watch-options.js";
import { waitFor } from "../../support/wait-for.js";
import type { EventSpec } from "../../support/events.js";
import { MemoryStore, ScriptedFeed } from "./scripted-feed.js";

/** A handler whose every call waits until the test opens the gate of its change. */
class GatedHandler {
  readonly started: string[] = [];
  readonly finished: string[] = [];
  running = 0;
  mostAtOnce = 0;
  private readonly gates = new Map<string, { open: () => void; fail: (error: Error) => void }>();

  readonly handle = async (event: ChangeEvent): Promise<void> => {
    const name = nameOf(event);
    this.started.push(name);
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    try {
      await new Promise<void>((resolve, reject) => this.gates.set(name, { open: resolve, fail: reject }));
      this.finished.push(name);
    } finally {
      this.running -= 1;
    }
  };

  async open(name: string): Promise<void> {
    await waitFor(() => this.gates.has(name), `${name} to start`);
    this.gates.get(name)?.open();
    this.gates.delete(name);
    await waitFor(() => this.finished.includes(name), `${name} to finish`);
  }

  async fail(name: string, error: Error): Promise<void> {
    await waitFor(() => this.gates.has(name), `${name} to start`);
    this.gates.get(name)?.fail(error);
    this.gates.delete(name);
  }
}

/** `insert 1`, `update 1`, `drop`: what a change is called in these tests. */
function nameOf(event: ChangeEvent): string {
  const id: unknown = event.key?._id;
  return id === undefined ? event.op : `${event.op} ${String(id)}`;
}

function watcherOn(feed: ScriptedFeed, options: WatchOptions): ChangeWatcher {
  return new ChangeWatcher(feed, resolveWatchOptions(options));
}

/** A feed holding these changes, and a watcher on it with a gated handler and a resume point store. */
function gatedWatcher(specs: readonly EventSpec[], options: WatchOptions): { feed: ScriptedFeed; store: MemoryStore; handler: GatedHandler; watcher: ChangeWatcher; events: ChangeEvent[] } {
  const feed = new ScriptedFeed();
  const store = new MemoryStore();
  const handler = new GatedHandler();
  const events = specs.map((spec) => feed.write(spec));
  const watcher = watcherOn(feed, { resumePoints: store, ...options }).on("change", handler.handle);
  return { feed, store, handler, watcher, events };
}

/** Lets pending handler starts and loop reads happen. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe("watch() concurrency", () => {
  it("runs changes of different documents at once, up to the limit, and never two of one document", async () => {
    const feed = new ScriptedFeed();
    const handler = new GatedHandler();
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    feed.write({ op: "insert", ns: "app.users", id: 2 });
    feed.write({ op: "update", ns: "app.users", id: 1 });
    feed.write({ op: "insert", ns: "app.users", id: 3 });
    feed.write({ op: "insert", ns: "app.users", id: 4 });
    const watcher = watcherOn(feed, { concurrency: 3 }).on("change", handler.handle);
    await watcher.start();
    await settle();
    // Three taken: two run, and the update of 1 waits for the insert of 1 (it holds a place).
    expect(handler.started).toEqual(["insert 1", "insert 2"]);

    await handler.open("insert 2");
    await settle();
    expect(handler.started).toEqual(["insert 1", "insert 2", "insert 3"]);

    await handler.open("insert 1");
    await settle();
    // The update of 1 starts only now, after its insert finished; a place came free for 4.
    expect(handler.started).toEqual(["insert 1", "insert 2", "insert 3", "update 1", "insert 4"]);
    expect(handler.mostAtOnce).toBe(3);

    for (const name of ["insert 4", "update 1", "insert 3"]) await handler.open(name);
    expect(handler.finished).toEqual(["insert 2", "insert 1", "insert 4", "update 1", "insert 3"]);
    await watcher.stop();
  });

  it("keeps the order of one document's changes whatever finishes first", async () => {
    const feed = new ScriptedFeed();
    const seen: string[] = [];
    for (let round = 0; round < 5; round += 1) {
      for (const id of [1, 2, 3]) feed.write({ op: "update", ns: "app.users", id, doc: { _id: id, round } });
    }
    const watcher = watcherOn(feed, { concurrency: 4 }).on("change", async (event) => {
      // Later rounds take less time: without per-document order they would overtake earlier ones.
      const id = event.key?._id as number;
      const round = event.doc?.round as number;
      for (let turn = 0; turn < (5 - round) * 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      seen.push(`${id}:${round}`);
    });
    await watcher.start();
    await waitFor(() => seen.length === 15, "every change handled");
    await watcher.stop();
    for (const id of [1, 2, 3]) {
      expect(seen.filter((entry) => entry.startsWith(`${id}:`))).toEqual([0, 1, 2, 3, 4].map((round) => `${id}:${round}`));
    }
  });

  it("runs a command alone: after every change before it, before any after it", async () => {
    const feed = new ScriptedFeed();
    const handler = new GatedHandler();
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    feed.write({ op: "drop", ns: "app.users" });
    feed.write({ op: "insert", ns: "app.users", id: 2 });
    const watcher = watcherOn(feed, { concurrency: 4 }).on("change", handler.handle);
    await watcher.start();
    await settle();
    expect(handler.started).toEqual(["insert 1"]);
    await handler.open("insert 1");
    await settle();
    expect(handler.started).toEqual(["insert 1", "drop"]);
    await handler.open("drop");
    await handler.open("insert 2");
    expect(handler.finished).toEqual(["insert 1", "drop", "insert 2"]);
    await watcher.stop();
  });

  it("moves the resume point only past changes whose handlers, and all earlier ones, are done", async () => {
    const { feed, store, handler, watcher, events } = gatedWatcher(
      ["a", "b", "c"].map((id) => ({ op: "insert", ns: "app.users", id })),
      { concurrency: 3, saveEvery: { events: 1 } },
    );
    const [a, b, c] = events as [ChangeEvent, ChangeEvent, ChangeEvent];
    await watcher.start();
    await settle();
    expect(handler.started).toEqual(["insert a", "insert b", "insert c"]);

    await handler.open("insert c");
    await handler.open("insert b");
    await settle();
    // b and c are done, a is not: a crash now must deliver a again, so nothing moved.
    expect(watcher.position()).toEqual(feed.start);
    expect(store.value).toEqual(feed.start);

    await handler.open("insert a");
    await waitFor(() => watcher.position()?.key === c.position.key, "the position past c");
    await watcher.stop();
    expect(store.value).toEqual(c.position);
    expect([a, b].every((event) => event.position.key < c.position.key)).toBe(true);
  });

  it("on a failure, lets the handlers at work finish, starts nothing more, and keeps the resume point before the failed change", async () => {
    const { feed, store, handler, watcher, events } = gatedWatcher(
      [
        { op: "insert", ns: "app.users", id: 1 },
        { op: "insert", ns: "app.users", id: 2 },
        { op: "insert", ns: "app.users", id: 3 },
        { op: "update", ns: "app.users", id: 2 },
      ],
      { concurrency: 3 },
    );
    const first = events[0];
    const errors: TributaryError[] = [];
    watcher.on("error", (error) => errors.push(error));
    const stopped = new Promise((resolve) => watcher.on("stop", resolve));
    await watcher.start();
    await settle();
    expect(handler.started).toEqual(["insert 1", "insert 2", "insert 3"]);

    await handler.open("insert 1");
    await handler.fail("insert 2", new Error("search index down"));
    await settle();
    // 3 is still at work: the watcher waits for it, and the update of 2 never starts.
    expect(errors).toEqual([]);
    await handler.open("insert 3");
    await stopped;
    expect(handler.started).toEqual(["insert 1", "insert 2", "insert 3"]);
    expect(errors.map((error) => [error.code, error.context])).toEqual([["TRIB_HANDLER_FAILED", { namespace: "app.users", key: "2", op: "insert" }]]);
    expect(store.value).toEqual(first?.position);

    // The next watcher gets everything after 1 again: 2 (failed), 3 (done, but after 2) and the update of 2.
    const again: string[] = [];
    const next = watcherOn(feed, { concurrency: 3, resumePoints: store }).on("change", (event) => {
      again.push(nameOf(event));
    });
    await next.start();
    await waitFor(() => again.length === 3, "three changes again");
    await next.stop();
    expect([...again].sort()).toEqual(["insert 2", "insert 3", "update 2"]);
  });

  it("stop() waits for the handlers at work, and leaves what has not started for the next watcher", async () => {
    const { store, handler, watcher, events } = gatedWatcher(
      [
        { op: "insert", ns: "app.users", id: 1 },
        { op: "update", ns: "app.users", id: 1 },
        { op: "insert", ns: "app.users", id: 2 },
      ],
      { concurrency: 3 },
    );
    const first = events[0];
    await watcher.start();
    await settle();
    expect(handler.started).toEqual(["insert 1", "insert 2"]);
    const stopping = watcher.stop();
    await handler.open("insert 2");
    await handler.open("insert 1");
    await stopping;
    expect(handler.started).toEqual(["insert 1", "insert 2"]);
    // The update of 1 never started: the saved position is past the insert of 1, before its update.
    expect(store.value).toEqual(first?.position);
  });

  it("refuses a for await loop with concurrency, which takes one change at a time", () => {
    const watcher = watcherOn(new ScriptedFeed(), { concurrency: 2 });
    expect(() => watcher[Symbol.asyncIterator]()).toThrow("concurrency applies to handlers");
  });
});
