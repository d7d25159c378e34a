import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Document } from "mongodb";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { encodedForCopy } from "../src/sinks/postgres/relational/copy-relational-rows.js";
import { childColumns, parentColumns } from "../src/sinks/postgres/relational/relational-columns.js";
import { qualifiedName, quoteIdent } from "../src/sinks/postgres/sql.js";
import { inferMapping } from "../src/sinks/postgres/mapping/infer/infer-mapping.js";
import { parseMapping } from "../src/sinks/postgres/mapping/load-mapping.js";
import type { RelationalMapping, TableMapping } from "../src/sinks/postgres/mapping/table-mapping.js";
import { createStatements } from "../src/sinks/postgres/relational/relational-ddl.js";
import { extractRows, isRejection, type ExtractedRows, type Row } from "../src/sinks/postgres/relational/row-extractor.js";
import { CLUSTER_TIME_COLUMN } from "../src/sinks/postgres/relational/relational-ddl.js";

/** Documents the bench's mapping file is inferred from (what `tributary mapping infer` samples). */
const SAMPLE = 1_000;

/**
 * The mapping file the relational runs use: inferred from the first documents, as a user would
 * start one (orders: typed columns, arrays of scalars as array columns, `items` as a child table).
 */
export function benchMapping(namespace: string, documents: Iterable<Document>): RelationalMapping {
  const sample: Document[] = [];
  for (const doc of documents) {
    sample.push(doc);
    if (sample.length >= SAMPLE) break;
  }
  return parseMapping("bench-mapping.json", inferMapping(new Map([[namespace, sample]])), { defaultSchema: "public" });
}

/** The table mapping of `namespace` in `mapping`. */
export function tableOf(mapping: RelationalMapping, namespace: string): TableMapping {
  const table = mapping.collections.get(namespace);
  if (!table) throw new Error(`the bench mapping has no ${namespace}`);
  return table;
}

/** Creates a mapping's parent and child tables as Tributary creates them. */
export async function createMappedTables(client: pg.ClientBase, table: TableMapping): Promise<void> {
  for (const statement of createStatements(table).required) await client.query(statement);
}

/** A document's rows (parent and children) with its cluster time, as the sink's writers make them. */
export function rowsOf(table: TableMapping, doc: Document, clusterSeconds: number): ExtractedRows {
  const rows = extractRows(table, doc);
  if (isRejection(rows)) throw new Error(`a bench document does not fit its mapping: ${rows.field}: ${rows.reason}`);
  rows.row[CLUSTER_TIME_COLUMN] = clusterSeconds;
  return rows;
}

/**
 * The bare relational baseline: the documents' parent and child rows encoded before the clock
 * starts, in the format the sink's `COPY` sends them (binary, or text lines when a column has no
 * binary form), then one `COPY` per table in one transaction, and nothing else (no staging, no
 * upsert, no progress rows): what PostgreSQL can take in, the floor of any relational snapshot's
 * cost. Holds every row's encoding in memory.
 */
export async function copyPreEncoded(url: string, table: TableMapping, documents: Iterable<Document>, clusterSeconds: number): Promise<{ seconds: number; items: number }> {
  const targets = [
    { name: qualifiedName(table.schema, table.table), columns: parentColumns(table), rows: [] as Row[] },
    ...table.children.map((child) => ({ name: qualifiedName(child.table.schema, child.table.table), columns: childColumns(child), rows: [] as Row[], child: child.table })),
  ];
  let items = 0;
  for (const doc of documents) {
    const rows = rowsOf(table, doc, clusterSeconds);
    targets[0]?.rows.push(rows.row);
    for (const target of targets.slice(1)) {
      for (const children of rows.children) if ("child" in target && children.table === target.child) target.rows.push(...children.rows);
    }
    items += 1;
  }
  const pieces = targets.map((target) => {
    const { options, pieces: encoded } = encodedForCopy(target.columns, target.rows);
    return { ...target, options, pieces: [...encoded] };
  });
  const client = new pg.Client({ connectionString: url, application_name: "tributary bench baseline" });
  await client.connect();
  try {
    await createMappedTables(client, table);
    const started = performance.now();
    await client.query("BEGIN");
    for (const target of pieces) {
      const columns = target.columns.map((column) => quoteIdent(column.name)).join(", ");
      await pipeline(Readable.from(target.pieces), client.query(copyFrom(`COPY ${target.name} (${columns}) FROM STDIN${target.options}`)));
    }
    await client.query("COMMIT");
    return { seconds: (performance.now() - started) / 1000, items };
  } finally {
    await client.end();
  }
}
