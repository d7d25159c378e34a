import pg from "pg";
import type { Statements } from "./statement-queue.js";
import { mergeThroughStage } from "./relational/copy-relational-rows.js";
import { CLUSTER_TIME_COLUMN } from "./relational/relational-ddl.js";
import { COPY_FROM_ROWS } from "./copy-text.js";
import type { RowColumn } from "./relational/relational-columns.js";

/** A raw table's columns as the merge through COPY fills them (the cluster time in seconds). */
const RAW_COLUMNS: readonly RowColumn[] = [
  { name: "_id", sql: "text" },
  { name: "doc", sql: "jsonb" },
  { name: CLUSTER_TIME_COLUMN, sql: "double precision" },
];
import { encodeDocument, type JsonValue } from "../../codec/document-codec.js";
import type { RowChange } from "./coalesce.js";
import { encodingRejection, type RejectionHandler } from "./dead-letters.js";
import { qualifiedName } from "./sql.js";
import type { TableRef } from "./table-layout.js";

/**
 * Writes coalesced row changes into a raw table (`_id`, `doc`, `_cluster_time`) with one
 * statement per kind: all upserts through `jsonb_to_recordset` of a single parameter (on a
 * connection and from {@link COPY_FROM_ROWS} of them, through COPY into a staging table and one
 * merge), all deletes through `= ANY($1)`. No round trip per row. A document jsonb cannot hold goes to
 * `onReject` instead.
 */
export async function writeRawRows(client: Statements, ref: TableRef, changes: readonly RowChange[], onReject: RejectionHandler): Promise<void> {
  const table = qualifiedName(ref.schema, ref.table);
  const upserts: { id: string; doc: JsonValue; ts: number }[] = [];
  const deletes: string[] = [];
  for (const change of changes) {
    if (change.kind === "delete") {
      deletes.push(change.key);
      continue;
    }
    let doc: JsonValue;
    try {
      doc = encodeDocument(change.doc, { namespace: ref.namespace, key: change.key });
    } catch (error) {
      const rejection = encodingRejection(error);
      if (!rejection) throw error;
      await onReject(client, ref.namespace, change, rejection);
      continue;
    }
    upserts.push({ id: change.key, doc, ts: change.event.clusterTime.t });
  }
  if (deletes.length > 0) {
    await client.query(`DELETE FROM ${table} WHERE _id = ANY($1::text[])`, [deletes]);
  }
  if (client instanceof pg.Client && upserts.length >= COPY_FROM_ROWS) {
    const rows = upserts.map((upsert) => ({ _id: upsert.id, doc: upsert.doc, [CLUSTER_TIME_COLUMN]: upsert.ts }));
    await mergeThroughStage(client, table, RAW_COLUMNS, rows, ` ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc, _cluster_time = EXCLUDED._cluster_time, _synced_at = now()`);
  } else if (upserts.length > 0) {
    await client.query(
      `INSERT INTO ${table} (_id, doc, _cluster_time)
       SELECT r.id, r.doc, to_timestamp(r.ts) FROM jsonb_to_recordset($1::jsonb) AS r(id text, doc jsonb, ts double precision)
       ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc, _cluster_time = EXCLUDED._cluster_time, _synced_at = now()`,
      [JSON.stringify(upserts)],
    );
  }
}
