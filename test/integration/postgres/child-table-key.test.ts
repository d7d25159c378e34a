// A child table whose key Tributary generates is keyed by its parent's key and the element's
// position: one index serves the child deletes, the cascade and uniqueness. A child key the
// mapping takes from the elements stays the key, and child tables created by earlier versions
// (the generated key as primary key, an index on the parent's key) are written as they are.

import type { Document } from "mongodb";
import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { COPY_FROM_ROWS } from "../../../src/sinks/postgres/copy-text.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { PostgresSink, PostgresSinkOptions } from "../../../src/sinks/postgres/postgres-sink.js";
import { makeEvent } from "../../support/events.js";
import { postsExample } from "../../support/mapping-examples.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { postgresUrl } from "../../support/requirements.js";

const NS = "my_mongo_database.posts";
let url: string;
const open: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), "child_table_key");
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

async function openSink(options: Partial<PostgresSinkOptions>): Promise<PostgresSink> {
  const sink = makeSink(url, options);
  open.push(sink);
  await sink.open();
  return sink;
}

const mapped = (file: unknown = postsExample): Partial<PostgresSinkOptions> => ({ mapping: parseMapping("mappings.json", file, { defaultSchema: "public" }) });

const post = (n: number, comments: number, text = "first"): Document => ({
  _id: `p${n}`,
  content: text,
  comments: Array.from({ length: comments }, (_, i) => ({ user: `u${i}`, comment: `${text} ${i}` })),
});

async function write(sink: PostgresSink, op: "insert" | "replace" | "delete", docs: readonly Document[]): Promise<void> {
  const events = docs.map((doc) => makeEvent({ op, ns: NS, id: doc._id, ...(op === "delete" ? {} : { doc }) }));
  await sink.apply({ events, position: events.at(-1)!.position });
}

/** The table's indexes: which columns each covers, and whether it is the primary key. */
async function indexesOf(table: string): Promise<unknown[]> {
  return await query(
    url,
    `SELECT i.indisprimary AS primary, array_agg(a.attname::text ORDER BY k.ordinality) AS columns
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, ordinality)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::regclass GROUP BY i.indexrelid, i.indisprimary ORDER BY i.indisprimary DESC`,
    [table],
  );
}

