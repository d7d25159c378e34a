import { Double, Int32, Long, ObjectId } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { COPY_FROM_ROWS } from "../../../src/sinks/postgres/copy-text.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const open: PostgresSink[] = [];
const ns = "shop.orders";
const oid = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, "0"));

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_inferred");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

async function inferredSink(overrides: Parameters<typeof makeSink>[1] = {}): Promise<PostgresSink> {
  const sink = makeSink(url, { inferMapping: true, ...overrides });
  open.push(sink);
  await sink.open();
  return sink;
}

async function apply(sink: PostgresSink, ...events: ReturnType<typeof makeEvent>[]): Promise<void> {
  await sink.apply({ events, position: events.at(-1)!.position });
}

function insert(id: unknown, doc: object): ReturnType<typeof makeEvent> {
  return makeEvent({ op: "insert", ns, id, doc: { _id: id, ...doc } });
}

async function columns(table: string): Promise<Record<string, string>> {
  const rows = await query<{ column_name: string; data_type: string }>(
    url,
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return Object.fromEntries(rows.map((row) => [row.column_name, row.data_type]));
}

describe("PostgresSink with an inferred mapping", () => {
  it("creates typed tables from a collection's first changes, with child tables for arrays of documents", async () => {
    const sink = await inferredSink();
    await apply(
      sink,
      insert(oid(1), { customer: { name: "Ada", city: "Paris" }, total: new Double(12.5), tags: ["a", "b"], items: [{ sku: "A", qty: new Int32(2) }] }),
      insert(oid(2), { customer: { name: "Bob" }, total: new Double(3), items: [] }),
    );
    expect(await columns("orders")).toEqual({
      _id: "text",
      customer_name: "text",
      customer_city: "text",
      total: "double precision",
      tags: "ARRAY",
      _extra: "jsonb",
      _cluster_time: "timestamp with time zone",
      _synced_at: "timestamp with time zone",
    });
    expect(await query(url, "SELECT _id, customer_name, customer_city, total, tags, _extra FROM orders ORDER BY _id")).toEqual([
      { _id: oid(1).toHexString(), customer_name: "Ada", customer_city: "Paris", total: 12.5, tags: ["a", "b"], _extra: null },
      { _id: oid(2).toHexString(), customer_name: "Bob", customer_city: null, total: 3, tags: null, _extra: null },
    ]);
    expect(await query(url, "SELECT _parent_id, _ordinal, sku, qty FROM orders_items")).toEqual([{ _parent_id: oid(1).toHexString(), _ordinal: 0, sku: "A", qty: "2" }]);
    const [stored] = await query<{ namespace: string; entries: Record<string, unknown> }>(url, "SELECT namespace, entries FROM tributary.inferred_mappings");
    expect(stored?.namespace).toBe(ns);
    expect(Object.keys(stored?.entries ?? {})).toEqual(["orders", "orders_items"]);
  });

  it("adds a column for a field that appears later, and a child table for a new array of documents, in the batch that brings them", async () => {
    const sink = await inferredSink();
    await apply(sink, insert("a", { name: "first" }));
    await apply(sink, insert("b", { name: "second", note: "new field", lines: [{ n: new Int32(1) }, { n: new Int32(2), extra: true }] }));
    expect(await columns("orders")).toMatchObject({ _id: "text", name: "text", note: "text" });
    expect(await query(url, "SELECT _id, name, note, _extra FROM orders ORDER BY _id")).toEqual([
      { _id: "a", name: "first", note: null, _extra: null },
      { _id: "b", name: "second", note: "new field", _extra: null },
    ]);
    expect(await query(url, "SELECT _parent_id, _ordinal, n, extra FROM orders_lines ORDER BY _ordinal")).toEqual([
      { _parent_id: "b", _ordinal: 0, n: "1", extra: null },
      { _parent_id: "b", _ordinal: 1, n: "2", extra: true },
    ]);
    // A new field inside the elements of a known array: a new column of the child table.
    await apply(sink, makeEvent({ op: "replace", ns, id: "b", doc: { _id: "b", name: "second", lines: [{ n: new Int32(3), label: "x" }] } }));
    expect(await query(url, "SELECT _parent_id, _ordinal, n, extra, label FROM orders_lines")).toEqual([{ _parent_id: "b", _ordinal: 0, n: "3", extra: null, label: "x" }]);
  });

  it.each([
    ["in small batches", 0],
    ["in batches large enough for COPY", COPY_FROM_ROWS],
  ])("replaces and deletes child rows of _ids of mixed types (a jsonb key) %s", async (_label, others) => {
    const sink = await inferredSink();
    const more = Array.from({ length: others }, (_, i) => insert(`other-${i}`, { items: [{ a: i }] }));
    await apply(sink, insert(1, { items: [{ a: 1 }] }), insert("x", { items: [{ a: 2 }, { a: 3 }] }), ...more);
    const replaced = (id: unknown, a: number): ReturnType<typeof makeEvent> => makeEvent({ op: "replace", ns, id, doc: { _id: id, items: [{ a }] } });
    await apply(sink, replaced(1, 10), replaced("x", 20), ...more.map((_, i) => replaced(`other-${i}`, i)));
    await apply(sink, makeEvent({ op: "delete", ns, id: "x" }), ...more.map((_, i) => makeEvent({ op: "delete", ns, id: `other-${i}` })));
    expect(await query(url, "SELECT _parent_id, a FROM public.orders_items ORDER BY _ordinal")).toEqual([{ _parent_id: 1, a: "10" }]);
  });

  it("evolves the tables for a batch of insert events large enough for COPY, and keeps values of another type in _extra", async () => {
    const { logger, lines } = capturingLogger();
    const sink = await inferredSink({ logger });
    await apply(sink, insert("a", { name: "first", placed: new Date("2024-05-01T00:00:00Z") }));
    const batch = (prefix: string, doc: (i: number) => object): ReturnType<typeof makeEvent>[] => Array.from({ length: COPY_FROM_ROWS }, (_, i) => insert(`${prefix}${i}`, doc(i)));
    await apply(sink, ...batch("m", (i) => ({ name: `m${i}`, placed: "soon" })));
    await apply(sink, ...batch("k", (i) => ({ name: "k", added: new Int32(i), lines: [{ n: new Int32(i) }] })));
    expect(await columns("orders")).toMatchObject({ name: "text", placed: "timestamp with time zone", added: "bigint" });
    expect(await query(url, "SELECT count(*)::int AS n FROM orders WHERE _extra = '{\"placed\": \"soon\"}' AND placed IS NULL AND name LIKE 'm%'")).toEqual([{ n: COPY_FROM_ROWS }]);
    expect(await query(url, "SELECT count(added)::int AS n, sum(added)::int AS total FROM orders")).toEqual([{ n: COPY_FROM_ROWS, total: (COPY_FROM_ROWS * (COPY_FROM_ROWS - 1)) / 2 }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM orders_lines")).toEqual([{ n: COPY_FROM_ROWS }]);
    expect(lines.filter((line) => String(line.msg).startsWith("a value does not fit its inferred column")).map((line) => line.field)).toEqual(["placed"]);
  });

  it.each([
    ["a small batch", 2],
    ["a batch large enough for COPY (the load is declined, then merged)", COPY_FROM_ROWS],
  ])("widening a column through %s warns of no misfit, and a later real misfit of the field is warned", async (_label, size) => {
    const { logger, lines } = capturingLogger();
    const sink = await inferredSink({ logger });
    const misfits = (): unknown[] => lines.filter((line) => String(line.msg).startsWith("a value does not fit its inferred column")).map((line) => line.field);
    await apply(sink, insert("a", { qty: new Int32(1) }));
    await apply(sink, ...Array.from({ length: size }, (_, i) => insert(`w${i}`, { qty: new Double(i + 0.5) })));
    expect(await columns("orders")).toMatchObject({ qty: "numeric" });
    expect(await query(url, "SELECT count(*)::int AS n FROM orders WHERE qty IS NULL")).toEqual([{ n: 0 }]);
    expect(misfits()).toEqual([]);
    await apply(sink, insert("t", { qty: "many" }));
    expect(misfits()).toEqual(["qty"]);
  });

  it("widens a numeric column to numeric when a number does not fit, keeping every value exact", async () => {
    const sink = await inferredSink();
    await apply(sink, insert("a", { qty: new Int32(7), sizes: [new Int32(1), new Int32(2)] }));
    expect(await columns("orders")).toMatchObject({ qty: "bigint", sizes: "ARRAY" });
    await apply(sink, insert("b", { qty: new Double(2.5), sizes: [new Double(0.5)] }), insert("c", { qty: Long.fromString("9223372036854775807") }));
    expect(await columns("orders")).toMatchObject({ qty: "numeric", sizes: "ARRAY" });
    expect(await query(url, "SELECT _id, qty::text, sizes::text, pg_typeof(sizes)::text AS sizes_type, _extra FROM orders ORDER BY _id")).toEqual([
      { _id: "a", qty: "7", sizes: "{1,2}", sizes_type: "numeric[]", _extra: null },
      { _id: "b", qty: "2.5", sizes: "{0.5}", sizes_type: "numeric[]", _extra: null },
      { _id: "c", qty: "9223372036854775807", sizes: null, sizes_type: "numeric[]", _extra: null },
    ]);
  });

  it("keeps a value of another type in _extra, leaves its column NULL, and says so once", async () => {
    const { logger, lines } = capturingLogger();
    const sink = await inferredSink({ logger });
    await apply(sink, insert("a", { placed: new Date("2024-05-01T00:00:00Z"), address: { city: "Paris" } }));
    await apply(sink, insert("b", { placed: "yesterday", address: "unknown" }), insert("c", { placed: "today" }));
    expect(await query(url, "SELECT _id, placed, address_city, _extra FROM orders ORDER BY _id")).toEqual([
      { _id: "a", placed: new Date("2024-05-01T00:00:00Z"), address_city: "Paris", _extra: null },
      { _id: "b", placed: null, address_city: null, _extra: { placed: "yesterday", address: "unknown" } },
      { _id: "c", placed: null, address_city: null, _extra: { placed: "today" } },
    ]);
    const warnings = lines.filter((line) => String(line.msg).startsWith("a value does not fit its inferred column"));
    expect(warnings.map((line) => [line.namespace, line.field, line.type, line.kind])).toEqual([[ns, "placed", "timestamptz", "string"]]);
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.dead_letters")).toEqual([{ n: 0 }]);
  });

  it("continues after a restart with the stored mapping, not a new guess", async () => {
    const first = await inferredSink();
    await apply(first, insert("a", { score: new Int32(1) }));
    await first.close();
    open.splice(0);
    const second = await inferredSink();
    expect([...second.inferredMappings().keys()]).toEqual([ns]);
    // A sample that says otherwise does not change a collection that already has tables.
    second.seedInferredMappings(new Map([[ns, [{ _id: "z", score: "text now" }]]]));
    await apply(second, insert("b", { score: new Int32(2) }));
    expect(await columns("orders")).toMatchObject({ score: "bigint" });
    expect(await query(url, "SELECT _id, score FROM orders ORDER BY _id")).toEqual([
      { _id: "a", score: "1" },
      { _id: "b", score: "2" },
    ]);
  });

  it("takes a collection's types from the start-up sample when there is one", async () => {
    const sink = await inferredSink();
    sink.seedInferredMappings(new Map([[ns, [{ _id: new Int32(1), price: new Double(9.99) }, { _id: new Int32(2), price: new Int32(5) }]]]));
    await apply(sink, makeEvent({ op: "insert", ns, id: new Int32(3), doc: { _id: new Int32(3), price: new Int32(4) } }));
    expect(await columns("orders")).toMatchObject({ _id: "bigint", price: "double precision" });
  });

  it("rolls back the evolution of a batch that fails, and evolves again on retry", async () => {
    const sink = await inferredSink({ strict: true });
    await apply(sink, insert("a", { name: "x" }));
    // The new column comes with a document jsonb cannot hold: strict mode fails the batch.
    await expect(apply(sink, insert("b", { name: "y", added: new Int32(1) }), insert("c", { bad: "nul\u0000" }))).rejects.toThrow(/TRIB_VALUE_DOES_NOT_FIT|NUL/);
    expect(await columns("orders")).not.toHaveProperty("added");
    await apply(sink, insert("b", { name: "y", added: new Int32(1) }));
    expect(await query(url, "SELECT _id, name, added FROM orders ORDER BY _id")).toEqual([
      { _id: "a", name: "x", added: null },
      { _id: "b", name: "y", added: "1" },
    ]);
  });

  it("forgets a dropped collection's mapping and infers anew when it comes back", async () => {
    const sink = await inferredSink();
    await apply(sink, insert("a", { v: new Int32(1) }));
    await apply(sink, makeEvent({ op: "drop", ns }));
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.inferred_mappings")).toEqual([{ n: 0 }]);
    await apply(sink, insert("a", { v: "now text" }));
    expect(await columns("orders")).toMatchObject({ v: "text" });
  });

  it("renames the tables of a renamed collection and keeps its mapping under the new name", async () => {
    const sink = await inferredSink();
    await apply(sink, insert("a", { lines: [{ n: new Int32(1) }] }));
    await apply(sink, makeEvent({ op: "rename", ns, to: "shop.archived_orders" }));
    expect([...sink.inferredMappings().keys()]).toEqual(["shop.archived_orders"]);
    expect(await query(url, "SELECT _id FROM archived_orders")).toEqual([{ _id: "a" }]);
    await apply(sink, makeEvent({ op: "insert", ns: "shop.archived_orders", id: "b", doc: { _id: "b", lines: [{ n: new Int32(2) }] } }));
    expect(await query(url, "SELECT _parent_id, n FROM orders_lines ORDER BY _parent_id")).toEqual([
      { _parent_id: "a", n: "1" },
      { _parent_id: "b", n: "2" },
    ]);
  });
});
