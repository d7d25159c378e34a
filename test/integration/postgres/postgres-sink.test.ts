import { Binary, BSON, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { decodeDocument, encodeDocument } from "../../../src/codec/document-codec.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { makePosition } from "../../../src/core/position.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent, tokenAt } from "../../support/events.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { createDatabase } from "../../support/postgres-server.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const open: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_raw");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS analytics CASCADE");
});

async function openSink(overrides: Parameters<typeof makeSink>[1] = {}): Promise<PostgresSink> {
  const sink = makeSink(url, overrides);
  open.push(sink);
  await sink.open();
  return sink;
}

const everyType = {
  _id: new ObjectId("65a1b2c3d4e5f60718293a4b"),
  int: new Int32(42),
  long: Long.fromString("9007199254740993"),
  double: new Double(1.5),
  integralDouble: new Double(2),
  decimal: Decimal128.fromString("1234567890.123456789012345678901234"),
  date: new Date("2024-02-29T12:34:56.789Z"),
  bool: true,
  text: "héllo \"quoted\" \\ backslash",
  nothing: null,
  binary: new Binary(Buffer.from([0, 1, 2, 255]), 0),
  uuid: new UUID("0f8fad5b-d9cb-469f-a165-70867728950e").toBinary(),
  ts: new Timestamp({ t: 1_700_000_000, i: 3 }),
  nested: { list: [new Int32(1), [new Int32(2), { deep: new Double(0.25) }], { a: "b" }], empty: {}, none: [] },
};

async function rows(table = "public.shop_orders"): Promise<{ _id: string; doc: unknown }[]> {
  return query(url, `SELECT _id, doc FROM ${table} ORDER BY _id`);
}

