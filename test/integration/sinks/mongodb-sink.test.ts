import { BSON, Decimal128, Double, Int32, Long, type Document, type MongoClient } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import { MongoResumePointStore } from "../../../src/checkpoint/mongodb-resume-point-store.js";
import type { ResumePointStore } from "../../../src/core/resume-point-store.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { redactSecrets } from "../../../src/core/redact.js";
import { silentLogger, type Logger } from "../../../src/core/logger.js";
import { createMongoSink } from "../../../src/sinks/mongodb/mongodb-sink.js";
import type { Batch, Sink, StreamBatch } from "../../../src/core/sink.js";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { ChangeStreamSource } from "../../../src/source/change-stream-source.js";
import { connectMongo, LOSSLESS_BSON_OPTIONS } from "../../../src/source/mongo-connection.js";
import { comparePositions, makePosition, type Position } from "../../../src/core/position.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { describeWithMongo } from "../../support/requirements.js";
import { useMongoClient } from "../../support/sync-harness.js";

/** Keeps positions in memory; `failOn` makes one save fail, as a crash just before it would. */
class MemoryStore implements ResumePointStore {
  readonly description = "memory";
  readonly saved: Position[] = [];
  failOn: string | undefined;

  load(): Promise<Position | undefined> {
    return Promise.resolve(this.saved.at(-1));
  }

