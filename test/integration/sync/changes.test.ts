import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID, type MongoClient } from "mongodb";
import { afterAll, beforeAll, expect, it } from "vitest";
import { encodeDocument } from "../../../src/codec/document-codec.js";
import { LOSSLESS_BSON_OPTIONS } from "../../../src/source/mongo-connection.js";
import { createDatabase } from "../../support/postgres-server.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { describeWithMongo, postgresUrl } from "../../support/requirements.js";
import { startSync, useMongoClient, waitForInitialPosition, type RunningSync } from "../../support/sync-harness.js";
import { waitFor } from "../../support/wait-for.js";

describeWithMongo("sync: every change reaches PostgreSQL exactly", () => {
  const mongo = useMongoClient();
  let client: MongoClient;
  let url: string;
  let sync: RunningSync;
  const table = "public.changes_items";

  beforeAll(async () => {
    client = mongo.client();
    await client.db("changes").dropDatabase();
    url = await createDatabase(postgresUrl(), "sync_changes");
    sync = startSync({ source: { uri: mongo.uri(), include: ["changes.items"] }, target: { url } });
    await waitForInitialPosition(url);
  });

  afterAll(async () => {
    await sync?.stop();
  });

  interface Item {
    _id: ObjectId | Int32 | string;
    qty?: Int32 | number;
    tags?: string[];
    note?: string;
    profile?: { name: string };
    price?: Decimal128;
    v?: string;
    w?: string;
    in?: string;
    touchedBy?: string;
  }
  const items = () => client.db("changes").collection<Item>("items");

  /** Waits until the row of `id` holds exactly the document MongoDB holds now. */
  async function expectRowMatches(id: Item["_id"], key: string): Promise<void> {
    const current = await items().findOne({ _id: id }, LOSSLESS_BSON_OPTIONS);
    const expected = current ? encodeDocument(current) : undefined;
    await waitFor(async () => {
      const rows = await query<{ doc: unknown }>(url, `SELECT doc FROM ${table} WHERE _id = $1`, [key]).catch(() => []);
      const actual = rows[0]?.doc;
      return isDeepEqual(actual, expected);
    }, `row ${key} to match MongoDB`);
  }

  it("inserts every BSON type losslessly", async () => {
    const id = new ObjectId();
    await client.db("changes").collection("items").insertOne({
      _id: id,
      int: new Int32(7),
      long: Long.fromString("-9223372036854775808"),
      double: new Double(2.5),
      wholeDouble: new Double(3),
      decimal: Decimal128.fromString("0.1"),
      date: new Date("1969-07-20T20:17:40Z"),
      binary: new Binary(Buffer.from("tributary")),
      uuid: new UUID(),
      ts: new Timestamp({ t: 1, i: 2 }),
      nested: { a: [1, [2, [3]], { b: null }] },
    });
    await expectRowMatches(id, id.toHexString());
    const [row] = await query<{ doc: Record<string, unknown> }>(url, `SELECT doc FROM ${table} WHERE _id = $1`, [id.toHexString()]);
    expect(row?.doc.int).toBe(7);
    expect(row?.doc.long).toEqual({ $numberLong: "-9223372036854775808" });
    expect(row?.doc.wholeDouble).toEqual({ $numberDouble: "3.0" });
    expect(row?.doc.decimal).toEqual({ $numberDecimal: "0.1" });
  });

  it("applies $set, $unset, $inc, $push and $pull", async () => {
    await items().insertOne({ _id: "u1", qty: new Int32(1), tags: ["a", "b", "c"], note: "remove me", profile: { name: "ann" } });
    await expectRowMatches("u1", "u1");
    await items().updateOne({ _id: "u1" }, { $set: { "profile.name": "bob", price: Decimal128.fromString("9.99") } });
    await items().updateOne({ _id: "u1" }, { $unset: { note: "" } });
    await items().updateOne({ _id: "u1" }, { $inc: { qty: 41 } });
    await items().updateOne({ _id: "u1" }, { $push: { tags: "d" } });
    await items().updateOne({ _id: "u1" }, { $pull: { tags: "b" } });
    await expectRowMatches("u1", "u1");
    const [row] = await query<{ doc: Record<string, unknown> }>(url, `SELECT doc FROM ${table} WHERE _id = 'u1'`);
    expect(row?.doc).toEqual({ _id: "u1", qty: 42, tags: ["a", "c", "d"], profile: { name: "bob" }, price: { $numberDecimal: "9.99" } });
  });

  it("applies replace and delete", async () => {
    await items().insertOne({ _id: new Int32(5), v: "first" });
    await items().replaceOne({ _id: new Int32(5) }, { w: "replaced" });
    await expectRowMatches(new Int32(5), "5");
    expect(await query(url, `SELECT doc FROM ${table} WHERE _id = '5'`)).toEqual([{ doc: { _id: 5, w: "replaced" } }]);
    await items().deleteOne({ _id: new Int32(5) });
    await waitFor(async () => (await query(url, `SELECT 1 FROM ${table} WHERE _id = '5'`)).length === 0, "row 5 to be deleted");
  });

  it("makes a multi-document transaction visible all at once", async () => {
    const ids = Array.from({ length: 50 }, (_, index) => `txn-${index}`);
    const session = client.startSession();
    const observed = new Set<number>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [row] = await query<{ n: string }>(url, `SELECT count(*) AS n FROM ${table} WHERE _id LIKE 'txn-%'`);
        observed.add(Number(row?.n));
      }
    })();
    try {
      await session.withTransaction(async () => {
        for (const id of ids) await items().insertOne({ _id: id, in: "txn" }, { session });
        await items().updateOne({ _id: "u1" }, { $set: { touchedBy: "txn" } }, { session });
      });
    } finally {
      await session.endSession();
    }
    await waitFor(async () => observed.has(ids.length), "the transaction's rows");
    watching = false;
    await watcher;
    expect([...observed].filter((n) => n !== 0 && n !== ids.length)).toEqual([]);
    const [row] = await query<{ doc: Record<string, unknown> }>(url, `SELECT doc FROM ${table} WHERE _id = 'u1'`);
    expect(row?.doc.touchedBy).toBe("txn");
  });
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => isDeepEqual(item, b[index]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keysA = Object.keys(a);
    const keysB = Object.keys(b);
    return keysA.length === keysB.length && keysA.every((key) => isDeepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
  }
  return a === b;
}