describe("PostgresSink (raw mode)", () => {
  it("creates a table per collection and stores every BSON type losslessly", async () => {
    const sink = await openSink();
    const insert = makeEvent({ op: "insert", ns: "shop.orders", id: everyType._id, doc: everyType });
    await sink.apply({ events: [insert], position: insert.position });

    const [row] = await rows();
    expect(row?._id).toBe("65a1b2c3d4e5f60718293a4b");
    expect(row?.doc).toEqual(encodeDocument(everyType));
    const back = decodeDocument(row!.doc as Parameters<typeof decodeDocument>[0]);
    // jsonb reorders keys (so nested objects compare by their encoding, which keeps every
    // type distinct); scalar fields must come back byte for byte.
    expect(encodeDocument(back)).toEqual(encodeDocument(everyType));
    for (const field of Object.keys(everyType).filter((name) => name !== "nested")) {
      const bytes = (value: unknown): string => Buffer.from(BSON.serialize({ v: value })).toString("hex");
      expect(bytes(back[field]), field).toBe(bytes(everyType[field as keyof typeof everyType]));
    }
    const [meta] = await query<{ t: Date }>(url, "SELECT _cluster_time AS t FROM public.shop_orders");
    expect(meta?.t.getTime()).toBe(insert.clusterTime.t * 1000);
  });

  it("applies inserts, updates, replaces and deletes to exact rows, coalesced in one batch", async () => {
    const sink = await openSink();
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: new Int32(1), doc: { _id: new Int32(1), qty: new Int32(1) } }),
      makeEvent({ op: "insert", ns: "shop.orders", id: new Int32(2), doc: { _id: new Int32(2), qty: new Int32(2) } }),
      makeEvent({ op: "insert", ns: "shop.orders", id: "x", doc: { _id: "x", qty: new Int32(3) } }),
      makeEvent({ op: "update", ns: "shop.orders", id: new Int32(1), doc: { _id: new Int32(1), qty: new Int32(10), tags: ["a"] } }),
      makeEvent({ op: "delete", ns: "shop.orders", id: new Int32(2) }),
      makeEvent({ op: "replace", ns: "shop.orders", id: "x", doc: { _id: "x", replaced: true } }),
    ];
    await sink.apply({ events, position: events.at(-1)!.position });
    expect(await rows()).toEqual([
      { _id: "1", doc: { _id: 1, qty: 10, tags: ["a"] } },
      { _id: "x", doc: { _id: "x", replaced: true } },
    ]);
    const next = makeEvent({ op: "delete", ns: "shop.orders", id: "x" });
    await sink.apply({ events: [next], position: next.position });
    expect(await rows()).toEqual([{ _id: "1", doc: { _id: 1, qty: 10, tags: ["a"] } }]);
  });

  it("stores the position with the data and returns it on the next open", async () => {
    const first = makeSink(url);
    open.push(first);
    expect(await first.open()).toBeUndefined();
    const event = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    await first.apply({ events: [event], position: event.position });
    const quiet = makePosition(tokenAt(1_900_000_000, 1));
    await first.apply({ events: [], position: quiet });

    const reopened = makeSink(url);
    open.push(reopened);
    expect((await reopened.open())?.key).toBe(quiet.key);
    expect(await query(url, "SELECT pipeline, position, resume_token FROM tributary.positions")).toEqual([
      { pipeline: "test", position: quiet.key, resume_token: quiet.resumeToken._data },
    ]);
  });

  it("applies nothing of a batch that fails, and keeps the old position", async () => {
    const sink = await openSink();
    const seed = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1, v: "seed" } });
    await sink.apply({ events: [seed], position: seed.position });
    await query(
      url,
      `CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW._id = 'poison' THEN RAISE EXCEPTION 'poison row'; END IF; RETURN NEW; END $$;
       CREATE TRIGGER reject_poison BEFORE INSERT OR UPDATE ON public.shop_orders FOR EACH ROW EXECUTE FUNCTION reject_poison();`,
    );
    const batch = [
      makeEvent({ op: "update", ns: "shop.orders", id: 1, doc: { _id: 1, v: "changed" } }),
      makeEvent({ op: "insert", ns: "shop.other", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "insert", ns: "shop.orders", id: "poison", doc: { _id: "poison" } }),
    ];
    await expect(sink.apply({ events: batch, position: batch.at(-1)!.position })).rejects.toMatchObject({
      code: ErrorCode.PostgresApplyFailed,
      message: "PostgreSQL refused a batch of 3 changes: poison row (SQLSTATE P0001)",
    });
    expect(await rows()).toEqual([{ _id: "1", doc: { _id: 1, v: "seed" } }]);
    expect(await query(url, "SELECT to_regclass('public.shop_other') AS t")).toEqual([{ t: null }]);
    expect(await query(url, "SELECT position FROM tributary.positions")).toEqual([{ position: seed.position.key }]);

    // The same sink recovers once the cause is gone, table registry included.
    await query(url, "DROP TRIGGER reject_poison ON public.shop_orders");
    await sink.apply({ events: batch, position: batch.at(-1)!.position });
    expect(await rows("public.shop_other")).toEqual([{ _id: "1", doc: { _id: 1 } }]);
  });

  it("refuses to apply when another process advanced the same pipeline", async () => {
    const a = await openSink();
    const b = await openSink();
    const first = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    await a.apply({ events: [first], position: first.position });
    const second = makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } });
    await expect(b.apply({ events: [second], position: second.position })).rejects.toMatchObject({ code: ErrorCode.CheckpointMismatch });
    expect((await rows()).map((row) => row._id)).toEqual(["1"]);
    // The position went with BEGIN and failed there: b's connection was left clean, and refuses again for the same reason.
    await expect(b.apply({ events: [second], position: second.position })).rejects.toMatchObject({ code: ErrorCode.CheckpointMismatch });
    await a.apply({ events: [second], position: second.position });
    expect((await rows()).map((row) => row._id)).toEqual(["1", "2"]);
  });

  it("refuses to apply when another process advanced the same pipeline, also when the batch's statements and COMMIT go in one round trip", async () => {
    const a = await openSink();
    const first = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    await a.apply({ events: [first], position: first.position });
    // b knows the table from the start: its batches take the one-round-trip path.
    const b = await openSink();
    const second = makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } });
    await a.apply({ events: [second], position: second.position });
    const third = makeEvent({ op: "insert", ns: "shop.orders", id: 3, doc: { _id: 3 } });
    await expect(b.apply({ events: [third], position: third.position })).rejects.toMatchObject({ code: ErrorCode.CheckpointMismatch });
    expect((await rows()).map((row) => row._id)).toEqual(["1", "2"]);
    expect(await query(url, "SELECT position FROM tributary.positions")).toEqual([{ position: second.position.key }]);
    // a's connection was left clean: it goes on.
    await a.apply({ events: [third], position: third.position });
    expect((await rows()).map((row) => row._id)).toEqual(["1", "2", "3"]);
  });

  it("sets a document PostgreSQL cannot store aside in dead_letters, naming collection, key and field, and applies the rest", async () => {
    const sink = await openSink();
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2, note: { text: "a\u0000b" } } }),
    ];
    await sink.apply({ events, position: events[1]!.position });
    expect(await rows()).toEqual([{ _id: "1", doc: { _id: 1 } }]);
    expect(await query(url, "SELECT pipeline, namespace, key, field, reason, document FROM tributary.dead_letters")).toEqual([
      {
        pipeline: "test",
        namespace: "shop.orders",
        key: "2",
        field: "note.text",
        reason: "contains a NUL character (\\u0000), which PostgreSQL jsonb cannot store",
        document: { $ejson: '{"_id":{"$numberInt":"2"},"note":{"text":"a\\u0000b"}}' },
      },
    ]);
  });

  it("stops on such a document in strict mode, naming it, and stores nothing of its batch", async () => {
    const sink = await openSink({ strict: true });
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2, note: { text: "a\u0000b" } } }),
    ];
    await expect(sink.apply({ events, position: events[1]!.position })).rejects.toMatchObject({
      code: ErrorCode.ValueDoesNotFit,
      context: { namespace: "shop.orders", key: "2", field: "note.text" },
      message:
        'Document key 2 in shop.orders cannot be written: field "note.text": contains a NUL character (\\u0000), which PostgreSQL jsonb cannot store. Fix the document or the mapping, or run without --strict to set such documents aside in the dead_letters table',
    });
    expect(await query(url, "SELECT to_regclass('public.shop_orders') AS t")).toEqual([{ t: null }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.dead_letters")).toEqual([{ n: 0 }]);
  });

  it("mirrors drop, rename and dropDatabase on the tables", async () => {
    const sink = await openSink();
    const events = [
      makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "insert", ns: "shop.users", id: 1, doc: { _id: 1, name: "ann" } }),
      makeEvent({ op: "insert", ns: "shop.carts", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "insert", ns: "crm.leads", id: 1, doc: { _id: 1 } }),
      makeEvent({ op: "insert", ns: "shop.archive", id: 9, doc: { _id: 9 } }),
    ];
    await sink.apply({ events, position: events.at(-1)!.position });
    const commands = [
      makeEvent({ op: "drop", ns: "shop.carts" }),
      makeEvent({ op: "rename", ns: "shop.orders", to: "shop.archive" }),
      makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } }),
      makeEvent({ op: "dropDatabase", ns: "crm" }),
    ];
    await sink.apply({ events: commands, position: commands.at(-1)!.position });
    const tables = await query<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    expect(tables.map((t) => t.table_name)).toEqual(["shop_archive", "shop_orders", "shop_users"]);
    expect(await rows("public.shop_archive")).toEqual([{ _id: "1", doc: { _id: 1 } }]);
    expect(await rows("public.shop_orders")).toEqual([{ _id: "2", doc: { _id: 2 } }]);
    expect(await query(url, "SELECT namespace, table_name FROM tributary.tables ORDER BY 1")).toEqual([
      { namespace: "shop.archive", table_name: "shop_archive" },
      { namespace: "shop.orders", table_name: "shop_orders" },
      { namespace: "shop.users", table_name: "shop_users" },
    ]);
  });

  it("writes into any schema and to configured table names, and rejects two collections on one table", async () => {
    const sink = await openSink({ schema: "analytics", tables: { "shop.orders": "Orders", "shop.legacy_orders": "Orders" } });
    const event = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    await sink.apply({ events: [event], position: event.position });
    expect(await rows('analytics."Orders"')).toEqual([{ _id: "1", doc: { _id: 1 } }]);
    const clash = makeEvent({ op: "insert", ns: "shop.legacy_orders", id: 1, doc: { _id: 1 } });
    await expect(sink.apply({ events: [clash], position: clash.position })).rejects.toMatchObject({
      code: ErrorCode.TableNameConflict,
      message: "Collections shop.orders and shop.legacy_orders would both be written to table analytics.Orders; give one of them its own name under target.tables in the config",
    });
  });
});