  save(position: Position): Promise<void> {
    if (position.key === this.failOn) return Promise.reject(new Error("crashed before saving"));
    this.saved.push(position);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Every document of a collection in `_id` order as canonical Extended JSON: types are compared too. */
async function documents(client: MongoClient, db: string, coll: string): Promise<string[]> {
  const docs = await client.db(db).collection(coll).find({}, LOSSLESS_BSON_OPTIONS).sort({ _id: 1 }).toArray();
  return docs.map((doc) => BSON.EJSON.stringify(doc, { relaxed: false }));
}

function canonical(docs: readonly Document[]): string[] {
  return docs.map((doc) => BSON.EJSON.stringify(doc, { relaxed: false }));
}

function batchOf(events: ChangeEvent[]): StreamBatch {
  return { events, position: events.at(-1)!.position };
}

async function collections(client: MongoClient, db: string): Promise<string[]> {
  return (await client.db(db).listCollections({}, { nameOnly: true }).toArray()).map((entry) => entry.name).sort();
}

describeWithMongo("mongodb sink", () => {
  const mongo = useMongoClient();
  let client: MongoClient;

  beforeAll(() => {
    client = mongo.client();
  });

  async function openSink(options: Record<string, unknown>, positions: ResumePointStore = new MemoryStore(), logger: Logger = silentLogger()): Promise<Sink> {
    const sink = await createMongoSink({ uri: mongo.uri(), ...options }, { pipeline: "default", sinkName: "copy", logger, baseDir: process.cwd(), positions });
    await sink.open();
    return sink;
  }

  async function applyOnce(options: Record<string, unknown>, batch: Batch, positions: ResumePointStore = new MemoryStore()): Promise<void> {
    const sink = await openSink(options, positions);
    try {
      await sink.apply(batch);
    } finally {
      await sink.close();
    }
  }

  it("writes inserts, updates, replaces and deletes into the target database with their exact BSON types", async () => {
    await client.db("msink_a").dropDatabase();
    const first = { _id: 1, qty: new Int32(3), big: Long.fromString("9007199254740993"), price: Decimal128.fromString("19.99"), ratio: new Double(2), at: new Date("2024-05-01T00:00:00Z") };
    const updated = { ...first, qty: new Int32(4), nested: { tags: ["a", "b"], n: new Int32(1) } };
    const replaced = { _id: 3, fresh: true, ratio: new Double(0.5) };
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: first }),
      makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } }),
      makeEvent({ op: "insert", ns: "shop.orders", id: 3, doc: { _id: 3, old: true } }),
      makeEvent({ op: "insert", ns: "shop.users", id: "ann", doc: { _id: "ann", age: new Int32(41) } }),
      makeEvent({ op: "update", ns: "shop.orders", id: 1, doc: updated }),
      makeEvent({ op: "update", ns: "shop.orders", id: 2 }),
      makeEvent({ op: "delete", ns: "shop.orders", id: 2 }),
      makeEvent({ op: "replace", ns: "shop.orders", id: 3, doc: replaced }),
      makeEvent({ op: "create", ns: "shop.empty" }),
    ];
    const positions = new MemoryStore();
    await applyOnce({ database: "msink_a" }, batchOf(events), positions);
    expect(await documents(client, "msink_a", "orders")).toEqual(canonical([updated, replaced]));
    expect(await documents(client, "msink_a", "users")).toEqual(canonical([{ _id: "ann", age: new Int32(41) }]));
    expect(await collections(client, "msink_a")).toEqual(["orders", "users"]);
    expect(positions.saved.map((position) => position.key)).toEqual([events.at(-1)!.position.key]);
  });

  it("converges to the same documents when a batch is applied twice", async () => {
    await client.db("msink_b").dropDatabase();
    const events = [
      makeEvent({ op: "insert", ns: "shop.items", id: 1, doc: { _id: 1, v: "one" } }),
      makeEvent({ op: "insert", ns: "shop.items", id: 2, doc: { _id: 2, v: "two" } }),
      makeEvent({ op: "insert", ns: "shop.kept", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "delete", ns: "shop.items", id: 1 }),
      makeEvent({ op: "drop", ns: "shop.items" }),
      makeEvent({ op: "insert", ns: "shop.items", id: 3, doc: { _id: 3, v: "three" } }),
      makeEvent({ op: "update", ns: "shop.items", id: 3, doc: { _id: 3, v: "three", seen: true } }),
    ];
    const expected = { items: canonical([{ _id: 3, v: "three", seen: true }]), kept: canonical([{ _id: 1 }]) };
    await applyOnce({ database: "msink_b" }, batchOf(events));
    expect({ items: await documents(client, "msink_b", "items"), kept: await documents(client, "msink_b", "kept") }).toEqual(expected);
    await applyOnce({ database: "msink_b" }, batchOf(events));
    expect({ items: await documents(client, "msink_b", "items"), kept: await documents(client, "msink_b", "kept") }).toEqual(expected);
  });

  it("renames the target collection, and a replay after a crash does not rename over it again", async () => {
    await client.db("msink_c").dropDatabase();
    const write = [1, 2].map((id) => makeEvent({ op: "insert", ns: "shop.drafts", id, doc: { _id: id } }));
    const rename = makeEvent({ op: "rename", ns: "shop.drafts", to: "shop.published" });
    const after = makeEvent({ op: "insert", ns: "shop.published", id: 3, doc: { _id: 3 } });
    const batch = batchOf([...write, rename, after]);
    const positions = new MemoryStore();
    positions.failOn = batch.position.key;
    await expect(applyOnce({ database: "msink_c" }, batch, positions)).rejects.toThrow("crashed before saving");
    expect(positions.saved.map((position) => position.key)).toEqual([write[1]!.position.key, rename.position.key]);
    const expected = canonical([{ _id: 1 }, { _id: 2 }, { _id: 3 }]);
    expect(await documents(client, "msink_c", "published")).toEqual(expected);
    expect(await collections(client, "msink_c")).toEqual(["published"]);

    // The restart resumes after the stored position, as the pipeline does.
    positions.failOn = undefined;
    const sink = await openSink({ database: "msink_c" }, positions);
    try {
      const stored = positions.saved.at(-1)!;
      await sink.apply({ events: batch.events.filter((event) => comparePositions(event.position, stored) > 0), position: batch.position });
      // Even a replay from just before the rename finds nothing left to rename.
      await sink.apply({ events: [rename, after], position: batch.position });
    } finally {
      await sink.close();
    }
    expect(await documents(client, "msink_c", "published")).toEqual(expected);
    expect(await collections(client, "msink_c")).toEqual(["published"]);
  });

  it("does nothing for a rename whose two namespaces map to one target collection", async () => {
    await client.db("msink_r").dropDatabase();
    const events = [
      makeEvent({ op: "insert", ns: "east.users", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "rename", ns: "east.users", to: "west.users" }),
      makeEvent({ op: "insert", ns: "west.users", id: 2, doc: { _id: 2 } }),
    ];
    await applyOnce({ database: "msink_r" }, batchOf(events));
    expect(await documents(client, "msink_r", "users")).toEqual(canonical([{ _id: 1 }, { _id: 2 }]));
  });

  it("drops the target database of a dropped source database when nothing else went into it", async () => {
    await client.db("msink_d").dropDatabase();
    await applyOnce({}, batchOf([makeEvent({ op: "insert", ns: "msink_d.a", id: 1, doc: { _id: 1 } })]));
    expect(await collections(client, "msink_d")).toEqual(["a"]);
    await applyOnce({}, batchOf([makeEvent({ op: "dropDatabase", ns: "msink_d" })]));
    const { databases } = await client.db("admin").admin().listDatabases({ nameOnly: true });
    expect(databases.map((database) => database.name)).not.toContain("msink_d");
  });

  it("keeps a merged target database on dropDatabase, drops the collections it knows came from it, and warns once", async () => {
    for (const name of ["msink_e", "msink_e2", "msink_e3"]) await client.db(name).dropDatabase();
    const { logger, lines } = capturingLogger();
    const options = { database: "msink_e2", namespaces: { "msink_e.keep": "msink_e3.kept" } };
    const sink = await openSink(options, new MemoryStore(), logger);
    try {
      await sink.apply(
        batchOf([
          makeEvent({ op: "insert", ns: "msink_e.x", id: 1, doc: { _id: 1 } }),
          makeEvent({ op: "insert", ns: "msink_e.keep", id: 1, doc: { _id: 1 } }),
          makeEvent({ op: "insert", ns: "crm.y", id: 1, doc: { _id: 1 } }),
        ]),
      );
      expect({ merged: await collections(client, "msink_e2"), mapped: await collections(client, "msink_e3") }).toEqual({ merged: ["x", "y"], mapped: ["kept"] });
      await sink.apply(batchOf([makeEvent({ op: "dropDatabase", ns: "msink_e" })]));
      await sink.apply(batchOf([makeEvent({ op: "dropDatabase", ns: "msink_e" })]));
    } finally {
      await sink.close();
    }
    expect({ merged: await collections(client, "msink_e2"), mapped: await collections(client, "msink_e3") }).toEqual({ merged: ["x", "y"], mapped: [] });
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => [line.source, line.database])).toEqual([["msink_e", "msink_e2"]]);
  });

  it("replicates a real change stream into another database of the same replica set", async () => {
    for (const name of ["msink_src", "msink_dst"]) await client.db(name).dropDatabase();
    const source = client.db("msink_src");
    const deployment = await connectMongo(mongo.uri(), { serverSelectionTimeoutMs: 10_000 });
    const controller = new AbortController();
    const events: ChangeEvent[] = [];
    try {
      const stream = new ChangeStreamSource(deployment, {
        scope: { kind: "database", db: "msink_src" },
        fullDocument: "updateLookup",
        maxAwaitTimeMs: 100,
        retry: { initialDelayMs: 50, maxDelayMs: 500 },
        logger: silentLogger(),
      });
      let writing = false;
      for await (const item of stream.items(controller.signal)) {
        if (item.kind === "caughtUp" && !writing) {
          // The stream is open from here on: every write below is in it.
          writing = true;
          const orders = source.collection<{ _id: Int32 } & Document>("orders");
          const named = (name: string) => source.collection<{ _id: string } & Document>(name);
          await orders.insertMany([
            { _id: new Int32(1), qty: new Int32(1), big: Long.fromString("9007199254740993"), price: Decimal128.fromString("1.10") },
            { _id: new Int32(2), qty: new Int32(5), ratio: new Double(1) },
            { _id: new Int32(3), gone: true },
          ]);
          await orders.updateOne({ _id: new Int32(1) }, { $inc: { qty: new Int32(1) }, $set: { note: "paid" } });
          await orders.replaceOne({ _id: new Int32(2) }, { qty: new Int32(6), ratio: new Double(2.5) });
          await orders.deleteOne({ _id: new Int32(3) });
          await named("drafts").insertOne({ _id: "d1", title: "first" });
          await source.collection("drafts").rename("published");
          await named("published").insertOne({ _id: "d2", title: "second" });
          await named("tmp").insertOne({ _id: "t" });
          await source.collection("tmp").drop();
          await named("end").insertOne({ _id: "end" });
        }
        if (item.kind !== "event") continue;
        events.push(item.event);
        // On 6.0+ a create event comes first: wait for the insert.
        if (item.event.op === "insert" && item.event.ns.coll === "end") break;
      }
    } finally {
      controller.abort();
      await deployment.client.close();
    }
    await applyOnce({ database: "msink_dst" }, batchOf(events));
    expect(await collections(client, "msink_dst")).toEqual(["end", "orders", "published"]);
    for (const coll of ["orders", "published", "end"]) {
      expect(await documents(client, "msink_dst", coll)).toEqual(await documents(client, "msink_src", coll));
    }
    expect(await documents(client, "msink_dst", "orders")).toEqual(
      canonical([
        { _id: new Int32(1), qty: new Int32(2), big: Long.fromString("9007199254740993"), price: Decimal128.fromString("1.10"), note: "paid" },
        { _id: new Int32(2), qty: new Int32(6), ratio: new Double(2.5) },
      ]),
    );
  });
});

