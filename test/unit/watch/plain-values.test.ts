// values: "plain": what handlers, loops and filters see of a change whose values the driver
// decoded with Tributary's lossless options (Int32, Long, ObjectId, Decimal128 wrappers).
import { Decimal128, Int32, Long, ObjectId, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { ChangeWatcher } from "../../../src/watch/change-watcher.js";
import type { IdBatch } from "../../../src/watch/id-batcher.js";
import { resolveWatchOptions, type WatchOptions } from "../../../src/watch/watch-options.js";
import { makeEvent } from "../../support/events.js";
import { waitFor } from "../../support/wait-for.js";
import { ScriptedFeed } from "./scripted-feed.js";

const id = new ObjectId("65f1c0ffee0000000000abcd");

/** An update as the source hands it on: key, looked-up document and delta in BSON wrappers. */
function paidUpdate(feed: ScriptedFeed): ChangeEvent {
  const event = makeEvent({ op: "update", ns: "shop.orders", id, doc: { _id: id, qty: new Int32(5), total: new Decimal128("12.50"), views: Long.fromString("9007199254740993") } });
  const withDelta: ChangeEvent = { ...event, update: { updatedFields: { qty: new Int32(5) }, removedFields: ["draft"], truncatedArrays: [] } };
  feed.append({ kind: "event", event: withDelta });
  return withDelta;
}

function watcherOn(feed: ScriptedFeed, options: WatchOptions): ChangeWatcher {
  return new ChangeWatcher(feed, resolveWatchOptions(options));
}

describe('watch() values: "plain"', () => {
  it("hands handlers and filters plain values, and keeps the position as the server gave it", async () => {
    const feed = new ScriptedFeed();
    const original = paidUpdate(feed);
    const seen: ChangeEvent[] = [];
    const watcher = watcherOn(feed, { values: "plain", largeLongs: "string", filter: (event) => event.doc?.qty === 5 }).on("change", (event) => void seen.push(event));
    await watcher.start();
    await waitFor(() => seen.length === 1, "the change");
    await watcher.stop();
    expect(seen[0]).toMatchObject({
      key: { _id: "65f1c0ffee0000000000abcd" },
      doc: { _id: "65f1c0ffee0000000000abcd", qty: 5, total: "12.50", views: "9007199254740993" },
      update: { updatedFields: { qty: 5 }, removedFields: ["draft"] },
    });
    expect(seen[0]?.position).toBe(original.position);
    expect(seen[0]?.clusterTime).toBeInstanceOf(Timestamp);
    expect(JSON.stringify(seen[0]?.doc)).toBe('{"_id":"65f1c0ffee0000000000abcd","qty":5,"total":"12.50","views":"9007199254740993"}');
    // The event as it came is untouched.
    expect(original.doc?.qty).toEqual(new Int32(5));
  });

  it("gives plain ids in batches, and BSON wrappers by default", async () => {
    const feed = new ScriptedFeed();
    paidUpdate(feed);
    const batches: IdBatch[] = [];
    const plain = watcherOn(feed, { values: "plain", batch: { size: 1 } }).on("batch", (batch) => void batches.push(batch));
    await plain.start();
    await waitFor(() => batches.length === 1, "the batch");
    await plain.stop();
    expect(batches[0]).toEqual([{ namespace: "shop.orders", op: "update", ids: ["65f1c0ffee0000000000abcd"] }]);

    const seen: ChangeEvent[] = [];
    const bson = watcherOn(feed, {}).on("change", (event) => void seen.push(event));
    await bson.start();
    await waitFor(() => seen.length === 1, "the change");
    await bson.stop();
    expect(seen[0]?.doc?.qty).toEqual(new Int32(5));
    expect(seen[0]?.key?._id).toBe(id);
  });
});
