import type { Timestamp } from "bson";
import type { PoolClient } from "pg";
import { encodeDocument } from "../../../codec/document-codec.js";
import { copyLines, copyText } from "../copy-text.js";
import type { RowChange } from "../coalesce.js";
import { encodingRejection, type Rejection, type RejectionHandler } from "../dead-letters.js";
import { qualifiedName } from "../sql.js";
import type { TableRef } from "../table-layout.js";

/** A row change that writes a document (a snapshot only has those). */
export type UpsertChange = Extract<RowChange, { kind: "upsert" }>;

/** Per-session staging table: rows land here by `COPY`, then merge into the raw table in one statement. */
const STAGE = "pg_temp.tributary_snapshot_stage";
const UNIQUE_VIOLATION = "23505";

/**
 * Writes snapshot documents into a raw table (`_id`, `doc`, `_cluster_time`) by bulk load.
 * Documents are encoded while `COPY` sends them, so encoding overlaps with PostgreSQL's work.
 * Into a table that was empty when its snapshot started, rows are copied straight in; otherwise
 * (a resumed or repeated snapshot, whose rows may exist) they go into a temporary staging table
 * and one `INSERT … SELECT … ON CONFLICT` merges them. A straight copy that meets an existing
 * row falls back to the merge, so it is only ever faster, never wrong. A document jsonb cannot
 * hold goes to the rejection handler instead.
 */
export class RawRowCopier {
  private readonly onReject: RejectionHandler;
  /** Connections whose session has the staging table. */
  private readonly staged = new WeakSet<PoolClient>();

  constructor(onReject: RejectionHandler) {
    this.onReject = onReject;
  }

  /**
   * Creates the session's staging table once per connection. Call outside a transaction: a
   * table created in one that rolls back would be gone while the connection is marked staged.
   */
  async prepare(client: PoolClient): Promise<void> {
    if (this.staged.has(client)) return;
    // ON COMMIT DELETE ROWS: each chunk's transaction starts with an empty stage.
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS tributary_snapshot_stage (_id text NOT NULL, doc jsonb NOT NULL, _cluster_time timestamptz NOT NULL) ON COMMIT DELETE ROWS`);
    this.staged.add(client);
  }

  /**
   * Writes the documents inside the caller's transaction (once per transaction: the stage
   * empties at commit). `straight`: the table held no rows when the snapshot started.
   */
  async write(client: PoolClient, ref: TableRef, changes: readonly UpsertChange[], clusterTime: Timestamp, straight: boolean): Promise<void> {
    const table = qualifiedName(ref.schema, ref.table);
    let rows = new CopyRows(ref.namespace, changes, clusterTime);
    if (straight) {
      await client.query("SAVEPOINT tributary_copy");
      try {
        await copyInto(client, `${table} (_id, doc, _cluster_time)`, rows);
        await client.query("RELEASE SAVEPOINT tributary_copy");
        await this.rejectAll(client, ref, rows);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
        await client.query("ROLLBACK TO SAVEPOINT tributary_copy");
        rows = new CopyRows(ref.namespace, changes, clusterTime);
      }
    }
    await copyInto(client, `${STAGE} (_id, doc, _cluster_time)`, rows);
    if (rows.count > 0) {
      await client.query(
        `INSERT INTO ${table} (_id, doc, _cluster_time) SELECT _id, doc, _cluster_time FROM ${STAGE}
         ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc, _cluster_time = EXCLUDED._cluster_time, _synced_at = now()`,
      );
    }
    await this.rejectAll(client, ref, rows);
  }

  /** Documents that could not be encoded, handled once the COPY is over (the connection was busy with it). */
  private async rejectAll(client: PoolClient, ref: TableRef, rows: CopyRows): Promise<void> {
    for (const { change, rejection } of rows.rejected) await this.onReject(client, ref.namespace, change, rejection);
  }
}

/** The COPY text of a chunk, encoded as it is read; documents that cannot be encoded are set aside. */
class CopyRows {
  readonly rejected: { change: UpsertChange; rejection: Rejection }[] = [];
  count = 0;
  private readonly namespace: string;
  private readonly changes: readonly UpsertChange[];
  private readonly time: string;

  constructor(namespace: string, changes: readonly UpsertChange[], clusterTime: Timestamp) {
    this.namespace = namespace;
    this.changes = changes;
    this.time = new Date(clusterTime.t * 1000).toISOString();
  }

  /** One line per document, encoded as it is read. */
  *lines(): Generator<string> {
    // By key: MongoDB's `_id`s are unique, but a merge must never meet one key twice.
    const keys = new Set<string>();
    for (const change of this.changes) {
      if (keys.has(change.key)) continue;
      keys.add(change.key);
      const json = this.encode(change);
      if (json === undefined) continue;
      this.count += 1;
      yield `${copyText(change.key)}\t${copyText(json)}\t${this.time}\n`;
    }
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

function copyInto(client: PoolClient, destination: string, rows: CopyRows): Promise<void> {
  return copyLines(client, destination, rows.lines());
}
