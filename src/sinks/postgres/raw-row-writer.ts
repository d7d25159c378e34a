import type { Statements } from "./statement-queue.js";
import { encodeDocument, type JsonValue } from "../../codec/document-codec.js";
import type { RowChange } from "./coalesce.js";
import { encodingRejection, type RejectionHandler } from "./dead-letters.js";
import { qualifiedName } from "./sql.js";
import type { TableRef } from "./table-layout.js";

/**
 * Writes coalesced row changes into a raw table (`_id`, `doc`, `_cluster_time`) with one
 * statement per kind: all upserts through `jsonb_to_recordset` of a single parameter, all
 * deletes through `= ANY($1)`. No round trip per row. A document jsonb cannot hold goes to
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
  if (upserts.length > 0) {
    await client.query(
      `INSERT INTO ${table} (_id, doc, _cluster_time)
       SELECT r.id, r.doc, to_timestamp(r.ts) FROM jsonb_to_recordset($1::jsonb) AS r(id text, doc jsonb, ts double precision)
       ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc, _cluster_time = EXCLUDED._cluster_time, _synced_at = now()`,
      [JSON.stringify(upserts)],
    );
  }
}
