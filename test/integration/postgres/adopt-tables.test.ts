import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { PostgresSink, PostgresSinkOptions } from "../../../src/sinks/postgres/postgres-sink.js";
import { capturingLogger } from "../../support/capturing-logger.js";
import { makeEvent } from "../../support/events.js";
import { mongoConnectorTableStatements } from "../../support/mongo-connector-tables.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

let url: string;
const open: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "sink_adopt_tables");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

type Mappings = Record<string, Record<string, Record<string, unknown>>>;

const blog = (views = "INTEGER"): Mappings => ({
  blog: {
    posts: {
      pk: "id",
      _id: { dest: "id", type: "TEXT" },
      title: { dest: "title", type: "TEXT", index: true },
      views: { dest: "views", type: views },
      comments: { dest: "comments", type: "_ARRAY", fk: "post_id" },
    },
    comments: { pk: "id", post_id: { dest: "post_id", type: "TEXT" }, author: { dest: "author", type: "TEXT" }, body: { dest: "body", type: "TEXT" } },
  },
});

/** The tables mongo-connector-postgresql made for `mappings`, with the rows it wrote: p1 (two comments), p2 (one), and a comment of a deleted post. */
async function mongoConnectorTables(mappings: Mappings): Promise<void> {
  for (const statement of mongoConnectorTableStatements(mappings)) await query(url, statement);
  await query(
    url,
    `INSERT INTO posts (_creationdate, id, title, views) VALUES ('2024-01-01', 'p1', 'first', 10), ('2024-01-02', 'p2', 'second', 20);
     INSERT INTO comments (_creationdate, post_id, author, body) VALUES
       ('2024-01-01', 'p1', 'ann', 'one'), ('2024-01-01', 'p0', 'old', 'orphan'), ('2024-01-01', 'p1', 'bob', 'two'), ('2024-01-02', 'p2', 'cy', 'three')`,
  );
}

async function sinkOn(mappings: Mappings, overrides: Partial<PostgresSinkOptions> = {}): Promise<PostgresSink> {
  const sink = makeSink(url, { mapping: parseMapping("mappings.json", mappings, { defaultSchema: "public" }), ...overrides });
  open.push(sink);
  await sink.open();
  return sink;
}

async function openFails(mappings: Mappings, overrides: Partial<PostgresSinkOptions> = {}): Promise<Error> {
  const error = await sinkOn(mappings, overrides).then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  expect(error).toMatchObject({ code: ErrorCode.TableMismatch });
  return error as Error;
}

