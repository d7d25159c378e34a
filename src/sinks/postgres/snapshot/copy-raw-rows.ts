import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Timestamp } from "mongodb";
import type { PoolClient } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { encodeDocument } from "../../../codec/document-codec.js";
import type { RowChange } from "../../../pipeline/coalesce.js";
import { encodingRejection, type RejectionHandler } from "../dead-letters.js";
import { qualifiedName } from "../sql.js";
import type { TableRef } from "../table-layout.js";

/** A row change that writes a document (a snapshot only has those). */
export type UpsertChange = Extract<RowChange, { kind: "upsert" }>;

/** Per-session staging table: rows land here by `COPY`, then merge into the raw table in one statement. */
const STAGE = "pg_temp.tributary_snapshot_stage";
/** Rows are sent in pieces of about this many characters. */
const PIECE_CHARS = 64 * 1024;
const COPY_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/**
 * A field of `COPY … FROM STDIN` in text format: backslash, tab, newline and carriage return
 * escaped, everything else as is. With every backslash doubled, no field can read as the NULL
 * marker `\N` or the end-of-data line `\.`.
 */
export function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (char) => COPY_ESCAPES[char] ?? char);
}

/**
 * Writes snapshot documents into a raw table (`_id`, `doc`, `_cluster_time`) by bulk load:
 * `COPY` into a temporary staging table, then one `INSERT … SELECT … ON CONFLICT` that merges
 * them (rows of earlier runs or of the stream are updated). Same rows as the streaming path
 * writes; a document jsonb cannot hold goes to the rejection handler instead.
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
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS tributary_snapshot_stage (_id text NOT NULL, doc jsonb NOT NULL) ON COMMIT DELETE ROWS`);
    this.staged.add(client);
  }

  /** Writes the documents inside the caller's transaction (once per transaction: the stage empties at commit). */
  async write(client: PoolClient, ref: TableRef, changes: readonly UpsertChange[], clusterTime: Timestamp): Promise<void> {
    // By key: MongoDB's `_id`s are unique, but a merge must never meet one key twice.
    const lines = new Map<string, string>();
    for (const change of changes) {
      let json: string;
      try {
        json = JSON.stringify(encodeDocument(change.doc, { namespace: ref.namespace, key: change.key }));
      } catch (error) {
        const rejection = encodingRejection(error);
        if (!rejection) throw error;
        await this.onReject(client, ref.namespace, change, rejection);
        continue;
      }
      lines.set(change.key, `${copyText(change.key)}\t${copyText(json)}\n`);
    }
    if (lines.size === 0) return;
    await pipeline(Readable.from(pieces(lines.values())), client.query(copyFrom(`COPY ${STAGE} (_id, doc) FROM STDIN`)));
    await client.query(
      `INSERT INTO ${qualifiedName(ref.schema, ref.table)} (_id, doc, _cluster_time)
       SELECT _id, doc, to_timestamp($1::double precision) FROM ${STAGE}
       ON CONFLICT (_id) DO UPDATE SET doc = EXCLUDED.doc, _cluster_time = EXCLUDED._cluster_time, _synced_at = now()`,
      [clusterTime.t],
    );
  }
}

/** Lines joined into pieces of about {@link PIECE_CHARS}: fewer, larger writes to the socket. */
function* pieces(lines: Iterable<string>): Generator<string> {
  let piece = "";
  for (const line of lines) {
    piece += line;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = "";
    }
  }
  if (piece !== "") yield piece;
}
