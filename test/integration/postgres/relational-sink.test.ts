import { Decimal128, Int32, ObjectId } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import { COPY_FROM_ROWS } from "../../../src/sinks/postgres/copy-text.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { makeEvent } from "../../support/events.js";
import { leadMonitoringExample, postsExample } from "../../support/mapping-examples.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const open: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_relational");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS sales CASCADE");
});

async function relationalSink(mappingFile: unknown, strict = false): Promise<PostgresSink> {
  const mapping = parseMapping("mappings.json", mappingFile, { defaultSchema: "public" });
  const sink = makeSink(url, { mapping, strict });
  open.push(sink);
  await sink.open();
  return sink;
}

async function apply(sink: PostgresSink, ...events: ReturnType<typeof makeEvent>[]): Promise<void> {
  await sink.apply({ events, position: events.at(-1)!.position });
}

describe("PostgresSink (relational mode, mongo-connector-postgresql mappings)", () => {
  it("flattens documents into typed columns as the documentation's first example describes", async () => {
    const sink = await relationalSink(leadMonitoringExample);
    const id = new ObjectId("65a1b2c3d4e5f60718293a4b");
    const ns = "my_mongo_database.my_mongo_collection";
    await apply(sink, makeEvent({ op: "insert", ns, id, doc: { _id: id, description: "first lead", enable: true, myobject: { subproperty: "sub", other: new Int32(1) }, note: "kept" } }));
    expect(await query(url, "SELECT id, description, enabled, subproperty, _extra FROM public.my_mongo_collection")).toEqual([
      { id: "65a1b2c3d4e5f60718293a4b", description: "first lead", enabled: true, subproperty: "sub", _extra: { myobject: { other: 1 }, note: "kept" } },
    ]);
    await apply(sink, makeEvent({ op: "update", ns, id, doc: { _id: id, description: "changed", enable: false } }));
    expect(await query(url, "SELECT id, description, enabled, subproperty, _extra FROM public.my_mongo_collection")).toEqual([
      { id: "65a1b2c3d4e5f60718293a4b", description: "changed", enabled: false, subproperty: null, _extra: null },
    ]);
    await apply(sink, makeEvent({ op: "delete", ns, id }));
    expect(await query(url, "SELECT id FROM public.my_mongo_collection")).toEqual([]);
  });

  it("writes arrays of documents to a child table with the parent's key, replacing them on update", async () => {
    const sink = await relationalSink(postsExample);
    const ns = "my_mongo_database.posts";
    const id = new ObjectId("65a1b2c3d4e5f60718293a4c");
    const post = {
      _id: id,
      name: "Check out the mongo -> postgres connector",
      content: "Inspiring blog post",
      comments: [
        { user: "Elon Musk", comment: "What a revolution !" },
        { user: "Kevin P. Ryan", comment: "Nice !" },
      ],
    };
    await apply(sink, makeEvent({ op: "insert", ns, id, doc: post }));
    expect(await query(url, "SELECT id, description, _extra FROM public.posts")).toEqual([
      { id: "65a1b2c3d4e5f60718293a4c", description: "Inspiring blog post", _extra: { name: "Check out the mongo -> postgres connector" } },
    ]);
    expect(await query(url, `SELECT post_id, _ordinal, "user", comment FROM public.comments ORDER BY _ordinal`)).toEqual([
      { post_id: "65a1b2c3d4e5f60718293a4c", _ordinal: 0, user: "Elon Musk", comment: "What a revolution !" },
      { post_id: "65a1b2c3d4e5f60718293a4c", _ordinal: 1, user: "Kevin P. Ryan", comment: "Nice !" },
    ]);
    const [{ n: generated } = { n: 0 }] = await query<{ n: number }>(url, "SELECT count(DISTINCT id)::int AS n FROM public.comments");
    expect(generated).toBe(2);

    await apply(sink, makeEvent({ op: "update", ns, id, doc: { ...post, comments: [{ user: "Ada", comment: "Elegant." }] } }));
    expect(await query(url, `SELECT post_id, _ordinal, "user", comment FROM public.comments`)).toEqual([
      { post_id: "65a1b2c3d4e5f60718293a4c", _ordinal: 0, user: "Ada", comment: "Elegant." },
    ]);
    await apply(sink, makeEvent({ op: "delete", ns, id }));
    expect(await query(url, "SELECT count(*)::int AS n FROM public.comments")).toEqual([{ n: 0 }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM public.posts")).toEqual([{ n: 0 }]);
  });

  it("writes other schemas and table names, arrays of scalars, jsonb and defaults", async () => {
    const sink = await relationalSink({
      shop: {
        orders: {
          pk: "id",
          $table: "Orders",
          $schema: "sales",
          _id: { dest: "id", type: "INTEGER" },
          tags: { dest: "tags", type: "TEXT[]" },
          address: { dest: "address", type: "JSONB" },
          total: { dest: "total", type: "NUMERIC(12,2)" },
          status: { dest: "status", type: "TEXT", default: "new" },
          skus: { dest: "order_skus", type: "_ARRAY", fk: "order_id" },
        },
        order_skus: { pk: "id", $schema: "sales", $value: { dest: "sku", type: "TEXT" } },
      },
    });
    await apply(
      sink,
      makeEvent({
        op: "insert",
        ns: "shop.orders",
        id: new Int32(7),
        doc: { _id: new Int32(7), tags: ["gift", "rush"], address: { city: "Lisbon", zip: new Int32(1100) }, total: Decimal128.fromString("19.90"), skus: ["TEA-1", "MUG-2"] },
      }),
    );
    expect(await query(url, 'SELECT id, tags, address, total, status, _extra FROM sales."Orders"')).toEqual([
      { id: 7, tags: ["gift", "rush"], address: { city: "Lisbon", zip: 1100 }, total: "19.90", status: "new", _extra: null },
    ]);
    expect(await query(url, "SELECT order_id, _ordinal, sku FROM sales.order_skus ORDER BY _ordinal")).toEqual([
      { order_id: 7, _ordinal: 0, sku: "TEA-1" },
      { order_id: 7, _ordinal: 1, sku: "MUG-2" },
    ]);
  });

  it("writes one row when two ids of one batch map to the same key", async () => {
    const sink = await relationalSink(postsExample);
    const ns = "my_mongo_database.posts";
    await apply(
      sink,
      makeEvent({ op: "insert", ns, id: new Int32(5), doc: { _id: new Int32(5), content: "int", comments: [{ user: "a" }] } }),
      makeEvent({ op: "insert", ns, id: "5", doc: { _id: "5", content: "string", comments: [{ user: "b" }, { user: "c" }] } }),
    );
    expect(await query(url, "SELECT id, description FROM public.posts")).toEqual([{ id: "5", description: "string" }]);
    expect(await query(url, `SELECT post_id, "user" FROM public.comments ORDER BY _ordinal`)).toEqual([
      { post_id: "5", user: "b" },
      { post_id: "5", user: "c" },
    ]);
  });

  it.each([
    ["all inserts (COPY straight in, then the merge)", "insert"],
    ["with replaces (the merge through a staging table)", "replace"],
  ] as const)("writes one row when two ids map to the same key in a batch large enough for COPY: %s", async (_label, op) => {
    const sink = await relationalSink(postsExample);
    const ns = "my_mongo_database.posts";
    const others = Array.from({ length: COPY_FROM_ROWS }, (_, i) => makeEvent({ op, ns, id: `other-${i}`, doc: { _id: `other-${i}`, content: "other", comments: [{ user: "o" }] } }));
    await apply(
      sink,
      makeEvent({ op: "insert", ns, id: new Int32(5), doc: { _id: new Int32(5), content: "int", comments: [{ user: "a" }] } }),
      ...others,
      makeEvent({ op: "insert", ns, id: "5", doc: { _id: "5", content: "string", comments: [{ user: "b" }, { user: "c" }] } }),
    );
    expect(await query(url, "SELECT id, description FROM public.posts WHERE id = '5'")).toEqual([{ id: "5", description: "string" }]);
    expect(await query(url, `SELECT post_id, "user" FROM public.comments WHERE post_id = '5' ORDER BY _ordinal`)).toEqual([
      { post_id: "5", user: "b" },
      { post_id: "5", user: "c" },
    ]);
    expect(await query(url, "SELECT count(*)::int AS n FROM public.comments")).toEqual([{ n: COPY_FROM_ROWS + 2 }]);
  });

  it("keeps the last of two ids of one key that fits, in a batch large enough for COPY", async () => {
    const sink = await relationalSink(postsExample);
    const ns = "my_mongo_database.posts";
    const others = Array.from({ length: COPY_FROM_ROWS }, (_, i) => makeEvent({ op: "replace", ns, id: `other-${i}`, doc: { _id: `other-${i}`, content: "other" } }));
    await apply(
      sink,
      ...others,
      makeEvent({ op: "replace", ns, id: new Int32(5), doc: { _id: new Int32(5), content: "fits", comments: [{ user: "a" }] } }),
      makeEvent({ op: "replace", ns, id: "5", doc: { _id: "5", content: { not: "text" }, comments: [{ user: "b" }] } }),
    );
    expect(await query(url, "SELECT id, description FROM public.posts WHERE id = '5'")).toEqual([{ id: "5", description: "fits" }]);
    expect(await query(url, `SELECT "user" FROM public.comments WHERE post_id = '5'`)).toEqual([{ user: "a" }]);
    expect(await query(url, "SELECT key FROM tributary.dead_letters")).toEqual([{ key: '"5"' }]);
  });

  it("sets a document whose value does not fit aside in dead_letters and writes the others", async () => {
    const sink = await relationalSink(leadMonitoringExample);
    const ns = "my_mongo_database.my_mongo_collection";
    await apply(
      sink,
      makeEvent({ op: "insert", ns, id: "good", doc: { _id: "good", enable: true } }),
      makeEvent({ op: "insert", ns, id: "bad", doc: { _id: "bad", enable: "yes" } }),
    );
    expect(await query(url, "SELECT id, enabled FROM public.my_mongo_collection")).toEqual([{ id: "good", enabled: true }]);
    expect(await query(url, "SELECT namespace, key, field, reason, document FROM tributary.dead_letters")).toEqual([
      { namespace: ns, key: "bad", field: "enable", reason: 'a string ("yes") where boolean was mapped', document: { _id: "bad", enable: "yes" } },
    ]);
  });

  it("stops on such a document in strict mode, naming collection, key and field", async () => {
    const sink = await relationalSink(postsExample, true);
    const id = "p1";
    await expect(
      apply(sink, makeEvent({ op: "insert", ns: "my_mongo_database.posts", id, doc: { _id: id, comments: [{ user: "a" }, { user: ["not", "text"] }] } })),
    ).rejects.toMatchObject({
      code: ErrorCode.ValueDoesNotFit,
      context: { namespace: "my_mongo_database.posts", key: "p1", field: "comments.1.user" },
    });
    expect(await query(url, "SELECT to_regclass('public.posts') AS t")).toEqual([{ t: null }]);
  });
});