async function columnsOf(table: string): Promise<string[]> {
  const rows = await query<{ column_name: string }>(url, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY column_name", [table]);
  return rows.map((row) => row.column_name);
}

describe("tables written by mongo-connector-postgresql", () => {
  it("stop the sync at start-up, naming what each table lacks, and are left untouched", async () => {
    await mongoConnectorTables(blog());
    const before = { posts: await columnsOf("posts"), comments: await columnsOf("comments") };
    const error = await openFails(blog());
    expect(error.message).toContain("The existing tables of blog.posts cannot be written as they are");
    expect(error.message).toContain("public.posts: add column _extra, add column _cluster_time, add column _synced_at");
    expect(error.message).toContain("public.comments: add column _ordinal, add column _extra, add column _synced_at, add the foreign key post_id → public.posts (ON DELETE CASCADE, NOT VALID), add an index on post_id (child rows are deleted by it)");
    expect(error.message).toContain("--adopt-tables (target.adoptTables: true)");
    expect({ posts: await columnsOf("posts"), comments: await columnsOf("comments") }).toEqual(before);
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.tables")).toEqual([{ n: 0 }]);
  });

  it("are adopted with --adopt-tables: every row kept, bookkeeping filled, then written like Tributary's own", async () => {
    await mongoConnectorTables(blog());
    const { logger, lines } = capturingLogger();
    const sink = await sinkOn(blog(), { adoptTables: true, logger });
    expect(await query(url, "SELECT id, title, views, _cluster_time = 'epoch' AS unknown_time, _extra FROM posts ORDER BY id")).toEqual([
      { id: "p1", title: "first", views: 10, unknown_time: true, _extra: null },
      { id: "p2", title: "second", views: 20, unknown_time: true, _extra: null },
    ]);
    expect(await query(url, "SELECT post_id, _ordinal, author FROM comments ORDER BY post_id, _ordinal")).toEqual([
      { post_id: "p0", _ordinal: 0, author: "old" },
      { post_id: "p1", _ordinal: 0, author: "ann" },
      { post_id: "p1", _ordinal: 1, author: "bob" },
      { post_id: "p2", _ordinal: 0, author: "cy" },
    ]);
    expect(lines.map((line) => line.msg)).toEqual(
      expect.arrayContaining(["adopted existing table public.posts", "adopted existing table public.comments", expect.stringContaining("1 rows of public.comments reference no row of public.posts")]),
    );
    const [foreignKey] = await query<{ validated: boolean; cascades: boolean }>(url, "SELECT convalidated AS validated, confdeltype = 'c' AS cascades FROM pg_constraint WHERE conrelid = 'comments'::regclass AND contype = 'f'");
    expect(foreignKey).toEqual({ validated: false, cascades: true });
    // mongo-connector-postgresql indexed no child table's parent key: each child delete would read the whole table.
    expect(await query(url, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'comments' AND indexdef NOT LIKE '%(id)' AND indexdef NOT LIKE '%_creationdate%'")).toEqual([
      { indexdef: "CREATE INDEX comments_post_id_idx ON public.comments USING btree (post_id)" },
    ]);

    const update = makeEvent({ op: "update", ns: "blog.posts", id: "p1", doc: { _id: "p1", title: "first, edited", views: 11, comments: [{ author: "dee", body: "new" }] } });
    const remove = makeEvent({ op: "delete", ns: "blog.posts", id: "p2" });
    const insert = makeEvent({ op: "insert", ns: "blog.posts", id: "p3", doc: { _id: "p3", title: "third", views: 0, tags: ["x"] } });
    await sink.apply({ events: [update, remove, insert], position: insert.position });
    expect(await query(url, "SELECT id, title, views, _cluster_time > 'epoch' AS written, _extra FROM posts ORDER BY id")).toEqual([
      { id: "p1", title: "first, edited", views: 11, written: true, _extra: null },
      { id: "p3", title: "third", views: 0, written: true, _extra: { tags: ["x"] } },
    ]);
    expect(await query(url, "SELECT post_id, _ordinal, author FROM comments ORDER BY post_id, _ordinal")).toEqual([
      { post_id: "p0", _ordinal: 0, author: "old" },
      { post_id: "p1", _ordinal: 0, author: "dee" },
    ]);
  });

  it("fit once adopted: another pipeline (its own table registry) starts on them without --adopt-tables", async () => {
    await mongoConnectorTables(blog());
    await sinkOn(blog(), { adoptTables: true });
    await expect(sinkOn(blog(), { pipeline: "second" })).resolves.toBeDefined();
  });

  it("get the child tables and indices the mapping adds when they are adopted", async () => {
    const { blog: withChild } = blog();
    const postsOnly: Mappings = { blog: { posts: { ...withChild!.posts, comments: undefined } } };
    for (const statement of mongoConnectorTableStatements(JSON.parse(JSON.stringify(postsOnly)) as Mappings)) await query(url, statement);
    const mappings: Mappings = { blog: { ...withChild, posts: { ...withChild!.posts, indices: ["INDEX posts_views_idx ON posts (views)"] } } };
    const sink = await sinkOn(mappings, { adoptTables: true });
    const insert = makeEvent({ op: "insert", ns: "blog.posts", id: "p9", doc: { _id: "p9", title: "new", views: 1, comments: [{ author: "eve", body: "hi" }] } });
    await sink.apply({ events: [insert], position: insert.position });
    expect(await query(url, "SELECT post_id, _ordinal, author FROM comments")).toEqual([{ post_id: "p9", _ordinal: 0, author: "eve" }]);
    expect(await query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'posts' AND indexname = 'posts_views_idx'")).toEqual([{ indexname: "posts_views_idx" }]);
  });

  it("are refused, even with --adopt-tables, where a column's type differs from the mapping's; nothing is changed", async () => {
    await mongoConnectorTables(blog("TEXT"));
    const error = await openFails(blog("INTEGER"), { adoptTables: true });
    expect(error.message).toContain(`column public.posts.views is text, but Tributary writes integer there: set the field's "type" to "text" in the mapping, or convert the column`);
    expect(error.message).not.toContain("--adopt-tables");
    expect(await columnsOf("posts")).toEqual(["_creationdate", "id", "title", "views"]);
  });

  it("are all checked before any is adopted: one that cannot be used leaves the others as they were", async () => {
    const mappings: Mappings = { blog: { ...blog().blog, authors: { pk: "id", _id: { dest: "id", type: "TEXT" }, age: { dest: "age", type: "INTEGER" } } } };
    await mongoConnectorTables(blog());
    await query(url, "CREATE TABLE authors (id text PRIMARY KEY, age text)");
    const error = await openFails(mappings, { adoptTables: true });
    expect(error.message).toContain("The existing tables of blog.authors cannot be written as they are: column public.authors.age is text");
    expect(await columnsOf("posts")).toEqual(["_creationdate", "id", "title", "views"]);
  });

  it("are refused where PostgreSQL folded a mixed-case name, with the name to write in the mapping", async () => {
    const mappings: Mappings = { crm: { LeadMonitoring: { pk: "id", _id: { dest: "id", type: "TEXT" }, conversationDate: { dest: "conversationDate", type: "TIMESTAMP" } } } };
    for (const statement of mongoConnectorTableStatements(mappings)) await query(url, statement);
    const error = await openFails(mappings, { adoptTables: true });
    expect(error.message).toContain(`table public.LeadMonitoring does not exist but public.leadmonitoring does`);
    expect(error.message).toContain(`set "$table": "leadmonitoring" for crm.LeadMonitoring`);
    const renamed: Mappings = { crm: { LeadMonitoring: { ...mappings.crm!.LeadMonitoring, $table: "leadmonitoring" } } };
    const again = await openFails(renamed, { adoptTables: true });
    expect(again.message).toContain(`column public.leadmonitoring.conversationDate does not exist but conversationdate does`);
    expect(again.message).toContain(`set "dest": "conversationdate"`);
  });
});

describe("other existing tables", () => {
  const posts: Mappings = { blog: { posts: { pk: "id", _id: { dest: "id", type: "TEXT" }, title: { dest: "title", type: "TEXT" } } } };

  it("without a unique key: duplicate keys are refused by name, otherwise the primary key is added", async () => {
    await query(url, "CREATE TABLE posts (id text, title text); INSERT INTO posts VALUES ('a', 'x'), ('a', 'y'), ('b', 'z')");
    const error = await openFails(posts, { adoptTables: true });
    expect(error.message).toContain(`column public.posts.id is Tributary's key but has no unique index, and some of its values appear more than once ("a" ×2): remove the duplicates first`);
    await query(url, "DELETE FROM posts WHERE title = 'y'");
    await sinkOn(posts, { adoptTables: true });
    expect(await query(url, "SELECT indisprimary AS primary FROM pg_index WHERE indrelid = 'posts'::regclass")).toEqual([{ primary: true }]);
    expect(await query(url, "SELECT id, title FROM posts ORDER BY id")).toEqual([
      { id: "a", title: "x" },
      { id: "b", title: "z" },
    ]);
  });

  /** `blog()`'s posts table as Tributary would create it, for child tables made by hand beside it. */
  const FITTING_POSTS = "CREATE TABLE posts (id text PRIMARY KEY, title text, views integer, _extra jsonb, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());";

  it.each([
    ["a hash index on the parent's key", "not asked for", "CREATE INDEX ON comments USING hash (post_id)"],
    ["a key led by the parent's key", "not asked for", "ALTER TABLE comments ADD PRIMARY KEY (post_id, _ordinal)"],
    ["an index led by the parent's key, then an expression", "not asked for", "CREATE INDEX ON comments (post_id, lower(body))"],
    ["only a partial index on the parent's key", "asked for", "CREATE INDEX ON comments (post_id) WHERE author IS NOT NULL"],
    ["only an index the parent's key does not lead", "asked for", "CREATE INDEX ON comments (_ordinal, post_id)"],
    ["only an index on the parent's key in another collation", "asked for", 'CREATE INDEX ON comments (post_id COLLATE "C")'],
  ])("a child table with %s: an index on it is %s", async (_, expected, index) => {
    await query(
      url,
      `${FITTING_POSTS}
       CREATE TABLE comments (id bigint GENERATED BY DEFAULT AS IDENTITY, post_id text COLLATE "default" NOT NULL REFERENCES posts (id) ON DELETE CASCADE, _ordinal integer NOT NULL,
         author text, body text, _extra jsonb, _synced_at timestamptz NOT NULL DEFAULT now());
       ${index}`,
    );
    if (expected === "asked for") {
      expect((await openFails(blog())).message).toContain("public.comments: add an index on post_id (child rows are deleted by it)");
      // Adopted, the table has an index that serves: another pipeline finds nothing to add.
      await sinkOn(blog(), { adoptTables: true });
    }
    await sinkOn(blog(), { pipeline: "another" });
  });

  it("a child table without its parent key column, and without rows: the column, its foreign key and its index are added", async () => {
    await query(
      url,
      `${FITTING_POSTS}
       CREATE TABLE comments (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, _ordinal integer NOT NULL, author text, body text, _extra jsonb, _synced_at timestamptz NOT NULL DEFAULT now())`,
    );
    // The whole plan is told before anything is changed.
    expect((await openFails(blog())).message).toContain(
      "public.comments: add column post_id, add the foreign key post_id → public.posts (ON DELETE CASCADE), add an index on post_id (child rows are deleted by it)",
    );
    const sink = await sinkOn(blog(), { adoptTables: true });
    expect(await query(url, "SELECT confdeltype AS on_delete FROM pg_constraint WHERE conrelid = 'comments'::regclass AND contype = 'f'")).toEqual([{ on_delete: "c" }]);
    expect(await query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'comments' AND indexdef LIKE '%(post_id)'")).toEqual([{ indexname: "comments_post_id_idx" }]);
    const post = makeEvent({ op: "insert", ns: "blog.posts", id: "p1", doc: { _id: "p1", title: "t", views: 1, comments: [{ author: "a", body: "b" }] } });
    await sink.apply({ events: [post], position: post.position });
    await sink.apply({ events: [makeEvent({ op: "delete", ns: "blog.posts", id: "p1" })], position: post.position });
    expect(await query(url, "SELECT count(*)::int AS n FROM comments")).toEqual([{ n: 0 }]);
  });

  it("in raw mode: a table of another layout is refused when the collection is first written, before a row is", async () => {
    await query(url, "CREATE TABLE shop_orders (id text PRIMARY KEY, jdoc jsonb); INSERT INTO shop_orders VALUES ('1', '{}')");
    const sink = makeSink(url, { adoptTables: true });
    open.push(sink);
    await sink.open();
    const event = makeEvent({ op: "insert", ns: "shop.orders", id: "2", doc: { _id: "2" } });
    const error = await sink.apply({ events: [event], position: event.position }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error).toMatchObject({ code: ErrorCode.TableMismatch });
    expect(error?.message).toContain("table public.shop_orders has no column _id, the key column Tributary writes shop.orders's _id to");
    expect(error?.message).toContain("table public.shop_orders has no column doc (jsonb), and its rows would have nothing to put there");
    expect(await query(url, "SELECT id FROM shop_orders")).toEqual([{ id: "1" }]);
    expect(await query(url, "SELECT count(*)::int AS n FROM tributary.positions")).toEqual([{ n: 0 }]);
  });

  it("in raw mode, named in target.tables: refused at start-up", async () => {
    await query(url, "CREATE TABLE orders (id text PRIMARY KEY, jdoc jsonb)");
    const sink = makeSink(url, { tables: { "shop.orders": "orders" } });
    open.push(sink);
    await expect(sink.open()).rejects.toMatchObject({ code: ErrorCode.TableMismatch, message: expect.stringContaining("public.orders has no column _id") });
    // Nothing left open: the sink's connection, kept however long it sits idle, would keep the process alive.
    expect(await query(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'tributary'")).toEqual([{ n: 0 }]);
  });
});
