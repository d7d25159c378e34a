// The peer-equivalent baseline: writes the way mongo-connector-postgresql's DocManager does
// (mongo_connector/doc_managers/postgresql_manager.py): a change is `upsert` → `sql_insert` of
// the mapped document (an INSERT … ON CONFLICT of one row), then one INSERT per element of each
// array mapped to a child table, one statement at a time, and a commit per change; the dump
// commits every chunk of documents. No Python here: the same statements, sent by node-postgres,
// so that "× peer" is measured in the same run as everything else.

import { performance } from "node:perf_hooks";
import type { Document } from "mongodb";
import pg from "pg";
import type { JsonValue } from "../src/codec/document-codec.js";
import type { TableMapping } from "../src/sinks/postgres/mapping/table-mapping.js";
import { childColumns, parentColumns, type RowColumn } from "../src/sinks/postgres/relational/relational-columns.js";
import { CLUSTER_TIME_COLUMN, SYNCED_AT_COLUMN } from "../src/sinks/postgres/relational/relational-ddl.js";
import type { Row } from "../src/sinks/postgres/relational/row-extractor.js";
import { qualifiedName, quoteIdent } from "../src/sinks/postgres/sql.js";
import { createMappedTables, rowsOf } from "./relational-tables.js";

/** Documents per commit of the peer's dump (the issue's measurement: a commit every 1000). */
export const PEER_DUMP_COMMIT_EVERY = 1_000;

/** One-row statements of a table: `INSERT … VALUES ($1::type, …)`, with the peer's upsert for the parent. */
class RowInsert {
  readonly sql: string;
  readonly columns: readonly RowColumn[];

  constructor(table: string, columns: readonly RowColumn[], conflict: string) {
    this.columns = columns;
    const values = columns.map((column, i) => (column.name === CLUSTER_TIME_COLUMN ? `to_timestamp($${i + 1})` : `$${i + 1}::${column.sql}`));
    this.sql = `INSERT INTO ${table} (${columns.map((column) => quoteIdent(column.name)).join(", ")}) VALUES (${values.join(", ")})${conflict}`;
  }

  parameters(row: Row): unknown[] {
    return this.columns.map((column) => parameter(row[column.name], column));
  }
}

/** A row value as a query parameter: json columns take the JSON text; arrays become PostgreSQL arrays (node-postgres). */
function parameter(value: JsonValue | undefined, column: RowColumn): unknown {
  if (value === undefined || value === null) return null;
  return column.sql.startsWith("json") ? JSON.stringify(value) : value;
}

/** Writes documents into a mapping's tables one row per statement, as the peer does. */
export class PeerWriter {
  private readonly client: pg.ClientBase;
  private readonly table: TableMapping;
  private readonly parent: RowInsert;
  private readonly children: readonly { readonly table: TableMapping; readonly insert: RowInsert }[];

  constructor(client: pg.ClientBase, table: TableMapping) {
    this.client = client;
    this.table = table;
    const columns = parentColumns(table);
    const updates = columns.filter((column) => column.name !== table.pk.column).map((column) => `${quoteIdent(column.name)} = EXCLUDED.${quoteIdent(column.name)}`);
    const conflict = ` ON CONFLICT (${quoteIdent(table.pk.column)}) DO UPDATE SET ${[...updates, `${quoteIdent(SYNCED_AT_COLUMN)} = now()`].join(", ")}`;
    this.parent = new RowInsert(qualifiedName(table.schema, table.table), columns, conflict);
    this.children = table.children.map((child) => ({ table: child.table, insert: new RowInsert(qualifiedName(child.table.schema, child.table.table), childColumns(child), "") }));
  }

  /** The peer's `_upsert`: the parent row, then each child row. */
  async upsert(doc: Document, clusterSeconds: number): Promise<void> {
    const rows = rowsOf(this.table, doc, clusterSeconds);
    await this.client.query(this.parent.sql, this.parent.parameters(rows.row));
    for (const { table, insert } of this.children) {
      for (const children of rows.children) {
        if (children.table !== table) continue;
        for (const row of children.rows) await this.client.query(insert.sql, insert.parameters(row));
      }
    }
  }
}

async function withClient<T>(url: string, table: TableMapping, work: (client: pg.Client, writer: PeerWriter) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "tributary bench peer" });
  await client.connect();
  try {
    await createMappedTables(client, table);
    return await work(client, new PeerWriter(client, table));
  } finally {
    await client.end();
  }
}

/** The peer's dump: every document upserted row at a time, a commit every {@link PEER_DUMP_COMMIT_EVERY}. Returns the seconds it took. */
export function peerDump(url: string, table: TableMapping, documents: Iterable<Document>, clusterSeconds: number): Promise<{ seconds: number; items: number }> {
  return withClient(url, table, async (client, writer) => {
    const started = performance.now();
    let items = 0;
    await client.query("BEGIN");
    for (const doc of documents) {
      await writer.upsert(doc, clusterSeconds);
      items += 1;
      if (items % PEER_DUMP_COMMIT_EVERY === 0) {
        await client.query("COMMIT");
        await client.query("BEGIN");
      }
    }
    await client.query("COMMIT");
    return { seconds: (performance.now() - started) / 1000, items };
  });
}

/** The peer streaming: each change upserted row at a time in a transaction of its own. Returns the seconds it took. */
export function peerStream(url: string, table: TableMapping, documents: readonly Document[], clusterSeconds: number): Promise<number> {
  return withClient(url, table, async (client, writer) => {
    const started = performance.now();
    for (const doc of documents) {
      await client.query("BEGIN");
      await writer.upsert(doc, clusterSeconds);
      await client.query("COMMIT");
    }
    return (performance.now() - started) / 1000;
  });
}
