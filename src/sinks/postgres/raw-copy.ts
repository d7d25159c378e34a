import type { ClientBase } from "pg";
import { encodeDocument } from "../../codec/document-codec.js";
import { BulkLoadDeclined } from "./bulk-load.js";
import { binaryPieces, copyBinary } from "./copy-binary.js";
import { mergeCopiedThroughStage, type Stage } from "./staging-merge.js";
import type { RowChange } from "./coalesce.js";
import { encodingRejection, type Rejection, type RejectionHandler } from "./dead-letters.js";
import { qualifiedName } from "./sql.js";
import type { TableRef } from "./table-layout.js";

/** A row change that writes a document. */
export type UpsertChange = Extract<RowChange, { kind: "upsert" }>;

/** The session's staging table: rows land here by `COPY`, then merge into the raw table in one statement. */
const STAGE: Stage = { name: "tributary_raw_stage", definitions: "_id text NOT NULL, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL" };
const COLUMNS = "_id, doc, _cluster_time";
const UPSERT = " ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc, _cluster_time = EXCLUDED._cluster_time, _synced_at = now()";

/**
 * Copies documents straight into a raw table (`_id`, `doc`, `_cluster_time`), as plain inserts,
 * encoding them while COPY sends them so that encoding overlaps with PostgreSQL's work. For keys
 * the table does not hold: one it holds fails the COPY with a unique violation (PostgreSQL's
 * 23505). A document jsonb cannot hold goes to `onReject` instead. When PostgreSQL inserted fewer
 * rows than were sent, the load is declined ({@link BulkLoadDeclined}) and the caller writes the
 * changes the set-based way: a user's `BEFORE INSERT` trigger that keeps rows out fires there too,
 * and rows a fault of the writer had lost are written after all.
 */
export async function copyRawRows(client: ClientBase, ref: TableRef, changes: readonly UpsertChange[], onReject: RejectionHandler): Promise<void> {
  const rows = new RawCopyRows(ref.namespace, changes);
  const inserted = await copyBinary(client, `${qualifiedName(ref.schema, ref.table)} (${COLUMNS})`, rows.pieces());
  if (inserted !== rows.copied) throw new BulkLoadDeclined(`COPY into ${ref.schema}.${ref.table} inserted ${inserted} of ${rows.copied} rows`);
  await rejectAll(client, ref, rows, onReject);
}

/**
 * Upserts documents into a raw table through `COPY` into a temporary staging table and one
 * `INSERT … SELECT … ON CONFLICT`, in the caller's transaction; as {@link copyRawRows} otherwise.
 */
export async function mergeRawRows(client: ClientBase, ref: TableRef, changes: readonly UpsertChange[], onReject: RejectionHandler): Promise<void> {
  const rows = new RawCopyRows(ref.namespace, changes);
  const copy = async (destination: string): Promise<number> => {
    const staged = await copyBinary(client, destination, rows.pieces());
    // The staging table is the session's own, with no trigger: every row sent is a row staged.
    if (staged !== rows.copied) throw new Error(`COPY into ${destination} staged ${staged} of ${rows.copied} rows`);
    return staged;
  };
  await mergeCopiedThroughStage(client, STAGE, qualifiedName(ref.schema, ref.table), COLUMNS, copy, UPSERT);
  await rejectAll(client, ref, rows, onReject);
}

/** Documents that could not be encoded, handled once the COPY is over (the connection was busy with it). */
async function rejectAll(client: ClientBase, ref: TableRef, rows: RawCopyRows, onReject: RejectionHandler): Promise<void> {
  for (const { change, rejection } of rows.rejected) await onReject(client, ref.namespace, change, rejection);
}

/** The documents' rows in COPY's binary format, encoded as they are read; documents that cannot be encoded are set aside. */
class RawCopyRows {
  readonly rejected: { change: UpsertChange; rejection: Rejection }[] = [];
  /** Rows written into the pieces so far. */
  copied = 0;
  private readonly namespace: string;
  private readonly changes: readonly UpsertChange[];

  constructor(namespace: string, changes: readonly UpsertChange[]) {
    this.namespace = namespace;
    this.changes = changes;
  }

  /** One row per document (`_id`, `doc`, `_cluster_time`), encoded as it is read. */
  pieces(): Generator<Buffer> {
    // By key: MongoDB's `_id`s are unique, but a merge must never meet one key twice.
    const keys = new Set<string>();
    return binaryPieces(this.changes, (change, out) => {
      if (keys.has(change.key)) return;
      keys.add(change.key);
      const json = this.encode(change);
      if (json === undefined) return;
      out.row(3);
      out.text(change.key);
      out.jsonb(json);
      out.timestamp(change.event.clusterTime.t);
      this.copied += 1;
    });
  }

  private encode(change: UpsertChange): string | undefined {
    try {
      return JSON.stringify(encodeDocument(change.doc, { namespace: this.namespace, key: change.key }));
    } catch (error) {
      const rejection = encodingRejection(error);
      if (!rejection) throw error;
      this.rejected.push({ change, rejection });
      return undefined;
    }
  }
}