describe("mongodb sink without a target", () => {
  it("reports an unreachable target when it opens", async () => {
    const sink = await createMongoSink(
      { uri: "mongodb://app:secret@127.0.0.1:1/?directConnection=true", serverSelectionTimeoutMs: 300 },
      { pipeline: "default", sinkName: "copy", logger: silentLogger(), baseDir: process.cwd(), positions: new MemoryStore() },
    );
    await expect(sink.open()).rejects.toMatchObject({ code: ErrorCode.MongoUnreachable, message: expect.stringMatching(/^Sink 'copy': Cannot reach MongoDB at mongodb:\/\/app:\*\*\*@127\.0\.0\.1:1\//) });
    await sink.close();
  });

  it("retries a write while the target is unreachable, until the sync is stopped, and saves no position", async () => {
    const { logger, lines } = capturingLogger();
    const positions = new MemoryStore();
    const sink = await createMongoSink(
      { uri: "mongodb://127.0.0.1:1/?directConnection=true", serverSelectionTimeoutMs: 100 },
      { pipeline: "default", sinkName: "copy", logger, baseDir: process.cwd(), positions },
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1_500);
    // Not opened (open() would report the target unreachable at once): the target went away.
    const batch = batchOf([makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } })]);
    await expect(sink.apply(batch, controller.signal)).rejects.toMatchObject({ code: ErrorCode.MongoUnreachable, context: { sink: "copy", namespace: "shop.orders" } });
    await sink.close();
    const retries = lines.filter((line) => line.msg === "target MongoDB unavailable; retrying");
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries.map((line) => [line.level, line.attempt, line.namespace]).slice(0, 2)).toEqual([
      [40, 1, "shop.orders"],
      [40, 2, "shop.orders"],
    ]);
    expect(positions.saved).toEqual([]);
  });
});

