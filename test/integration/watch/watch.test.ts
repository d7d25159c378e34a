import { Int32, type Document, type MongoClient } from "mongodb";
import { beforeAll, expect, it } from "vitest";
import type { TributaryError } from "../../../src/core/tributary-error.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { comparePositions } from "../../../src/core/position.js";
import type { StopInfo } from "../../../src/watch/change-watcher.js";
import { watch } from "../../../src/watch/watch.js";
import { describeWithMongo, requireMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";
import { collect } from "../../support/async-helpers.js";
import { MemoryResumePointStore } from "../../support/memory-resume-point-store.js";

/** Reads `count` items, then leaves the loop (which stops the watcher). */
async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

/** The parts of an event a test can know exactly in advance. */
function essentials(event: ChangeEvent): Document {
  const { op, ns, key, doc, before, update, source } = event;
  return Object.fromEntries(Object.entries({ op, ns, key, doc, before, update, source }).filter(([, value]) => value !== undefined));
}

const int = (value: number): Int32 => new Int32(value);

describeWithMongo("watch()", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  let major: number;

  beforeAll(() => {
    client = mongo.client();
    major = Number.parseInt(requireMongo().version, 10);
  });

  /** A fresh database with these collections created (so no `create` event comes later). */
  async function freshDatabase(name: string, collections: readonly string[]): Promise<void> {
    await client.db(name).dropDatabase();
    for (const coll of collections) await client.db(name).createCollection(coll);
  }

  it("yields exact normalized events for insert, update and delete, in order", async () => {
    await freshDatabase("watch1", ["users"]);
    const users = client.db("watch1").collection<{ _id: number; email: string; plan?: string }>("users");
    const watcher = watch(mongo.uri(), { include: ["watch1.users"] });
    await watcher.start();
    await users.insertOne({ _id: 1, email: "a@example.com", plan: "free" });
    await users.updateOne({ _id: 1 }, { $set: { email: "b@example.com" }, $unset: { plan: "" } });
    await users.insertOne({ _id: 2, email: "c@example.com" });
    await users.deleteOne({ _id: 2 });
    // Reading begins after the writes; updateLookup reads _id 1 as it is then.
    const events = await take(watcher, 4);
    expect(events.map(essentials)).toEqual([
      { op: "insert", ns: { db: "watch1", coll: "users" }, key: { _id: int(1) }, doc: { _id: int(1), email: "a@example.com", plan: "free" }, source: "stream" },
      {
        op: "update",
        ns: { db: "watch1", coll: "users" },
        key: { _id: int(1) },
        doc: { _id: int(1), email: "b@example.com" },
        update: { updatedFields: { email: "b@example.com" }, removedFields: ["plan"], truncatedArrays: [] },
        source: "stream",
      },
      { op: "insert", ns: { db: "watch1", coll: "users" }, key: { _id: int(2) }, doc: { _id: int(2), email: "c@example.com" }, source: "stream" },
      { op: "delete", ns: { db: "watch1", coll: "users" }, key: { _id: int(2) }, source: "stream" },
    ]);
    for (let i = 1; i < events.length; i += 1) expect(comparePositions(events[i - 1]!.position, events[i]!.position)).toBe(-1);
    // The loop left holding the delete: the watcher is stopped at the insert before it.
    expect(watcher.position()).toEqual(events[2]?.position);
    expect(watcher.stats()).toMatchObject({ started: true, stopped: true, total: 4, byNamespace: { "watch1.users": { insert: 2, update: 1, delete: 1 } } });
  });

  it("lets the server filter by operation and query: only the wanted events arrive; the caller's client stays open", async () => {
    await freshDatabase("watch2", ["accounts", "other"]);
    const db = client.db("watch2");
    const accounts = db.collection<{ _id: number; status: string }>("accounts");
    const watcher = watch(client, { scope: { db: "watch2" }, operations: ["insert", "update"], match: { "fullDocument.status": "active" } });
    await watcher.start();
    await accounts.insertOne({ _id: 1, status: "active" });
    await accounts.insertOne({ _id: 2, status: "inactive" });
    await accounts.updateOne({ _id: 2 }, { $set: { status: "active" } });
    await accounts.deleteOne({ _id: 1 });
    await db.collection<{ _id: number; status: string }>("other").insertOne({ _id: 3, status: "active" });
    const events = await take(watcher, 3);
    expect(events.map((event) => [event.op, event.ns.coll, event.key?._id])).toEqual([
      ["insert", "accounts", int(1)],
      ["update", "accounts", int(2)],
      ["insert", "other", int(3)],
    ]);
    // Nothing unwanted reached the process: the server filtered it.
    expect(watcher.stats()).toMatchObject({ total: 3, skipped: 0, byNamespace: { "watch2.accounts": { insert: 1, update: 1 }, "watch2.other": { insert: 1 } } });
    expect(await client.db("admin").command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it("delivers only the namespaces the include and exclude globs select", async () => {
    await freshDatabase("watch3", ["keep_a", "keep_tmp", "skip_b", "keep_z"]);
    await freshDatabase("watch3x", ["keep_c"]);
    const watcher = watch(mongo.uri(), { include: ["watch3.keep_*"], exclude: ["watch3.keep_tmp"], operations: ["insert"] });
    await watcher.start();
    for (const [db, coll, id] of [
      ["watch3", "keep_a", 1],
      ["watch3", "keep_tmp", 2],
      ["watch3", "skip_b", 3],
      ["watch3x", "keep_c", 4],
      ["watch3", "keep_z", 5],
    ] as const) {
      await client.db(db).collection<{ _id: number }>(coll).insertOne({ _id: id });
    }
    const events = await take(watcher, 2);
    expect(events.map((event) => [`${event.ns.db}.${event.ns.coll ?? ""}`, event.key?._id])).toEqual([
      ["watch3.keep_a", int(1)],
      ["watch3.keep_z", int(5)],
    ]);
  });

  it("resumes from its store after stop(): exactly the changes made meanwhile, none lost, none twice", async () => {
    await freshDatabase("watch4", ["items"]);
    const items = client.db("watch4").collection<{ _id: number; n: number }>("items");
    const store = new MemoryResumePointStore();
    const first = watch(mongo.uri(), { include: ["watch4.items"], resumePoints: store });
    const run = collect(first);
    await waitFor(() => store.value, "the starting point to be saved");
    await items.insertMany([1, 2, 3, 4, 5].map((id) => ({ _id: id, n: 0 })));
    await waitFor(() => run.items.length === 5, "five inserts");
    await first.stop();
    expect(await run.done).toBeUndefined();
    // Saved at the fifth insert, or later if the quiet stream moved on since.
    expect(comparePositions(store.value!, run.items[4]!.position)).toBeGreaterThanOrEqual(0);

    // Written while nobody watches.
    await items.insertMany([6, 7, 8].map((id) => ({ _id: id, n: 0 })));
    await items.updateOne({ _id: 2 }, { $inc: { n: 1 } });

    const second = watch(mongo.uri(), { include: ["watch4.items"], resumePoints: store, startAt: "now" });
    const again = collect(second);
    await waitFor(() => again.items.length >= 4, "the four changes made while stopped");
    await items.insertOne({ _id: 9, n: 0 });
    await waitFor(() => again.items.length >= 5, "the insert made after restarting");
    await second.stop();
    expect(again.items.map((event) => [event.op, event.key?._id])).toEqual([
      ["insert", int(6)],
      ["insert", int(7)],
      ["insert", int(8)],
      ["update", int(2)],
      ["insert", int(9)],
    ]);
  });

  it("stops at a handler that throws, and a new watcher with the same store redelivers that change first", async () => {
    await freshDatabase("watch5", ["signups"]);
    const signups = client.db("watch5").collection<{ _id: number; email: string }>("signups");
    const store = new MemoryResumePointStore();
    const watcher = watch(mongo.uri(), { include: ["watch5.signups"], operations: ["insert"], resumePoints: store });
    const seen: unknown[] = [];
    const errors: TributaryError[] = [];
    const stops: StopInfo[] = [];
    watcher
      .on("change", async (event) => {
        seen.push(event.key?._id);
        if (event.doc?.email === "c@example.com") throw new Error("mail server down");
      })
      .on("error", (error) => errors.push(error))
      .on("stop", (info) => stops.push(info));
    await watcher.start();
    await signups.insertMany(["a", "b", "c", "d"].map((name, index) => ({ _id: index + 1, email: `${name}@example.com` })));
    await waitFor(() => stops.length === 1, "the watcher to stop");
    expect(seen).toEqual([int(1), int(2), int(3)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: "TRIB_HANDLER_FAILED",
      context: { namespace: "watch5.signups", key: "3", op: "insert" },
      cause: new Error("mail server down"),
    });
    expect(errors[0]?.message).toBe(
      'The "change" handler failed on the insert of watch5.signups key 3: mail server down. The watcher stopped at this change; its resume point is before it, so a new watcher with the same store receives it again',
    );
    expect(stops[0]?.error).toBe(errors[0]);

    const retry = watch(mongo.uri(), { include: ["watch5.signups"], operations: ["insert"], resumePoints: store });
    const redelivered = await take(retry, 2);
    expect(redelivered.map((event) => event.doc?.email)).toEqual(["c@example.com", "d@example.com"]);
  });

  it("batches() groups changed ids per namespace and operation, 100 at a time", async () => {
    await freshDatabase("watch6", ["docs"]);
    const docs = client.db("watch6").collection<{ _id: number; v: number }>("docs");
    const watcher = watch(mongo.uri(), { scope: { db: "watch6" }, batch: { size: 100, latencyMs: 60_000 } });
    await watcher.start();
    await docs.insertMany(Array.from({ length: 150 }, (_, i) => ({ _id: i, v: 0 })));
    await docs.updateMany({ _id: { $lt: 50 } }, { $set: { v: 1 } });
    const batches = await take(watcher.batches(), 2);
    const ids = (from: number, to: number): Int32[] => Array.from({ length: to - from }, (_, i) => int(from + i));
    expect(batches).toEqual([
      [{ namespace: "watch6.docs", op: "insert", ids: ids(0, 100) }],
      [
        { namespace: "watch6.docs", op: "insert", ids: ids(100, 150) },
        { namespace: "watch6.docs", op: "update", ids: ids(0, 50) },
      ],
    ]);
    expect(watcher.stats()).toMatchObject({ total: 200, batches: 2, byNamespace: { "watch6.docs": { insert: 150, update: 50 } } });
  });

  it("keeps delivering after the watched collection is dropped and re-created (invalidate)", async () => {
    await freshDatabase("watch7", ["items"]);
    const items = client.db("watch7").collection<{ _id: number }>("items");
    const watcher = watch(mongo.uri(), { include: ["watch7.items"], operations: ["insert", "drop"] });
    await watcher.start();
    await items.insertOne({ _id: 1 });
    await items.drop();
    await items.insertOne({ _id: 2 });
    const events = await take(watcher, 3);
    expect(events.map((event) => [event.op, event.ns.coll, event.key?._id])).toEqual([
      ["insert", "items", int(1)],
      ["drop", "items", undefined],
      ["insert", "items", int(2)],
    ]);
    expect(watcher.stats()).toMatchObject({ total: 3, byNamespace: { "watch7.items": { insert: 2, drop: 1 } } });
  });

  it("starts at a past moment: a Date, or the oldest change the oplog holds", async () => {
    const coll = `items_${Date.now()}`;
    await freshDatabase("watch8", [coll]);
    const before = new Date(Date.now() - 2_000);
    await client.db("watch8").collection<{ _id: number }>(coll).insertMany([{ _id: 1 }, { _id: 2 }]);
    const fromDate = watch(mongo.uri(), { include: [`watch8.${coll}`], operations: ["insert"], startAt: before });
    expect((await take(fromDate, 2)).map((event) => event.key?._id)).toEqual([int(1), int(2)]);
    const fromOldest = watch(client, { include: [`watch8.${coll}`], operations: ["insert"], startAt: "oldest" });
    expect((await take(fromOldest, 2)).map((event) => event.key?._id)).toEqual([int(1), int(2)]);
  });

  it("delivers pre- and post-images when the collection records them (MongoDB 6.0+)", async (context) => {
    if (major < 6) context.skip();
    await client.db("watch9").dropDatabase();
    await client.db("watch9").createCollection("orders", { changeStreamPreAndPostImages: { enabled: true } });
    const orders = client.db("watch9").collection<{ _id: number; qty: number }>("orders");
    const watcher = watch(mongo.uri(), { include: ["watch9.orders"], operations: ["update"], fullDocument: "required", fullDocumentBeforeChange: "required" });
    await watcher.start();
    await orders.insertOne({ _id: 1, qty: 1 });
    await orders.updateOne({ _id: 1 }, { $set: { qty: 2 } });
    const [event] = await take(watcher, 1);
    expect(event && essentials(event)).toEqual({
      op: "update",
      ns: { db: "watch9", coll: "orders" },
      key: { _id: int(1) },
      doc: { _id: int(1), qty: int(2) },
      before: { _id: int(1), qty: int(1) },
      update: { updatedFields: { qty: int(2) }, removedFields: [], truncatedArrays: [] },
      source: "stream",
    });
  });
});
