// The bare set-based baseline of the relational write path (`s0R`): what the raw table's bare
// baseline (`s0`, one jsonb_to_recordset INSERT per batch) is to raw mode, for the mapping
// file's tables. Per batch, in one transaction, one statement at a time: the parent rows upserted
// from one jsonb_to_recordset, the batch's child rows deleted, the new child rows inserted from
// one jsonb_to_recordset (the sink's own statement texts, `statementsOf`, in the order it sends
// them for a small batch). The rows are made by Tributary's own extraction, inside the clock, as
// `s0` encodes its Extended JSON inside the clock.
// Nothing else: no staging, no COPY, no position, no prepared statements, one round trip each.

import { performance } from "node:perf_hooks";
import type { Document } from "mongodb";
import pg from "pg";
import type { TableMapping } from "../src/sinks/postgres/mapping/table-mapping.js";
import { statementsOf } from "../src/sinks/postgres/relational/relational-row-writer.js";
import type { Row } from "../src/sinks/postgres/relational/row-extractor.js";
import { arrayParameter } from "../src/sinks/postgres/sql.js";
import { createMappedTables, rowsOf } from "./relational-tables.js";

/**
 * Writes `documents` into `table`'s tables in batches of `batchSize` the bare set-based way, and
 * returns the seconds it took; writes `before` untimed first (warm-up batches of other
 * documents, or the same documents, so that the timed pass replaces rows the tables hold).
 */
export async function relationalBaseline(url: string, table: TableMapping, documents: readonly Document[], batchSize: number, before: readonly Document[]): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: "tributary bench relational baseline" });
  await client.connect();
  try {
    await createMappedTables(client, table);
    if (before.length > 0) await writeBatches(client, table, before, batchSize);
    return await writeBatches(client, table, documents, batchSize);
  } finally {
    await client.end();
  }
}

async function writeBatches(client: pg.Client, table: TableMapping, documents: readonly Document[], batchSize: number): Promise<number> {
  const { parent, children } = statementsOf(table);
  const started = performance.now();
  for (let i = 0; i < documents.length; i += batchSize) {
    const seconds = Math.floor(Date.now() / 1000);
    const extracted = documents.slice(i, i + batchSize).map((doc) => rowsOf(table, doc, seconds));
    const keys = extracted.map((rows) => rows.row[table.pk.column]);
    await client.query("BEGIN");
    await client.query(parent.recordset, [JSON.stringify(extracted.map((rows) => rows.row))]);
    for (const child of children) await client.query(child.deleteByParents, [arrayParameter(keys, child.fkType)]);
    for (const child of children) {
      const rows: Row[] = [];
      for (const each of extracted) for (const own of each.children) if (own.table === child.table) for (const row of own.rows) rows.push(row);
      if (rows.length > 0) await client.query(child.recordset, [JSON.stringify(rows)]);
    }
    await client.query("COMMIT");
  }
  return (performance.now() - started) / 1000;
}
