import { Int32 } from "mongodb";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { CommandPolicy } from "../../../src/sinks/postgres/command-applier.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import { makeEvent } from "../../support/events.js";
import { postsExample } from "../../support/mapping-examples.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const open: PostgresSink[] = [];
const DEFAULTS: CommandPolicy = { create: "create", drop: "drop", rename: "rename", dropDatabase: "drop" };

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_commands");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

async function sinkWith(policy: Partial<CommandPolicy>, overrides: Parameters<typeof makeSink>[1] = {}): Promise<PostgresSink> {
  const sink = makeSink(url, { commands: { ...DEFAULTS, ...policy }, ...overrides });
  open.push(sink);
  await sink.open();
  return sink;
}

async function apply(sink: PostgresSink, ...events: ReturnType<typeof makeEvent>[]): Promise<void> {
  await sink.apply({ events, position: events.at(-1)!.position });
}

const insert = (ns: string, id: string): ReturnType<typeof makeEvent> => makeEvent({ op: "insert", ns, id, doc: { _id: id, v: new Int32(1) } });

async function tables(): Promise<string[]> {
  const rows = await query<{ tablename: string }>(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
  return rows.map((row) => row.tablename);
}

/** The `_id`s of a raw table (string ids are stored as JSON strings). */
async function ids(table: string): Promise<string[]> {
  return (await query<{ _id: string }>(url, `SELECT _id FROM ${table} ORDER BY _id`)).map((row) => JSON.parse(row._id) as string);
}

describe("PostgresSink: configurable collection and database commands", () => {
  it("create: makes the table of a new collection at once, or waits for its first document", async () => {
    const eager = await sinkWith({});
    await apply(eager, makeEvent({ op: "create", ns: "shop.orders" }));
    expect(await tables()).toEqual(["shop_orders"]);
    expect(await ids("shop_orders")).toEqual([]);
    await eager.close();
    open.splice(0);
    const lazy = await sinkWith({ create: "ignore" }, { pipeline: "lazy" });
    await apply(lazy, makeEvent({ op: "create", ns: "shop.customers" }));
    expect(await tables()).toEqual(["shop_orders"]);
  });

  it("create: makes a mapping file's tables, children included", async () => {
    const mapping = parseMapping("mappings.json", postsExample, { defaultSchema: "public" });
    const sink = await sinkWith({}, { mapping });
    await apply(sink, makeEvent({ op: "create", ns: "my_mongo_database.posts" }));
    expect(await tables()).toEqual(["comments", "posts"]);
  });

  it("drop: drops, empties or keeps the table", async () => {
    const dropping = await sinkWith({});
    await apply(dropping, insert("shop.a", "1"), makeEvent({ op: "drop", ns: "shop.a" }));
    expect(await tables()).toEqual([]);
    const truncating = await sinkWith({ drop: "truncate" }, { pipeline: "truncating" });
    await apply(truncating, insert("shop.b", "1"), makeEvent({ op: "drop", ns: "shop.b" }));
    expect(await tables()).toEqual(["shop_b"]);
    expect(await ids("shop_b")).toEqual([]);
    // The emptied table takes the collection's new documents.
    await apply(truncating, insert("shop.b", "2"));
    expect(await ids("shop_b")).toEqual(["2"]);
    const keeping = await sinkWith({ drop: "ignore" }, { pipeline: "keeping" });
    await apply(keeping, insert("shop.c", "1"), makeEvent({ op: "drop", ns: "shop.c" }));
    expect(await ids("shop_c")).toEqual(["1"]);
  });

  it("drop with truncate empties a collection's child tables with it", async () => {
    const mapping = parseMapping("mappings.json", postsExample, { defaultSchema: "public" });
    const sink = await sinkWith({ drop: "truncate" }, { mapping });
    const ns = "my_mongo_database.posts";
    await apply(sink, makeEvent({ op: "insert", ns, id: "p1", doc: { _id: "p1", name: "n", content: "c", comments: [{ user: "u", comment: "x" }] } }));
    expect(await query(url, "SELECT count(*)::int AS n FROM comments")).toEqual([{ n: 1 }]);
    await apply(sink, makeEvent({ op: "drop", ns }));
    expect(await query(url, "SELECT (SELECT count(*) FROM posts)::int AS posts, (SELECT count(*) FROM comments)::int AS comments")).toEqual([{ posts: 0, comments: 0 }]);
  });

  it("rename: renames, drops or keeps the table", async () => {
    const renaming = await sinkWith({});
    await apply(renaming, insert("shop.a", "1"), makeEvent({ op: "rename", ns: "shop.a", to: "shop.a2" }));
    expect(await ids("shop_a2")).toEqual(["1"]);
    const dropping = await sinkWith({ rename: "drop" }, { pipeline: "dropping" });
    await apply(dropping, insert("shop.b", "1"), makeEvent({ op: "rename", ns: "shop.b", to: "shop.b2" }));
    expect(await tables()).toEqual(["shop_a2"]);
    const keeping = await sinkWith({ rename: "ignore" }, { pipeline: "keeping" });
    await apply(keeping, insert("shop.c", "1"), makeEvent({ op: "rename", ns: "shop.c", to: "shop.c2" }), insert("shop.c2", "2"));
    expect(await ids("shop_c")).toEqual(["1"]);
    expect(await ids("shop_c2")).toEqual(["2"]);
  });

  it("dropDatabase: drops, empties or keeps every table of the database", async () => {
    const truncating = await sinkWith({ dropDatabase: "truncate" });
    await apply(truncating, insert("shop.a", "1"), insert("shop.b", "1"), insert("crm.c", "1"), makeEvent({ op: "dropDatabase", ns: "shop" }));
    expect(await tables()).toEqual(["crm_c", "shop_a", "shop_b"]);
    expect([await ids("shop_a"), await ids("shop_b"), await ids("crm_c")]).toEqual([[], [], ["1"]]);
    const keeping = await sinkWith({ dropDatabase: "ignore" }, { pipeline: "keeping" });
    await apply(keeping, insert("crm.d", "1"), makeEvent({ op: "dropDatabase", ns: "crm" }));
    expect(await ids("crm_d")).toEqual(["1"]);
    const dropping = await sinkWith({}, { pipeline: "dropping" });
    await apply(dropping, insert("crm.e", "1"), makeEvent({ op: "dropDatabase", ns: "crm" }));
    expect(await tables()).toEqual(["crm_c", "crm_d", "shop_a", "shop_b"]);
  });
});
