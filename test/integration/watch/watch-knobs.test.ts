// gtm's and mongowatch's knobs against a real replica set: concurrency with per-document
// order, fullDocument "off" (deltas only) and the initial copy with its "copied" signal.
import { Decimal128, Int32, Long, ObjectId, type MongoClient } from "mongodb";
import { beforeAll, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { comparePositions } from "../../../src/core/position.js";
import { watch } from "../../../src/watch/watch.js";
import { describeWithMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";

const int = (value: number): Int32 => new Int32(value);

describeWithMongo("watch() knobs", () => {
  const mongo = useMongoClient();
  let client: MongoClient;

  beforeAll(() => {
    client = mongo.client();
  });

  async function freshCollection(db: string, coll: string): Promise<void> {
    await client.db(db).dropDatabase();
    await client.db(db).createCollection(coll);
  }

  it("concurrency: documents in parallel, each document's changes one at a time and in order", async () => {
    await freshCollection("watchk1", "items");
    const items = client.db("watchk1").collection<{ _id: number; n: number }>("items");
    const store = new MemoryResumePointStore();
    const runningPerKey = new Map<number, number>();
    const seen = new Map<number, number[]>();
    let running = 0;
    let mostAtOnce = 0;
    let overlaps = 0;
    let handled = 0;
    /** The change furthest along the stream. */
    let last: ChangeEvent | undefined;
    const watcher = watch(mongo.uri(), { include: ["watchk1.items"], concurrency: 4, resumePoints: store }).on("change", async (event) => {
      const id = (event.key?._id as Int32 | number).valueOf() as number;
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      runningPerKey.set(id, (runningPerKey.get(id) ?? 0) + 1);
      if ((runningPerKey.get(id) ?? 0) > 1) overlaps += 1;
      // The first handlers wait for a second one to start: the limit lets several run at once.
      if (handled < 2) await waitFor(() => mostAtOnce >= 2, "a second handler running");
      await new Promise((resolve) => setTimeout(resolve, id % 3));
      seen.set(id, [...(seen.get(id) ?? []), (event.doc?.n as number | undefined) ?? -1]);
      runningPerKey.set(id, (runningPerKey.get(id) ?? 1) - 1);
      running -= 1;
      handled += 1;
      if (last === undefined || comparePositions(event.position, last.position) > 0) last = event;
    });
    await watcher.start();
    await items.insertMany(Array.from({ length: 20 }, (_, id) => ({ _id: id, n: 0 })));
    for (let n = 1; n <= 3; n += 1) for (let id = 0; id < 20; id += 1) await items.updateOne({ _id: id }, { $set: { n } });
    await waitFor(() => handled === 80, "every change handled");
    await watcher.stop();
    expect(overlaps).toBe(0);
    expect(mostAtOnce).toBeGreaterThanOrEqual(2);
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    // updateLookup reads the document when the event is read: n never goes back for one document.
    for (const [, ns] of seen) expect([...ns].sort((a, b) => a - b)).toEqual(ns);
    expect(seen.size).toBe(20);
    expect(comparePositions(store.value!, last!.position)).toBeGreaterThanOrEqual(0);
  });

  it('fullDocument "off": an update carries its delta and no document; inserts and replaces keep theirs', async () => {
    await freshCollection("watchk2", "users");
    const users = client.db("watchk2").collection<{ _id: number; email: string; plan?: string }>("users");
    const events: ChangeEvent[] = [];
    const watcher = watch(client, { include: ["watchk2.users"], fullDocument: "off" }).on("change", (event) => void events.push(event));
    await watcher.start();
    await users.insertOne({ _id: 1, email: "a@example.com", plan: "free" });
    await users.updateOne({ _id: 1 }, { $set: { email: "b@example.com" }, $unset: { plan: "" } });
    await users.replaceOne({ _id: 1 }, { email: "c@example.com" });
    await waitFor(() => events.length === 3, "three changes");
    await watcher.stop();
    const [insert, update, replace] = events;
    expect(insert?.doc).toEqual({ _id: int(1), email: "a@example.com", plan: "free" });
    expect(update?.op).toBe("update");
    expect(update?.doc).toBeUndefined();
    expect(update?.update).toEqual({ updatedFields: { email: "b@example.com" }, removedFields: ["plan"], truncatedArrays: [] });
    expect(replace?.doc).toEqual({ _id: int(1), email: "c@example.com" });
  });

  it("copy: every document as a snapshot insert, copied() once handled, then the changes made since the position fixed before it", async () => {
    await freshCollection("watchk3", "users");
    const users = client.db("watchk3").collection<{ _id: number; n: number }>("users");
    await users.insertMany(Array.from({ length: 250 }, (_, id) => ({ _id: id, n: 0 })));
    const store = new MemoryResumePointStore();
    const copied = new Set<number>();
    const copiedOps = new Set<string>();
    const streamed: ChangeEvent[] = [];
    const sourcesOf7: string[] = [];
    const watcher = watch(mongo.uri(), { include: ["watchk3.users"], copy: { collections: ["watchk3.users"], chunkSize: 40, parallelism: 3 }, concurrency: 8, resumePoints: store }).on(
      "change",
      (event) => {
        const id = (event.key?._id as Int32).valueOf() as number;
        if (id === 7) sourcesOf7.push(event.source);
        if (event.source === "snapshot") {
          copiedOps.add(event.op);
          copied.add(id);
        } else {
          streamed.push(event);
        }
      },
    );
    const done = watcher.copied();
    await watcher.start();
    // Written after the start was fixed, maybe while the copy reads: whether or not the copy saw
    // them, the stream brings them after the copy (at least once).
    await users.updateOne({ _id: 7 }, { $set: { n: 1 } });
    await users.insertOne({ _id: 1000, n: 0 });
    const outcome = await done;
    expect(outcome.collections).toEqual(["watchk3.users"]);
    expect([250, 251]).toContain(outcome.documents);
    for (let id = 0; id < 250; id += 1) expect(copied.has(id)).toBe(true);
    expect([...copiedOps]).toEqual(["insert"]);
    await waitFor(() => streamed.length === 2, "the changes made during the copy");
    await watcher.stop();
    streamed.sort((a, b) => comparePositions(a.position, b.position));
    expect(streamed.map((event) => [event.op, event.key?._id])).toEqual([
      ["update", int(7)],
      ["insert", int(1000)],
    ]);
    // One document's copy and its later change keep their order.
    expect(sourcesOf7).toEqual(["snapshot", "stream"]);
    expect(comparePositions(store.value!, streamed[1]!.position)).toBeGreaterThanOrEqual(0);

    // Resumed from the store: no copy again.
    const again = watch(mongo.uri(), { include: ["watchk3.users"], copy: { collections: ["watchk3.users"] }, resumePoints: store }).on("change", () => undefined);
    await again.start();
    expect(await again.copied()).toEqual({ collections: [], documents: 0, resumed: true });
    await again.stop();
  });

  it('values "plain": numbers as numbers, ObjectId and Decimal128 as text, a large Long as a bigint', async () => {
    await freshCollection("watchk4", "orders");
    const orders = client.db("watchk4").collection("orders");
    const id = new ObjectId();
    const events: ChangeEvent[] = [];
    const watcher = watch(client, { include: ["watchk4.orders"], values: "plain" }).on("change", (event) => void events.push(event));
    await watcher.start();
    await orders.insertOne({ _id: id, qty: new Int32(5), total: new Decimal128("12.50"), views: Long.fromString("9007199254740993"), small: Long.fromNumber(7) });
    await orders.updateOne({ _id: id }, { $inc: { qty: 1 } });
    await waitFor(() => events.length === 2, "two changes");
    await watcher.stop();
    expect(events[0]?.key).toEqual({ _id: id.toHexString() });
    expect(events[0]?.doc).toEqual({ _id: id.toHexString(), qty: 5, total: "12.50", views: 9007199254740993n, small: 7 });
    expect(events[1]?.update?.updatedFields).toEqual({ qty: 6 });
    expect(events[1]?.doc?.qty).toBe(6);
  });
});
