import { Binary, Decimal128, Int32, Long, ObjectId, Timestamp } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { defaultTableName, keyText, parseMapping, PostgresSink, type PostgresSinkOptions } from "../../../src/postgres.js";
import { checkSinkConformance, type Sink } from "../../../src/sink.js";
import { makeEvent } from "../../support/events.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { createDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const open: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_conformance");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

/** A sink with only `url` and what the test sets: every other option takes its default. */
function sink(options: Omit<PostgresSinkOptions, "url"> = {}): PostgresSink {
  const created = new PostgresSink({ url, ...options });
  open.push(created);
  return created;
}

/** The sink as the runtime sees it, its `readBack` capability reading through `PostgresSink.readBack`. */
function asPlainSink(postgres: PostgresSink): Sink {
  const readBack = postgres.capabilities?.readBack ?? { read: (namespace: string, ids: readonly unknown[]) => postgres.readBack(namespace, ids) };
  return {
    name: postgres.name,
    transactional: postgres.transactional,
    capabilities: { ...postgres.capabilities, readBack },
    open: () => postgres.open(),
    apply: (batch, signal) => postgres.apply(batch, signal),
    close: () => postgres.close(),
  };
}

describe("PostgresSink and the sink conformance suite", () => {
  it("keeps the contract in raw mode, with only `url` given, reading back every document as it was last written", async () => {
    const report = await checkSinkConformance(() => asPlainSink(sink()));

    expect(report.sink).toBe("postgres");
    expect(report.transactional).toBe(true);
    expect(report.skipped).toEqual([]);
    expect(report.passed).toContain("read-back-content");
    // The defaults: schema public, the table named by defaultTableName, positions under pipeline "default" in schema tributary.
    const [{ n }] = (await query<{ n: string }>(url, `SELECT count(*) AS n FROM public.${defaultTableName("tributary_conformance", "customers")}`)) as [{ n: string }];
    expect(Number(n)).toBe(4);
    expect(await query(url, "SELECT pipeline FROM tributary.positions")).toEqual([{ pipeline: "default" }]);
  });

  // With an inferred mapping, `_id`s of mixed types (numbers and strings) get a JSONB key column,
  // whose keys the deletes of parent and child rows send as JSON (this suite found them sent as
  // bare text, which PostgreSQL refused). The rows are mapped columns, not a `doc`: the content
  // read-back does not apply.
  it("keeps the contract with an inferred mapping, on a collection whose keys mix numbers and strings", async () => {
    const report = await checkSinkConformance(() => asPlainSink(sink({ inferMapping: true })));
    expect(report.skipped.map((skip) => skip.rule)).toEqual(["read-back-content"]);
    expect(report.passed.length).toBeGreaterThan(0);
  });
});

describe("PostgresSink.readBack and readRow", () => {
  const ns = "shop.orders";

  it("raw mode: the document decoded back with its BSON types, and the bookkeeping columns, keyed by keyText", async () => {
    const postgres = sink();
    await postgres.open();
    const doc = { _id: new ObjectId("65a1b2c3d4e5f60718293a4b"), qty: new Int32(2), big: Long.fromString("9007199254740993"), price: Decimal128.fromString("9.99"), at: new Date("2024-02-29T12:00:00Z"), bin: new Binary(Buffer.from([1, 2])), ts: new Timestamp({ t: 1, i: 2 }), nested: { list: [new Int32(1), "a"] } };
    const insert = makeEvent({ op: "insert", ns, id: doc._id, doc, t: 1_700_000_000 });
    const second = makeEvent({ op: "insert", ns, id: "alice", doc: { _id: "alice", name: "Alice" } });
    await postgres.apply({ events: [insert, second], position: second.position });

    const row = await postgres.readRow(ns, doc._id);
    expect(row).toEqual({ _id: "65a1b2c3d4e5f60718293a4b", doc, _cluster_time: new Date(1_700_000_000_000), _synced_at: expect.any(Date) });
    const rows = await postgres.readBack(ns, [doc._id, "alice", "nobody", 5]);
    expect([...rows.keys()].sort()).toEqual([keyText(doc._id), "alice"].sort());
    expect(rows.get("alice")?.doc).toEqual({ _id: "alice", name: "Alice" });
    expect(await postgres.readRow(ns, "nobody")).toBeUndefined();
    expect(await postgres.readBack("shop.unknown", [doc._id])).toEqual(new Map());
  });

  it("relational mode: the parent row's columns, ids that cannot be a key of its type absent", async () => {
    const mapping = parseMapping("mappings.json", { shop: { orders: { pk: "id", _id: { dest: "id", type: "INTEGER" }, customer: { dest: "customer", type: "TEXT" }, total: { dest: "total", type: "NUMERIC" } } } }, { defaultSchema: "public" });
    const postgres = sink({ mapping });
    await postgres.open();
    const insert = makeEvent({ op: "insert", ns, id: 5, doc: { _id: 5, customer: "Ada", total: 12.5, note: "kept in _extra" } });
    await postgres.apply({ events: [insert], position: insert.position });

    expect(await postgres.readRow(ns, 5)).toMatchObject({ id: 5, customer: "Ada", total: "12.5", _extra: { note: "kept in _extra" }, _cluster_time: expect.any(Date) });
    expect(await postgres.readRow(ns, new Int32(5))).toMatchObject({ id: 5 });
    expect([...(await postgres.readBack(ns, [5, 6, "not a number"])).keys()]).toEqual(["5"]);
  });

  it("inferred mode: the mapped columns of the inferred table", async () => {
    const postgres = sink({ inferMapping: true });
    await postgres.open();
    const id = new ObjectId();
    const insert = makeEvent({ op: "insert", ns, id, doc: { _id: id, customer: { name: "Ada", city: "Paris" }, total: 12.5 } });
    await postgres.apply({ events: [insert], position: insert.position });

    expect(await postgres.readRow(ns, id)).toMatchObject({ _id: id.toHexString(), customer_name: "Ada", customer_city: "Paris", total: 12.5 });
    expect(postgres.inferredMappings().get(ns)).toMatchObject({ orders: { pk: "_id" } });
  });
});
