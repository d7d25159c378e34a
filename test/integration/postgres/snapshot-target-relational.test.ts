import { Decimal128, Double, Int32, Long, ObjectId, type Document } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import type { PostgresSnapshotTarget } from "../../../src/sinks/postgres/snapshot/postgres-snapshot-target.js";
import type { IdRange } from "../../../src/core/snapshot-contract.js";
import { makePosition } from "../../../src/core/position.js";
import { snapshotEvents } from "../../../src/snapshot/snapshot-events.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import type { Logger } from "../../../src/core/logger.js";
import { postsExample } from "../../support/mapping-examples.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const sinks: PostgresSink[] = [];
const targets: PostgresSnapshotTarget[] = [];
const T = 1_700_000_200;
const startedAt = makePosition(tokenAt(T, 3));
const oid = (n: number): ObjectId => new ObjectId(n.toString(16).padStart(24, "0"));

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "snapshot_target_relational");
});

afterEach(async () => {
  await Promise.all(targets.splice(0).map((target) => target.close()));
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await reset();
});

async function reset(): Promise<void> {
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS sales CASCADE");
}

async function openSink(overrides: Parameters<typeof makeSink>[1]): Promise<PostgresSink> {
  const sink = makeSink(url, overrides);
  sinks.push(sink);
  await sink.open();
  return sink;
}

/** Everything a user sees: every table's columns and rows (but when they were synced), the dead letters, the inferred mappings. */
async function contents(): Promise<Record<string, unknown>> {
  const tables = await query<{ name: string }>(
    url,
    "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema IN ('public', 'sales') ORDER BY 1",
  );
  const result: Record<string, unknown> = {};
  for (const { name } of tables) {
    result[`${name} columns`] = await query(
      url,
      "SELECT column_name, data_type, ordinal_position FROM information_schema.columns WHERE table_schema || '.' || table_name = $1 ORDER BY ordinal_position",
      [name],
    );
    result[name] = (await query<{ row: unknown }>(url, `SELECT to_jsonb(t) - '_synced_at' AS row FROM ${name} t ORDER BY (to_jsonb(t) - '_synced_at')::text`)).map((row) => row.row);
  }
  result.dead_letters = await query(url, "SELECT namespace, key, field, reason, document, cluster_time FROM tributary.dead_letters ORDER BY key");
  result.inferred = await query(url, "SELECT namespace, entries FROM tributary.inferred_mappings ORDER BY namespace").catch(() => []);
  return result;
}

/**
 * Copies the chunks with a snapshot (one range per chunk, written at once), then, in a fresh
 * database, streams the same documents as inserts (one batch per chunk): both must leave the
 * same tables.
 */
async function snapshotAndStream(overrides: Parameters<typeof makeSink>[1], namespace: string, chunks: readonly (readonly Document[])[]): Promise<{ snapshot: Record<string, unknown>; stream: Record<string, unknown> }> {
  const sink = await openSink(overrides);
  const target = sink.snapshotTarget(3);
  targets.push(target);
  const ranges: IdRange[] = chunks.map(() => ({}));
  await target.startSnapshot({ namespace, startedAt, estimated: 10, ranges });
  await Promise.all(chunks.map((documents, rangeNo) => target.writeChunk({ namespace, rangeNo, events: snapshotEvents(namespace, documents, startedAt), last: true, startedAt })));
  const state = (await target.loadSnapshots()).get(namespace);
  expect(state?.ranges.map((range) => [range.copied, range.done])).toEqual(chunks.map((documents) => [documents.length, true]));
  const snapshot = await contents();
  await Promise.all(targets.splice(0).map((each) => each.close()));
  await Promise.all(sinks.splice(0).map((each) => each.close()));
  await reset();

  const streaming = await openSink(overrides);
  for (const documents of chunks) {
    const events = documents.map((doc) => makeEvent({ op: "insert", ns: namespace, id: doc._id, doc, t: T }));
    await streaming.apply({ events, position: events.at(-1)!.position });
  }
  return { snapshot, stream: await contents() };
}

