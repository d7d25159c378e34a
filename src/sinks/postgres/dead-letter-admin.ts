import type pg from "pg";
import { redactSecrets } from "../../core/redact.js";
import { withOneOffClient } from "./one-off-client.js";
import { qualifiedName } from "./sql.js";

/** Which dead letters a command concerns. */
export interface DeadLetterFilter {
  readonly pipeline?: string;
  /** `db.collection` */
  readonly collection?: string;
  /** Only those set aside at least this long ago (milliseconds). */
  readonly olderThanMs?: number;
}

/** A document set aside in `dead_letters`. */
export interface DeadLetterRow {
  readonly id: number;
  readonly pipeline: string;
  readonly namespace: string;
  readonly key: string;
  readonly field: string;
  readonly reason: string;
  readonly clusterTime: Date;
  readonly createdAt: Date;
}

/** The oldest first, at most `limit`. A target without the table has none. */
export function listDeadLetters(url: string, schema: string, filter: DeadLetterFilter, limit: number): Promise<DeadLetterRow[]> {
  return withTable(url, schema, [], async (client, table) => {
    const { where, values } = conditions(filter);
    const { rows } = await client.query<{ id: string; pipeline: string; namespace: string; key: string; field: string; reason: string; cluster_time: Date; created_at: Date }>(
      `SELECT id, pipeline, namespace, key, field, reason, cluster_time, created_at FROM ${table} ${where} ORDER BY created_at, id LIMIT $${values.length + 1}`,
      [...values, limit],
    );
    return rows.map((row) => ({ id: Number(row.id), pipeline: row.pipeline, namespace: row.namespace, key: row.key, field: row.field, reason: redactSecrets(row.reason), clusterTime: row.cluster_time, createdAt: row.created_at }));
  });
}

/** Deletes the dead letters the filter selects; returns how many. */
export function purgeDeadLetters(url: string, schema: string, filter: DeadLetterFilter): Promise<number> {
  return withTable(url, schema, 0, async (client, table) => {
    const { where, values } = conditions(filter);
    return (await client.query(`DELETE FROM ${table} ${where}`, values)).rowCount ?? 0;
  });
}

/** A dead letter to retry: which row, and the document's collection and key text. */
export interface SelectedDeadLetter {
  readonly id: number;
  readonly namespace: string;
  readonly key: string;
}

/** Every dead letter the filter selects, the oldest first. A target without the table has none. */
export function selectDeadLetters(url: string, schema: string, filter: DeadLetterFilter): Promise<SelectedDeadLetter[]> {
  return withTable(url, schema, [], async (client, table) => {
    const { where, values } = conditions(filter);
    const { rows } = await client.query<{ id: string; namespace: string; key: string }>(`SELECT id, namespace, key FROM ${table} ${where} ORDER BY created_at, id`, values);
    return rows.map((row) => ({ id: Number(row.id), namespace: row.namespace, key: row.key }));
  });
}

/**
 * After the retry of `retried` (all of one pipeline and collection) committed: deletes their
 * rows, and returns how many of their keys the sink set aside again meanwhile (rows newer
 * than every retried one; the sink writes new rows, it never keeps the old).
 */
export function settleRetriedDeadLetters(url: string, schema: string, pipeline: string, namespace: string, retried: readonly SelectedDeadLetter[]): Promise<number> {
  return withTable(url, schema, 0, async (client, table) => {
    const ids = retried.map((letter) => letter.id);
    const keys = [...new Set(retried.map((letter) => letter.key))];
    const again = await client.query<{ n: number }>(
      `SELECT count(DISTINCT key)::int AS n FROM ${table} WHERE pipeline = $1 AND namespace = $2 AND key = ANY($3::text[]) AND id > $4`,
      [pipeline, namespace, keys, Math.max(...ids)],
    );
    await client.query(`DELETE FROM ${table} WHERE id = ANY($1::bigint[])`, [ids]);
    return again.rows[0]?.n ?? 0;
  });
}

function conditions(filter: DeadLetterFilter): { where: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, value: unknown): void => {
    values.push(value);
    parts.push(sql.replace("?", `$${values.length}`));
  };
  if (filter.pipeline !== undefined) add("pipeline = ?", filter.pipeline);
  if (filter.collection !== undefined) add("namespace = ?", filter.collection);
  if (filter.olderThanMs !== undefined) add("created_at <= now() - make_interval(secs => ?)", filter.olderThanMs / 1000);
  return { where: parts.length > 0 ? `WHERE ${parts.join(" AND ")}` : "", values };
}

/** Runs `work` on the dead letters table of `schema`; `none` when it does not exist yet. */
function withTable<T>(url: string, schema: string, none: T, work: (client: pg.Client, table: string) => Promise<T>): Promise<T> {
  return withOneOffClient(url, "tributary dead-letters", (where) => `the dead letters of schema ${schema} in ${where}`, async (client) => {
    const table = qualifiedName(schema, "dead_letters");
    const exists = (await client.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [table])).rows[0]?.found === true;
    return exists ? await work(client, table) : none;
  });
}