describeWithMongo("MongoResumePointStore", () => {
  const mongo = useMongoClient();

  it("saves, replaces and loads the position of each key", async () => {
    const client = mongo.client();
    await client.db("msink_store").dropDatabase();
    const store = new MongoResumePointStore({ uri: mongo.uri(), database: "msink_store", key: "default/copy" });
    const other = new MongoResumePointStore({ client, database: "msink_store", key: "default/other" });
    try {
      expect(await store.load()).toBeUndefined();
      const first = makePosition(tokenAt(1_700_000_000, 7));
      const second = makePosition(tokenAt(1_700_000_100, 1));
      await store.save(first);
      expect((await store.load())?.key).toBe(first.key);
      await store.save(second);
      await other.save(first);
      expect((await store.load())?.key).toBe(second.key);
      expect((await other.load())?.key).toBe(first.key);
      const stored = await client.db("msink_store").collection("positions").find({}).sort({ _id: 1 }).toArray();
      expect(stored).toEqual([
        { _id: "default/copy", resumeToken: second.resumeToken._data, token: JSON.stringify({ _data: second.resumeToken._data }), clusterTime: { t: 1_700_000_100, i: 1 }, date: "2023-11-14T22:15:00.000Z", savedAt: expect.any(Date) },
        { _id: "default/other", resumeToken: first.resumeToken._data, token: JSON.stringify({ _data: first.resumeToken._data }), clusterTime: { t: 1_700_000_000, i: 7 }, date: "2023-11-14T22:13:20.000Z", savedAt: expect.any(Date) },
      ]);
    } finally {
      await store.close();
      await other.close();
    }
    // The store closed its own client only: the one it was given still works.
    expect((await client.db("admin").command({ ping: 1 })).ok).toBe(1);
  });

  it("refuses a stored document it did not write", async () => {
    const client = mongo.client();
    await client.db("msink_store2").collection("positions").deleteMany({});
    await client.db("msink_store2").collection<{ _id: string; resumeToken: number }>("positions").insertOne({ _id: "bad", resumeToken: 5 });
    const store = new MongoResumePointStore({ uri: mongo.uri(), database: "msink_store2", key: "bad" });
    try {
      await expect(store.load()).rejects.toMatchObject({
        code: ErrorCode.ResumePointUnreadable,
        message: `The resume point stored in MongoDB collection msink_store2.positions at ${redactSecrets(mongo.uri())} (key "bad") is not one Tributary wrote (expected resumeToken, token and clusterTime {t, i}); fix or remove it to start from now`,
      });
    } finally {
      await store.close();
    }
  });
});
