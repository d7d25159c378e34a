// The write paths through COPY at their limits: a staging table that lives as long as its
// connection must not grow with every merge (PostgreSQL never vacuums temporary tables), a role
// without the TEMPORARY privilege must still get its batches written, and a document whose array
// maps to more child rows than a function call takes arguments must still load.

import pg from "pg";
import type { Document } from "mongodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChangeEvent } from "../../../src/core/change-event.js";
import { inferMapping } from "../../../src/sinks/postgres/mapping/infer/infer-mapping.js";
import { parseMapping } from "../../../src/sinks/postgres/mapping/load-mapping.js";
import type { PostgresSink } from "../../../src/sinks/postgres/postgres-sink.js";
import type { TableMapping } from "../../../src/sinks/postgres/mapping/table-mapping.js";
import { mergeRawRows, type UpsertChange } from "../../../src/sinks/postgres/raw-copy.js";
import { bulkLoadRelationalRows, mergeRelationalRows } from "../../../src/sinks/postgres/relational/streamed-relational-rows.js";
import { COPY_FROM_ROWS } from "../../../src/sinks/postgres/copy-text.js";
import { makeEvent } from "../../support/events.js";
import { createDatabase } from "../../support/postgres-server.js";
import { makeSink, query } from "../../support/postgres-sink-fixture.js";
import { realisticDocuments } from "../../support/realistic-documents.js";
import { postgresUrl } from "../../support/requirements.js";

const NS = "shop.orders";
const DATABASE = "staging_limits";
const ROLE = "tributary_without_temp";
let url: string;
const sinks: PostgresSink[] = [];

beforeAll(async () => {
  url = await createDatabase(postgresUrl(), DATABASE);
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((sink) => sink.close()));
  await query(url, "DROP SCHEMA IF EXISTS tributary CASCADE; DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
});