describe("PostgresSink when its connection dies", () => {
  it("reconnects and applies the next batch, once", async () => {
    const sink = await openSink({ pipeline: "reconnect" });
    const first = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    await sink.apply({ events: [first], position: first.position });
    const killed = await query<{ killed: boolean }>(
      url,
      "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tributary' AND pid <> pg_backend_pid()",
    );
    expect(killed).toEqual([{ killed: true }]);
    const second = makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } });
    await sink.apply({ events: [second], position: second.position });
    expect((await rows()).map((row) => row._id)).toEqual(["1", "2"]);
    expect(await query(url, "SELECT position FROM tributary.positions WHERE pipeline = 'reconnect'")).toEqual([{ position: second.position.key }]);
  });
});

describe("PostgresSink between changes", () => {
  it("keeps its connection open through a pause longer than the pool's idle timeout (10 s)", async () => {
    const sink = await openSink();
    const backends = async (): Promise<number[]> =>
      (await query<{ pid: number }>(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tributary' ORDER BY pid")).map((row) => row.pid);
    const first = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
    await sink.apply({ events: [first], position: first.position });
    const before = await backends();
    expect(before).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect(await backends()).toEqual(before);
    const second = makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } });
    await sink.apply({ events: [second], position: second.position });
    expect(await backends()).toEqual(before);
    expect(await rows()).toHaveLength(2);
  }, 30_000);

  it("says at info that PostgreSQL ended the kept connection for idle_session_timeout, and opens another for the next batch", async (context) => {
    const [server] = await query<{ version: number }>(url, "SELECT current_setting('server_version_num')::int AS version");
    if ((server?.version ?? 0) < 140_000) context.skip(); // idle_session_timeout is PostgreSQL 14+
    const { logger, lines } = capturingLogger();
    await query(url, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET idle_session_timeout = 300', current_database()); END $$");
    try {
      const sink = await openSink({ logger });
      const first = makeEvent({ op: "insert", ns: "shop.orders", id: 1, doc: { _id: 1 } });
      await sink.apply({ events: [first], position: first.position });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const second = makeEvent({ op: "insert", ns: "shop.orders", id: 2, doc: { _id: 2 } });
      await sink.apply({ events: [second], position: second.position });
      expect(await rows()).toHaveLength(2);
      expect(lines.map(({ level, msg }) => ({ level, msg }))).toContainEqual({ level: 30, msg: "PostgreSQL ended the idle connection (idle_session_timeout); the next batch opens another" });
      expect(lines.filter(({ level }) => (level as number) >= 40)).toEqual([]);
    } finally {
      await query(url, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET idle_session_timeout', current_database()); END $$");
    }
  });
});
