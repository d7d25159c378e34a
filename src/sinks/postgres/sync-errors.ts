import type pg from "pg";
import { redactSecrets } from "../../core/redact.js";
import { withOneOffClient } from "./one-off-client.js";
import { qualifiedName } from "./sql.js";

/** The error a sync of a pipeline stopped on, as it is recorded. */
export interface SyncErrorReport {
  readonly pipeline: string;
  /** The sink that failed, when one did (`postgres` for the target). */
  readonly sink: string | undefined;
  /** The error's stable code (`TRIB_…`), or the name of an unexpected error. */
  readonly code: string;
  readonly message: string;
  /** The collection (`db.coll`) the error is about, when known. */
  readonly namespace: string | undefined;
}

/** A recorded error, with when it happened and, once a later sync ran healthy, when it was resolved. */
export interface SyncErrorRow extends SyncErrorReport {
  readonly occurredAt: Date;
  readonly resolvedAt: Date | undefined;
}

/** The longest message kept: a stack of causes is for the log, the table keeps what a person reads. */
const MAX_MESSAGE = 2000;

/**
 * The last error each pipeline's sync stopped on, in the target's checkpoint schema (one row per
 * pipeline), so that `tributary status` and the status page can show it after the process is
 * gone. Only the redacted message is stored.
 */
export function syncErrorsTable(schema: string): { readonly name: string; readonly createStatement: string } {
  const name = qualifiedName(schema, "sync_errors");
  return {
    name,
    createStatement: `CREATE TABLE IF NOT EXISTS ${name} (
      pipeline text PRIMARY KEY,
      sink text,
      code text NOT NULL,
      message text NOT NULL,
      namespace text,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz
    )`,
  };
}

/** How long recording may take: the error being recorded may be that PostgreSQL is slow or gone. */
const RECORD_TIMEOUT_MS = 10_000;

/**
 * Records the error a sync stopped on, replacing the pipeline's previous one. The checkpoint
 * schema must exist (the target was opened); the table is created on first use.
 */
export async function recordSyncError(url: string, schema: string, report: SyncErrorReport): Promise<void> {
  const table = syncErrorsTable(schema);
  await withOneOffClient(
    url,
    "tributary",
    (where) => `recording the sync's error in ${table.name} of ${where}`,
    async (client) => {
      await client.query(table.createStatement);
      await client.query(
        `INSERT INTO ${table.name} (pipeline, sink, code, message, namespace) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (pipeline) DO UPDATE SET sink = EXCLUDED.sink, code = EXCLUDED.code, message = EXCLUDED.message,
           namespace = EXCLUDED.namespace, occurred_at = now(), resolved_at = NULL`,
        [report.pipeline, report.sink ?? null, report.code, redactSecrets(report.message).slice(0, MAX_MESSAGE), report.namespace ?? null],
      );
    },
    { timeoutMs: RECORD_TIMEOUT_MS },
  );
}

/** Marks the pipeline's recorded error resolved (a later sync runs healthy); nothing when there is none. */
export async function resolveSyncError(url: string, schema: string, pipeline: string): Promise<void> {
  const table = syncErrorsTable(schema);
  await withOneOffClient(
    url,
    "tributary",
    (where) => `marking the sync's last error resolved in ${table.name} of ${where}`,
    async (client) => {
      if (!(await tableExists(client, table.name))) return;
      await client.query(`UPDATE ${table.name} SET resolved_at = now() WHERE pipeline = $1 AND resolved_at IS NULL`, [pipeline]);
    },
    { timeoutMs: RECORD_TIMEOUT_MS },
  );
}

/** Every pipeline's recorded error (none when the table does not exist yet); reads only. */
export async function readSyncErrors(client: pg.Client, schema: string): Promise<SyncErrorRow[]> {
  const { name } = syncErrorsTable(schema);
  if (!(await tableExists(client, name))) return [];
  const { rows } = await client.query<{ pipeline: string; sink: string | null; code: string; message: string; namespace: string | null; occurred_at: Date; resolved_at: Date | null }>(
    `SELECT pipeline, sink, code, message, namespace, occurred_at, resolved_at FROM ${name} ORDER BY pipeline`,
  );
  return rows.map((row) => ({
    pipeline: row.pipeline,
    sink: row.sink ?? undefined,
    code: row.code,
    // Redacted again on the way out: a row written by hand, or by an older version, is shown safely too.
    message: redactSecrets(row.message),
    namespace: row.namespace ?? undefined,
    occurredAt: row.occurred_at,
    resolvedAt: row.resolved_at ?? undefined,
  }));
}

async function tableExists(client: pg.Client, table: string): Promise<boolean> {
  return (await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [table])).rows[0]?.found === true;
}