afterAll(async () => {
  await query(url, `DROP OWNED BY ${ROLE}; DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
});

function upserts(documents: readonly Document[], op: ChangeEvent["op"]): UpsertChange[] {
  return documents.map((doc) => ({ kind: "upsert", key: String(doc._id), doc, event: makeEvent({ op, ns: NS, id: doc._id, doc }) }));
}

/** The documents written by a sink with the mapping `tributary mapping infer` makes of them; the collection's table mapping. */
async function loadedWithInferredMapping(documents: readonly Document[]): Promise<TableMapping> {
  const mapping = parseMapping("mappings.json", inferMapping(new Map([[NS, documents]])), { defaultSchema: "public" });
  const table = mapping.collections.get(NS);
  if (!table) throw new Error("no mapping");
  const sink = makeSink(url, { mapping });
  sinks.push(sink);
  await sink.open();
  await sink.apply({ events: documents.map((doc) => makeEvent({ op: "insert", ns: NS, id: doc._id, doc })) });
  return table;
}

describe("the raw staging table", () => {
  it("keeps its size across merges on one connection", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("CREATE TABLE public.shop_orders (_id text PRIMARY KEY, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL, _synced_at timestamptz NOT NULL DEFAULT now())");
      const ref = { namespace: NS, schema: "public", table: "shop_orders" };
      const documents = realisticDocuments(COPY_FROM_ROWS, 2048);
      const merge = async (round: number): Promise<void> => {
        await client.query("BEGIN");
        await mergeRawRows(client, ref, upserts(documents.map((doc) => ({ ...doc, round })), "replace"), () => Promise.resolve());
        await client.query("COMMIT");
      };
      const size = async (): Promise<number> => Number((await client.query<{ bytes: string }>("SELECT pg_total_relation_size('pg_temp.tributary_raw_stage') AS bytes")).rows[0]?.bytes);
      for (let round = 0; round < 20; round += 1) await merge(round);
      // Deleted rows alone would leave every merge's rows in its files: megabytes by now.
      expect(await size()).toBeLessThan(256 * 1024);
      expect((await client.query("SELECT DISTINCT (doc->>'round')::int AS round FROM public.shop_orders")).rows).toEqual([{ round: 19 }]);
    } finally {
      await client.end();
    }
  });
});

describe("the relational staging table", () => {
  it("is the connection's: made once for a table's columns, kept across merges, and kept small", async () => {
    const documents = realisticDocuments(COPY_FROM_ROWS, 2048);
    const table = await loadedWithInferredMapping(documents);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const stages = async (): Promise<{ relname: string; bytes: number }[]> =>
        (
          await client.query<{ relname: string; bytes: string }>(
            "SELECT relname, pg_total_relation_size(c.oid) AS bytes FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema() AND relname LIKE 'tributary_merge_%'",
          )
        ).rows.map((row) => ({ relname: row.relname, bytes: Number(row.bytes) }));
      const oids = new Set<unknown>();
      for (let round = 0; round < 20; round += 1) {
        await client.query("BEGIN");
        await mergeRelationalRows(client, table, upserts(documents.map((doc) => ({ ...doc, notes: `round ${round}` })), "replace"), () => Promise.resolve());
        await client.query("COMMIT");
        for (const row of (await client.query("SELECT oid FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'tributary_merge_%'")).rows) oids.add(row.oid);
      }
      // One table, the same one every time (not made and dropped again by each merge), truncated at each commit.
      const [stage, ...others] = await stages();
      expect(stage).toBeDefined();
      expect(others).toEqual([]);
      expect(oids.size).toBe(1);
      expect(stage?.bytes).toBeLessThan(256 * 1024);
      expect(await query(url, "SELECT notes, count(*)::int AS n FROM public.orders GROUP BY 1")).toEqual([{ notes: "round 19", n: documents.length }]);
    } finally {
      await client.end();
    }
  });
});

describe("a role without the TEMPORARY privilege", () => {
  it.each(["raw", "mapping"] as const)("gets large batches of replace events written in %s mode", async (mode) => {
    await query(
      url,
      `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN PASSWORD 'no-temp'; END IF; END $$;
       REVOKE TEMPORARY ON DATABASE ${DATABASE} FROM PUBLIC;
       GRANT CREATE ON DATABASE ${DATABASE} TO ${ROLE};
       GRANT ALL ON SCHEMA public TO ${ROLE};`,
    );
    const restricted = new URL(url);
    restricted.username = ROLE;
    restricted.password = "no-temp";
    const documents = realisticDocuments(COPY_FROM_ROWS + 10);
    const mapping = parseMapping("mappings.json", inferMapping(new Map([[NS, documents]])), { defaultSchema: "public" });
    const sink = makeSink(restricted.toString(), mode === "raw" ? {} : { mapping });
    sinks.push(sink);
    await sink.open();
    const events = (op: ChangeEvent["op"], notes: string): ChangeEvent[] => documents.map((doc) => makeEvent({ op, ns: NS, id: doc._id, doc: { ...doc, notes } }));
    await sink.apply({ events: events("insert", "first") });
    await sink.apply({ events: events("replace", "second") });
    const table = mode === "raw" ? "public.shop_orders" : "public.orders";
    const notes = mode === "raw" ? "doc->>'notes'" : "notes";
    expect(await query(url, `SELECT ${notes} AS notes, count(*)::int AS n FROM ${table} GROUP BY 1`)).toEqual([{ notes: "second", n: documents.length }]);
  });
});

describe("a document with a very long array mapped to a child table", () => {
  it("is bulk-loaded with all its child rows", async () => {
    const table = await loadedWithInferredMapping([{ _id: 1, items: [{ sku: "a", quantity: 1 }] }]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const items = Array.from({ length: 150_000 }, (_, i) => ({ sku: `s${i}`, quantity: i }));
      await client.query("BEGIN");
      await bulkLoadRelationalRows(client, table, upserts([{ _id: 2, items }], "insert"), () => Promise.resolve());
      const [child] = table.children;
      const counted = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${child?.table.schema}.${child?.table.table} WHERE ${child?.fkColumn} = 2`);
      await client.query("ROLLBACK");
      expect(counted.rows).toEqual([{ n: 150_000 }]);
    } finally {
      await client.end();
    }
  });
});
