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
