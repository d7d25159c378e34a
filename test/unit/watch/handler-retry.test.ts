// handlerRetry: a failing handler is tried again with the core back-off, then the watcher stops
// at that change (the default) or hands it to the dead-letter handler and goes on.
import { describe, expect, it } from "vitest";
import type { TributaryError } from "../../../src/core/tributary-error.js";
import { ChangeWatcher } from "../../../src/watch/change-watcher.js";
import type { DeadLetter } from "../../../src/watch/handler-retry.js";
import type { IdBatch } from "../../../src/watch/id-batcher.js";
import { resolveWatchOptions, type WatchOptions } from "../../../src/watch/watch-options.js";
import { waitFor } from "../../support/wait-for.js";
import { MemoryStore, ScriptedFeed } from "./scripted-feed.js";

function watcherOn(feed: ScriptedFeed, options: WatchOptions): ChangeWatcher {
  return new ChangeWatcher(feed, resolveWatchOptions(options));
}

/** Resolves with the error the watcher ended with (undefined after a clean stop). */
function ended(watcher: ChangeWatcher): Promise<TributaryError | undefined> {
  return new Promise((resolve) => watcher.on("stop", ({ error }) => resolve(error)));
}

const quick = { initialDelayMs: 1, maxDelayMs: 2 };

describe("watch() handlerRetry", () => {
  it("tries a failing handler again and goes on once it succeeds", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    const second = feed.write({ op: "insert", ns: "app.users", id: 2 });
    const calls: unknown[] = [];
    const watcher = watcherOn(feed, { resumePoints: store, handlerRetry: { attempts: 3, ...quick } }).on("change", (event) => {
      calls.push(event.key?._id);
      if (event.key?._id === 1 && calls.length < 3) throw new Error("search index busy");
    });
    await watcher.start();
    await waitFor(() => calls.length === 4, "every call");
    await watcher.stop();
    expect(calls).toEqual([1, 1, 1, 2]);
    expect(store.value).toEqual(second.position);
  });

  it("stops at the change by default once every attempt failed, naming it and the attempts", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const first = feed.write({ op: "insert", ns: "app.users", id: 1 });
    feed.write({ op: "update", ns: "app.users", id: 2 });
    let calls = 0;
    const watcher = watcherOn(feed, { resumePoints: store, handlerRetry: { attempts: 2, ...quick } }).on("change", (event) => {
      if (event.key?._id === 2) {
        calls += 1;
        throw new Error("mail server refused");
      }
    });
    watcher.on("error", () => undefined);
    const stopped = ended(watcher);
    await watcher.start();
    const error = await stopped;
    expect(calls).toBe(2);
    expect(error?.code).toBe("TRIB_HANDLER_FAILED");
    expect(error?.message).toMatch(/^The "change" handler failed 2 times on the update of app\.users key 2: mail server refused\. The watcher stopped at this change/);
    expect((error?.cause as Error).message).toBe("mail server refused");
    expect(store.value).toEqual(first.position);
  });

  it("with dead-letter, hands the change to the dead-letter handler and goes on past it", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    const poisoned = feed.write({ op: "insert", ns: "app.users", id: 1, doc: { _id: 1, email: 42 } });
    const last = feed.write({ op: "insert", ns: "app.users", id: 2, doc: { _id: 2, email: "b@example.com" } });
    const letters: DeadLetter[] = [];
    const handled: unknown[] = [];
    const watcher = watcherOn(feed, {
      resumePoints: store,
      handlerRetry: { attempts: 2, ...quick, onExhausted: "dead-letter", deadLetter: (letter) => void letters.push(letter) },
    }).on("change", (event) => {
      if (typeof event.doc?.email !== "string") throw new TypeError("email is not a string");
      handled.push(event.key?._id);
    });
    await watcher.start();
    await waitFor(() => handled.length === 1, "the next change handled");
    await watcher.stop();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ kind: "change", event: poisoned, attempts: 2 });
    expect((letters[0]?.error as Error).message).toBe("email is not a string");
    expect(store.value).toEqual(last.position);
  });

  it("stops when the dead-letter handler fails too, saying both", async () => {
    const feed = new ScriptedFeed();
    feed.write({ op: "delete", ns: "app.users", id: 7 });
    const watcher = watcherOn(feed, {
      handlerRetry: {
        onExhausted: "dead-letter",
        deadLetter: () => {
          throw new Error("dead-letter queue full");
        },
      },
    }).on("change", () => {
      throw new Error("boom");
    });
    watcher.on("error", () => undefined);
    const stopped = ended(watcher);
    await watcher.start();
    const error = await stopped;
    expect(error?.code).toBe("TRIB_HANDLER_FAILED");
    expect(error?.message).toContain('The "change" handler failed on the delete of app.users key 7: boom.');
    expect(error?.message).toContain("The dead-letter handler failed on it too: dead-letter queue full");
    expect(error?.context).toEqual({ namespace: "app.users", key: "7", op: "delete" });
  });

  it("retries and dead-letters a batch handler the same way", async () => {
    const feed = new ScriptedFeed();
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    const letters: DeadLetter[] = [];
    let calls = 0;
    const watcher = watcherOn(feed, {
      batch: { size: 1 },
      handlerRetry: { attempts: 3, ...quick, onExhausted: "dead-letter", deadLetter: (letter) => void letters.push(letter) },
    }).on("batch", (_batch: IdBatch) => {
      calls += 1;
      throw new Error("reindex failed");
    });
    await watcher.start();
    await waitFor(() => letters.length === 1, "the batch dead-lettered");
    await watcher.stop();
    expect(calls).toBe(3);
    expect(letters[0]).toMatchObject({ kind: "batch", batch: [{ namespace: "app.users", op: "insert", ids: [1] }], attempts: 3 });
  });

  it("a stop during the back-off leaves the change undone, without an error", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    let calls = 0;
    const watcher = watcherOn(feed, { resumePoints: store, handlerRetry: { attempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 } }).on("change", () => {
      calls += 1;
      throw new Error("down");
    });
    const stopped = ended(watcher);
    await watcher.start();
    await waitFor(() => calls === 1, "the first try");
    await watcher.stop();
    expect(await stopped).toBeUndefined();
    expect(store.value).toEqual(feed.start);
  });

  it("a stop during the last back-off tries no more: no extra call, no dead letter, no error", async () => {
    const feed = new ScriptedFeed();
    const store = new MemoryStore();
    feed.write({ op: "insert", ns: "app.users", id: 1 });
    let calls = 0;
    const letters: DeadLetter[] = [];
    const retry = { attempts: 2, initialDelayMs: 60_000, maxDelayMs: 60_000, onExhausted: "dead-letter" as const, deadLetter: (letter: DeadLetter) => void letters.push(letter) };
    const watcher = watcherOn(feed, { resumePoints: store, handlerRetry: retry }).on("change", () => {
      calls += 1;
      throw new Error("down");
    });
    const stopped = ended(watcher);
    await watcher.start();
    await waitFor(() => calls === 1, "the first try");
    await watcher.stop();
    expect(await stopped).toBeUndefined();
    expect(calls).toBe(1);
    expect(letters).toEqual([]);
    expect(store.value).toEqual(feed.start);
  });

  it("refuses a retry policy on a for await loop, whose body is the caller's", () => {
    const watcher = watcherOn(new ScriptedFeed(), { handlerRetry: { attempts: 3 } });
    expect(() => watcher[Symbol.asyncIterator]()).toThrow("handlerRetry applies to handlers");
  });
});
