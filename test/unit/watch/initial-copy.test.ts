// copy: the chosen collections through the snapshot runner (here over an in-memory snapshot
// source), delivered as inserts marked source: "snapshot", then the stream from the position
// fixed before the copy; the resume point is stored only once every copied document is handled.
import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import type { TributaryError } from "../../../src/core/tributary-error.js";
import { ChangeWatcher } from "../../../src/watch/change-watcher.js";
import type { CopyOutcome } from "../../../src/watch/initial-copy.js";
import { resolveWatchOptions, type WatchOptions } from "../../../src/watch/watch-options.js";
import { SyntheticSnapshotSource } from "../../support/synthetic-snapshot-source.js";
import { waitFor } from "../../support/wait-for.js";
import { MemoryStore, ScriptedFeed } from "./scripted-feed.js";

const users = [1, 2, 3].map((id) => ({ _id: id, email: `${id}@example.com` }));

function feedWithCopy(): ScriptedFeed {
  const feed = new ScriptedFeed();
  feed.copyFrom = new SyntheticSnapshotSource({ "app.users": users });
  return feed;
}

function watcherOn(feed: ScriptedFeed, options: WatchOptions): ChangeWatcher {
  return new ChangeWatcher(feed, resolveWatchOptions({ copy: { collections: ["app.users"], chunkSize: 2 }, ...options }));
}

const describeEvent = (event: ChangeEvent): string => `${event.source} ${event.op} ${String(event.key?._id)}`;

describe("watch() copy", () => {
  it("delivers every document as a snapshot insert, then the changes from the position fixed before the copy", async () => {
    const feed = feedWithCopy();
    const store = new MemoryStore();
    const change = feed.write({ op: "update", ns: "app.users", id: 2 });
    const seen: string[] = [];
    const copiedEvents: CopyOutcome[] = [];
    let releaseLast: (() => void) | undefined;
    const watcher = watcherOn(feed, { resumePoints: store, saveEvery: { events: 1 } })
      .on("change", async (event) => {
        seen.push(describeEvent(event));
        if (event.source === "snapshot") expect(event.position).toEqual(feed.start);
        if (event.source === "snapshot" && event.key?._id === 3) await new Promise<void>((resolve) => (releaseLast = resolve));
      })
      .on("copied", (outcome) => copiedEvents.push(outcome));
    let copied: CopyOutcome | undefined;
    const done = watcher.copied().then((outcome) => (copied = outcome));
    await watcher.start();
    await waitFor(() => releaseLast, "the last copied document in its handler");
    // Not done yet: nothing stored (a crash now copies again), nothing told.
    expect(store.saved).toEqual([]);
    expect(copied).toBeUndefined();
    releaseLast?.();
    await done;
    expect(copied).toEqual({ collections: ["app.users"], documents: 3, resumed: false });
    expect(copiedEvents).toEqual([copied]);
    await waitFor(() => seen.length === 4, "the change after the copy");
    await watcher.stop();
    expect(seen).toEqual(["snapshot insert 1", "snapshot insert 2", "snapshot insert 3", "stream update 2"]);
    expect(feed.copiesAsked).toEqual([["app.users"]]);
    expect(feed.readFrom).toEqual([feed.start]);
    expect(store.saved[0]).toEqual(feed.start);
    expect(store.value).toEqual(change.position);
  });

  it("copies again when stopped before the copy was done, and not once a resume point is stored", async () => {
    const feed = feedWithCopy();
    const store = new MemoryStore();
    let handled = 0;
    const first = watcherOn(feed, { resumePoints: store }).on("change", async () => {
      handled += 1;
      if (handled === 2) await first.stop();
    });
    const outcome = first.copied().then(
      () => undefined,
      (error: unknown) => error as TributaryError,
    );
    await first.start();
    const error = await outcome;
    expect(error?.code).toBe("TRIB_SNAPSHOT_FAILED");
    expect(error?.message).toBe("The watcher stopped before the initial copy was done; a new watcher with the same resumePoints copies again");
    expect(store.value).toBeUndefined();

    const seen: string[] = [];
    const second = watcherOn(feed, { resumePoints: store }).on("change", (event) => void seen.push(describeEvent(event)));
    await second.start();
    await second.copied();
    await second.stop();
    expect(seen).toEqual(["snapshot insert 1", "snapshot insert 2", "snapshot insert 3"]);
    expect(store.value).toEqual(feed.start);

    const third = watcherOn(feed, { resumePoints: store }).on("change", () => undefined);
    await third.start();
    expect(await third.copied()).toEqual({ collections: [], documents: 0, resumed: true });
    await third.stop();
    expect(feed.copiesAsked).toHaveLength(2);
  });

  it("feeds a for await loop, and ends it with the copy's error", async () => {
    const feed = feedWithCopy();
    feed.write({ op: "delete", ns: "app.users", id: 1 });
    const seen: string[] = [];
    for await (const event of watcherOn(feed, {})) {
      seen.push(describeEvent(event));
      if (seen.length === 4) break;
    }
    expect(seen).toEqual(["snapshot insert 1", "snapshot insert 2", "snapshot insert 3", "stream delete 1"]);

    const broken = new ScriptedFeed();
    const source = new SyntheticSnapshotSource({ "app.users": users });
    source.estimateCount = () => Promise.reject(new Error("not authorized on app to execute command { count: \"users\" }"));
    broken.copyFrom = source;
    const failed = await (async () => {
      for await (const event of watcherOn(broken, {})) void event;
    })().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failed?.message).toContain("not authorized on app");
  });

  it("with concurrency, a document's change from the stream waits for its copy to be handled", async () => {
    const feed = feedWithCopy();
    feed.write({ op: "update", ns: "app.users", id: 2 });
    const started: string[] = [];
    let releaseCopyOf2: (() => void) | undefined;
    const watcher = watcherOn(feed, { concurrency: 8 }).on("change", async (event) => {
      started.push(describeEvent(event));
      if (event.source === "snapshot" && event.key?._id === 2) await new Promise<void>((resolve) => (releaseCopyOf2 = resolve));
    });
    await watcher.start();
    await waitFor(() => releaseCopyOf2, "the copy of 2 in its handler");
    await waitFor(() => started.length === 3, "the other copied documents");
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(started).not.toContain("stream update 2");
    releaseCopyOf2?.();
    await waitFor(() => started.includes("stream update 2"), "the update of 2");
    await watcher.copied();
    await watcher.stop();
  });
});