describe("PostgresSnapshotTarget with a relational mapping", () => {
  it("writes the same rows, child rows and dead letters as streaming, ranges at once", async () => {
    const mapping = parseMapping("mappings.json", postsExample, { defaultSchema: "public" });
    const post = (n: number, comments: Document[], extra: Document = {}): Document => ({ _id: oid(n), name: `post ${n}`, content: `content\t${n}\n\\`, comments, ...extra });
    const chunks = [
      [post(1, [{ user: "Ada", comment: "first" }, { user: "Bob", comment: "second" }]), post(2, []), post(3, [{ user: "Cy" }], { misc: { a: new Int32(1) } })],
      [post(10, [{ user: "Dee", comment: "émoji 😀" }]), post(11, [{ user: ["not", "text"] }]), post(12, [{ user: "Eve" }, { user: "Fay" }, { user: "Gil" }])],
      [post(20, [])],
    ];
    const { snapshot, stream } = await snapshotAndStream({ mapping }, "my_mongo_database.posts", chunks);
    expect(snapshot).toEqual(stream);
    expect(snapshot["public.posts"]).toHaveLength(6);
    expect(snapshot.dead_letters).toMatchObject([{ key: oid(11).toHexString(), field: "comments.0.user" }]);
    expect((snapshot["public.comments"] as unknown[]).length).toBe(7);
  });

  it("bulk-loads tables empty at the start; a chunk that meets a row already there merges instead, children replaced", async () => {
    const mapping = parseMapping("mappings.json", postsExample, { defaultSchema: "public" });
    const sink = await openSink({ mapping });
    const target = sink.snapshotTarget(1);
    targets.push(target);
    const namespace = "my_mongo_database.posts";
    await target.startSnapshot({ namespace, startedAt, estimated: 3, ranges: [{}, {}] });
    const write = (rangeNo: number, documents: Document[]): Promise<void> => target.writeChunk({ namespace, rangeNo, events: snapshotEvents(namespace, documents, startedAt), last: false, startedAt });
    await write(0, [{ _id: "p1", content: "old", comments: [{ user: "Ada" }, { user: "Bob" }] }, { _id: "p2", content: "two", comments: [{ user: "Cy" }] }]);
    // As a chunk redone after a lost COMMIT would: p1 is there already.
    await write(1, [{ _id: "p3", content: "three" }, { _id: "p1", content: "new", comments: [{ user: "Dee" }] }]);
    expect(await query(url, "SELECT id, description FROM public.posts ORDER BY id")).toEqual([
      { id: "p1", description: "new" },
      { id: "p2", description: "two" },
      { id: "p3", description: "three" },
    ]);
    expect(await query(url, "SELECT post_id, _ordinal, \"user\" FROM public.comments ORDER BY post_id, _ordinal")).toEqual([
      { post_id: "p1", _ordinal: 0, user: "Dee" },
      { post_id: "p2", _ordinal: 0, user: "Cy" },
    ]);
    expect((await target.loadSnapshots()).get(namespace)?.ranges.map((range) => range.copied)).toEqual([2, 2]);
  });

  it("creates the mapped tables when the snapshot starts, and stops on a misfit in strict mode with nothing written", async () => {
    const mapping = parseMapping("mappings.json", postsExample, { defaultSchema: "public" });
    const sink = await openSink({ mapping, strict: true });
    const target = sink.snapshotTarget(2);
    targets.push(target);
    const namespace = "my_mongo_database.posts";
    await target.startSnapshot({ namespace, startedAt, estimated: 2, ranges: [{}] });
    expect(await query(url, "SELECT to_regclass('public.posts')::text AS posts, to_regclass('public.comments')::text AS comments")).toEqual([{ posts: "posts", comments: "comments" }]);
    await target.writeChunk({ namespace, rangeNo: 0, events: snapshotEvents(namespace, [{ _id: "p0", content: "kept" }], startedAt), last: false, startedAt });
    const failing = target.writeChunk({ namespace, rangeNo: 0, events: snapshotEvents(namespace, [{ _id: "p1", content: "x" }, { _id: "p2", comments: [{ user: ["not", "text"] }] }], startedAt), last: true, startedAt });
    await expect(failing).rejects.toMatchObject({ code: ErrorCode.ValueDoesNotFit, context: { namespace, key: "p2", field: "comments.0.user" } });
    expect(await query(url, "SELECT id, description FROM public.posts")).toEqual([{ id: "p0", description: "kept" }]);
    expect((await target.loadSnapshots()).get(namespace)?.ranges[0]).toStrictEqual({ rangeNo: 0, range: {}, resumeFrom: "p0", copied: 1, done: false });
  });
});