/** The plan of a statement with sequential scans made a last resort: an index scan means an index can serve it. */
async function planOf(statement: string, ...parameters: unknown[]): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET enable_seqscan = off");
    const rows = (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${statement}`, parameters)).rows;
    return rows.map((row) => row["QUERY PLAN"]).join("\n");
  } finally {
    await client.end();
  }
}

const comments = async (): Promise<unknown[]> => await query(url, "SELECT post_id, _ordinal, comment FROM public.comments ORDER BY post_id, _ordinal");

describe("a child table with a generated key", () => {
  it("is keyed by the parent's key and the position, its one index, which the child deletes and the cascade use", async () => {
    await write(await openSink(mapped()), "insert", [post(1, 2)]);
    expect(await indexesOf("public.comments")).toEqual([{ primary: true, columns: ["post_id", "_ordinal"] }]);
    expect(await query(url, "SELECT attidentity FROM pg_attribute WHERE attrelid = 'public.comments'::regclass AND attname = 'id'")).toEqual([{ attidentity: "d" }]);
    expect(await planOf("DELETE FROM public.comments WHERE post_id = ANY($1::text[])", ["p1", "p2"])).toMatch(/Index.*comments_pkey/);
    // The cascade's own query, as PostgreSQL's ri_triggers.c words it.
    expect(await planOf('DELETE FROM ONLY public.comments x WHERE $1::text OPERATOR(pg_catalog.=) "post_id"', "p1")).toMatch(/Index.*comments_pkey/);
  });

  it("is written, replaced and deleted through it, by COPY and by statements, and found fit by another pipeline without adopting", async () => {
    let sink = await openSink(mapped());
    await write(sink, "insert", [post(1, 2), post(2, 1)]);
    await write(sink, "replace", [post(1, 3, "second")]);
    await write(
      sink,
      "insert",
      Array.from({ length: COPY_FROM_ROWS }, (_, i) => post(100 + i, 2)),
    );
    // A batch this large is merged through a staging table, its child rows deleted and inserted again.
    await write(
      sink,
      "replace",
      Array.from({ length: COPY_FROM_ROWS }, (_, i) => post(100 + i, 2, "replaced")),
    );
    await write(sink, "delete", [post(2, 0)]);
    await sink.close();
    // Another pipeline keeps a table registry of its own, so it checks the tables as it finds them.
    sink = await openSink({ ...mapped(), pipeline: "another" });
    await write(sink, "replace", [post(1, 1, "third")]);
    expect((await comments()).filter((row) => ["p1", "p2"].includes((row as { post_id: string }).post_id))).toEqual([{ post_id: "p1", _ordinal: 0, comment: "third 0" }]);
    expect(await query(url, "SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, count(*) FILTER (WHERE comment LIKE 'replaced %')::int AS replaced FROM public.comments")).toEqual([
      { n: 1 + 2 * COPY_FROM_ROWS, ids: 1 + 2 * COPY_FROM_ROWS, replaced: 2 * COPY_FROM_ROWS },
    ]);
  });

  it("in an inferred mapping is keyed the same way", async () => {
    const sink = await openSink({ inferMapping: true });
    await write(sink, "insert", [post(1, 2)]);
    const [table] = await query<{ table: string }>(url, "SELECT c.oid::regclass::text AS table FROM pg_class c WHERE c.relname LIKE 'posts\\_%' AND c.relkind = 'r'");
    expect(table?.table).toBe("posts_comments");
    expect(await indexesOf("public.posts_comments")).toEqual([{ primary: true, columns: ["_parent_id", "_ordinal"] }]);
  });
});

describe("a child table whose key the mapping takes from the elements", () => {
  it("keeps that key, with an index on the parent's key beside it", async () => {
    const file = { my_mongo_database: { ...postsExample.my_mongo_database, comments: { ...postsExample.my_mongo_database.comments, pk: "cid", cid: { dest: "cid", type: "TEXT" } } } };
    const sink = await openSink(mapped(file));
    await write(sink, "insert", [{ _id: "p1", comments: [{ cid: "c1", comment: "x" }] }]);
    expect(await indexesOf("public.comments")).toEqual([
      { primary: true, columns: ["cid"] },
      { primary: false, columns: ["post_id"] },
    ]);
  });
});

describe("a child table as earlier versions created it", () => {
  it("is written as it is: nothing to adopt, its keys and index unchanged", async () => {
    await query(
      url,
      `CREATE TABLE public.posts (id text PRIMARY KEY, description text, _extra jsonb, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now());
       CREATE TABLE public.comments (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, post_id text NOT NULL REFERENCES public.posts (id) ON DELETE CASCADE,
         _ordinal integer NOT NULL, "user" text, comment text, _extra jsonb, _synced_at timestamptz NOT NULL DEFAULT now());
       CREATE INDEX comments_post_id_idx ON public.comments (post_id)`,
    );
    const before = await indexesOf("public.comments");
    const sink = await openSink(mapped());
    await write(sink, "insert", Array.from({ length: COPY_FROM_ROWS }, (_, i) => post(i, 2)));
    await write(sink, "replace", [post(0, 1, "second")]);
    await write(sink, "delete", [post(1, 0)]);
    expect(await indexesOf("public.comments")).toEqual(before);
    expect(before).toEqual([
      { primary: true, columns: ["id"] },
      { primary: false, columns: ["post_id"] },
    ]);
    expect((await comments()).slice(0, 2)).toEqual([
      { post_id: "p0", _ordinal: 0, comment: "second 0" },
      { post_id: "p10", _ordinal: 0, comment: "first 0" },
    ]);
    expect(await query(url, "SELECT count(*)::int AS n FROM public.comments")).toEqual([{ n: 1 + 2 * (COPY_FROM_ROWS - 2) }]);
  });
});
