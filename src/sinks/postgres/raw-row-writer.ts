import pg, { type ClientBase } from "pg";
import type { Statements } from "./statement-queue.js";
import { COPY_FROM_ROWS } from "./copy-text.js";
import { mergeRawRows, type UpsertChange } from "./raw-copy.js";
import { mayCreateTempTables } from "./temp-tables.js";
import { encodeDocument, type JsonValue } from "../../codec/document-codec.js";
import type { RowChange } from "./coalesce.js";
import { encodingRejection, type Rejection, type RejectionHandler } from "./dead-letters.js";
import { qualifiedName } from "./sql.js";
import { deleteOlderStatement, ONLY_OVER_OLDER, rejectedUnlessNewer } from "./keep-newer.js";
import type { TableRef } from "./table-layout.js";

/**
 * Writes coalesced row changes into a raw table (`_id`, `doc`, `_cluster_time`) with one
 * statement per kind: all deletes through `= ANY($1)`, all upserts through `jsonb_to_recordset`
 * of a single parameter, or, from {@link COPY_FROM_ROWS} of them on a connection whose role may
 * create temporary tables, through COPY into a staging table and one merge ({@link mergeRawRows}).
 * No round trip per row. A document jsonb cannot hold goes to `onReject` instead.
 */
export function writeRawRows(client: Statements, ref: TableRef, changes: readonly RowChange[], onReject: RejectionHandler): Promise<void> {
  return writeRaw(client, ref, changes, onReject);
}

/**
 * {@link writeRawRows} for a copy made beside a running sync (`TableLayout.writeKeepingNewer`): a
 * row of the same second as its change or later is neither overwritten nor deleted, nor is its
 * document set aside. Always by `jsonb_to_recordset`, on a connection: it reads which rows are newer.
 */
export function writeRawRowsKeepingNewer(client: ClientBase, ref: TableRef, changes: readonly RowChange[], onReject: RejectionHandler): Promise<void> {
  return writeRaw(client, ref, changes, onReject, client);
}

/** Both of the above: `keepNewerOn` is the connection of a copy beside the sync. */
async function writeRaw(client: Statements, ref: TableRef, changes: readonly RowChange[], onReject: RejectionHandler, keepNewerOn?: ClientBase): Promise<void> {
  const keepNewer = keepNewerOn !== undefined;
  const table = qualifiedName(ref.schema, ref.table);
  const deletes = changes.filter((change) => change.kind === "delete");
  if (deletes.length > 0) {
    const keys = deletes.map((change) => change.key);
    if (keepNewer) await client.query(deleteOlderStatement(table, "_id", "text"), [keys, deletes.map((change) => change.event.clusterTime.t)]);
    else await client.query(`DELETE FROM ${table} WHERE _id = ANY($1::text[])`, [keys]);
  }
  const upsertChanges = changes.filter((change): change is UpsertChange => change.kind === "upsert");
  if (!keepNewer && client instanceof pg.Client && upsertChanges.length >= COPY_FROM_ROWS && (await mayCreateTempTables(client))) {
    await mergeRawRows(client, ref, upsertChanges, onReject);
    return;
  }
  const upserts: { id: string; doc: JsonValue; ts: number }[] = [];
  const rejected: { change: UpsertChange; rejection: Rejection }[] = [];
  for (const change of upsertChanges) {
    try {
      upserts.push({ id: change.key, doc: encodeDocument(change.doc, { namespace: ref.namespace, key: change.key }), ts: change.event.clusterTime.t });
    } catch (error) {
      const rejection = encodingRejection(error);
      if (!rejection) throw error;
      rejected.push({ change, rejection });
    }
  }
  // A copy beside the sync sets aside no document whose row the sync has written since.
  const setAside = keepNewerOn ? await rejectedUnlessNewer(keepNewerOn, table, { column: "_id", type: "text" }, rejected, (change) => change.key) : rejected;
  for (const { change, rejection } of setAside) await onReject(client, ref.namespace, change, rejection);
  if (upserts.length > 0) {
    await client.query(
      `INSERT INTO ${table} AS t (_id, doc, _cluster_time)
       SELECT r.id, r.doc, to_timestamp(r.ts) FROM jsonb_to_recordset($1::jsonb) AS r(id text, doc jsonb, ts double precision)
       ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc, _cluster_time = EXCLUDED._cluster_time, _synced_at = now()${keepNewer ? ONLY_OVER_OLDER : ""}`,
      [JSON.stringify(upserts)],
    );
  }
}