describe("PostgresSnapshotTarget with an inferred mapping", () => {
  it("infers and evolves the tables from the chunks exactly as streaming the same documents does", async () => {
    const chunks = [
      [
        { _id: new Int32(1), customer: { name: "Ada", city: "Paris" }, total: new Double(12.5), qty: new Int32(2), items: [{ sku: "A", qty: new Int32(1) }], tags: ["x"] },
        { _id: new Int32(2), customer: { name: "Bob" }, total: new Double(3), qty: new Int32(1), items: [] },
      ],
      // New fields, a new child table, a number too wide for its column, a value of another type.
      [
        { _id: new Int32(10), customer: { name: "Cy", vip: true }, total: new Double(1.25), qty: Long.fromString("9223372036854775807"), notes: [{ text: "n\t1" }] },
        { _id: new Int32(11), customer: "unknown", total: Decimal128.fromString("1.10"), qty: new Int32(3), placed: new Date("2024-05-01T00:00:00Z") },
      ],
      [{ _id: new Int32(20), customer: { name: "Dee" }, items: [{ sku: "B", qty: new Int32(5), gift: true }] }],
    ];
    const { snapshot, stream } = await snapshotAndStream({ inferMapping: true }, "shop.orders", chunks);
    expect(snapshot).toEqual(stream);
    expect(Object.keys(snapshot).filter((key) => !key.endsWith("columns"))).toEqual(["public.orders", "public.orders_items", "public.orders_notes", "dead_letters", "inferred"]);
    expect(snapshot["public.orders"]).toHaveLength(5);
  });

  it("creates no tables at the start (no documents yet) and infers them from the first chunk", async () => {
    const sink = await openSink({ inferMapping: true });
    const target = sink.snapshotTarget(2);
    targets.push(target);
    await target.startSnapshot({ namespace: "shop.orders", startedAt, estimated: 1, ranges: [{}] });
    expect(await query(url, "SELECT to_regclass('public.orders')::text AS t")).toEqual([{ t: null }]);
    await target.writeChunk({ namespace: "shop.orders", rangeNo: 0, events: snapshotEvents("shop.orders", [{ _id: "a", n: new Int32(1) }], startedAt), last: true, startedAt });
    expect(await query(url, "SELECT _id, n FROM public.orders")).toEqual([{ _id: "a", n: "1" }]);
    expect([...sink.inferredMappings().keys()]).toEqual(["shop.orders"]);
  });
});

describe("PostgresSnapshotTarget with an inferred mapping: bulk load", () => {
  const namespace = "shop.orders";

  /** Logs the first word of every statement that inserts into public.orders (COPY or INSERT); rolled back with it. */
  async function logInserts(): Promise<void> {
    await query(
      url,
      `CREATE TABLE public.inserts_log (seq serial, statement text);
       CREATE FUNCTION public.log_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.inserts_log (statement) VALUES (split_part(ltrim(current_query()), ' ', 1)); RETURN NULL; END $$;
       CREATE TRIGGER log_insert AFTER INSERT ON public.orders FOR EACH STATEMENT EXECUTE FUNCTION public.log_insert()`,
    );
  }

  async function loggedInserts(): Promise<string[]> {
    return (await query<{ statement: string }>(url, "SELECT statement FROM public.inserts_log ORDER BY seq")).map((row) => row.statement);
  }

  async function start(ranges: number, logger?: Logger): Promise<(rangeNo: number, documents: Document[]) => Promise<void>> {
    const sink = await openSink({ inferMapping: true, ...(logger ? { logger } : {}) });
    const target = sink.snapshotTarget(1);
    targets.push(target);
    await target.startSnapshot({ namespace, startedAt, estimated: 4, ranges: Array.from({ length: ranges }, () => ({})) });
    return (rangeNo, documents) => target.writeChunk({ namespace, rangeNo, events: snapshotEvents(namespace, documents, startedAt), last: false, startedAt });
  }

  it("copies into tables missing at the start; a chunk that meets a row already there merges instead, children replaced", async () => {
    const write = await start(3);
    await write(0, [{ _id: "o1", n: new Int32(1), items: [{ sku: "A" }, { sku: "B" }] }]);
    await logInserts();
    await write(1, [{ _id: "o2", n: new Int32(2), items: [{ sku: "C" }] }]);
    // As a chunk redone after a lost COMMIT would: o1 is there already.
    await write(2, [{ _id: "o3", n: new Int32(3) }, { _id: "o1", n: new Int32(10), items: [{ sku: "D" }] }]);
    expect(await loggedInserts()).toEqual(["COPY", "INSERT"]);
    expect(await query(url, "SELECT _id, n FROM public.orders ORDER BY _id")).toEqual([
      { _id: "o1", n: "10" },
      { _id: "o2", n: "2" },
      { _id: "o3", n: "3" },
    ]);
    expect(await query(url, "SELECT _parent_id, _ordinal, sku FROM public.orders_items ORDER BY _parent_id, _ordinal")).toEqual([
      { _parent_id: "o1", _ordinal: 0, sku: "D" },
      { _parent_id: "o2", _ordinal: 0, sku: "C" },
    ]);
  });

  it("copies a later chunk while extracting its rows; one that makes the mapping evolve is rolled back and merged once the tables have evolved", async () => {
    const { logger, lines } = capturingLogger();
    const write = await start(3, logger);
    await write(0, [{ _id: "o1", n: new Int32(1), items: [{ sku: "A" }] }]);
    await logInserts();
    await write(1, [{ _id: "o2", n: new Int32(2), items: [{ sku: "B" }] }]);
    // A new field, a new array of documents, a new field in a known array's elements, a number its column cannot hold.
    await write(2, [{ _id: "o3", n: new Double(2.5), note: "new", items: [{ sku: "C", qty: new Int32(3) }], lines: [{ x: new Int32(1) }] }]);
    expect(await loggedInserts()).toEqual(["COPY", "INSERT"]);
    expect(await query(url, "SELECT _id, n::text, note, _extra FROM public.orders ORDER BY _id")).toEqual([
      { _id: "o1", n: "1", note: null, _extra: null },
      { _id: "o2", n: "2", note: null, _extra: null },
      { _id: "o3", n: "2.5", note: "new", _extra: null },
    ]);
    expect(await query(url, "SELECT _parent_id, sku, qty FROM public.orders_items ORDER BY _parent_id")).toEqual([
      { _parent_id: "o1", sku: "A", qty: null },
      { _parent_id: "o2", sku: "B", qty: null },
      { _parent_id: "o3", sku: "C", qty: "3" },
    ]);
    expect(await query(url, "SELECT _parent_id, x FROM public.orders_lines")).toEqual([{ _parent_id: "o3", x: "1" }]);
    // 2.5 did not fit the bigint column of the declined load, and fits the widened one: no misfit.
    expect(lines.filter((line) => String(line.msg).startsWith("a value does not fit"))).toEqual([]);
  });

  it("copies a later chunk whose values of another type, or fields no column can take, stay in _extra: nothing to evolve", async () => {
    const write = await start(2);
    await write(0, [{ _id: "o1", address: { city: "Paris" }, placed: new Date("2024-05-01T00:00:00Z") }]);
    await logInserts();
    await write(1, [{ _id: "o2", address: "unknown", placed: "yesterday" }]);
    expect(await loggedInserts()).toEqual(["COPY"]);
    expect(await query(url, "SELECT _id, address_city, placed, _extra FROM public.orders ORDER BY _id")).toEqual([
      { _id: "o1", address_city: "Paris", placed: new Date("2024-05-01T00:00:00Z"), _extra: null },
      { _id: "o2", address_city: null, placed: null, _extra: { address: "unknown", placed: "yesterday" } },
    ]);
  });

  it("merges into inferred tables that held rows when the snapshot started", async () => {
    const first = await start(1);
    await first(0, [{ _id: "o1", n: new Int32(1) }]);
    await Promise.all(targets.splice(0).map((target) => target.close()));
    await Promise.all(sinks.splice(0).map((sink) => sink.close()));
    await logInserts();
    const again = await start(1);
    await again(0, [{ _id: "o2", n: new Int32(2) }]);
    expect(await loggedInserts()).toEqual(["INSERT"]);
    expect(await query(url, "SELECT _id, n FROM public.orders ORDER BY _id")).toEqual([
      { _id: "o1", n: "1" },
      { _id: "o2", n: "2" },
    ]);
  });
});
