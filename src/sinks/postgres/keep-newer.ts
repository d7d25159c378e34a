import type { ClientBase } from "pg";
import type { RowChange } from "./coalesce.js";
import { arrayParameter, quoteIdent } from "./sql.js";

// A copy made beside a running sync (`Batch.keepNewer`: `verify --repair`, `dead-letters retry`)
// read its documents at or after its events' cluster time; the sync may have written a later
// change since. Every Tributary table keeps the cluster time of the change that wrote a row, in
// whole seconds (`_cluster_time`): a row of the same second or later may be newer than the copy,
// so only a strictly older row is overwritten or deleted. A row of that very second is kept,
// which the copy's own check reports as still differing. A delete leaves no row behind: a
// document deleted after the copy read it can come back (docs/verify.md says so).

/** The `WHERE` of an `ON CONFLICT … DO UPDATE` into a table aliased `t`: only a row strictly older than the new one. */
export const ONLY_OVER_OLDER = " WHERE t._cluster_time < EXCLUDED._cluster_time";

/**
 * `DELETE` of the rows of keys (`$1`, of `keyType`) each strictly older than its delete's cluster
 * time (`$2`, seconds).
 */
export function deleteOlderStatement(table: string, keyColumn: string, keyType: string): string {
  return `DELETE FROM ${table} AS t USING unnest($1::${keyType}[], $2::double precision[]) AS d(key, seconds) WHERE t.${quoteIdent(keyColumn)} = d.key AND t._cluster_time < to_timestamp(d.seconds)`;
}

/**
 * The rejected changes (documents the tables cannot hold) whose key has no row of the change's
 * second or later: a document the running sync has written since, from a later change, is not set
 * aside for the older copy. `keyOf` gives a change's key in the key column's type, or undefined
 * when it cannot be one (no row can have it then). A row the sync is updating is waited for and
 * judged as it commits (`FOR SHARE`); a row it is inserting is not seen yet, and the document is
 * set aside as before: the safe side.
 */
export async function rejectedUnlessNewer<R extends { readonly change: RowChange }>(client: ClientBase, table: string, key: { readonly column: string; readonly type: string }, rejected: readonly R[], keyOf: (change: RowChange) => unknown): Promise<R[]> {
  const keyed = rejected.flatMap((each) => {
    const value = keyOf(each.change);
    return value === undefined ? [] : [{ each, value }];
  });
  if (keyed.length === 0) return [...rejected];
  const newer = await client.query<{ n: string }>(
    `SELECT d.n FROM unnest($1::${key.type}[], $2::double precision[]) WITH ORDINALITY AS d(key, seconds, n) JOIN ${table} AS t ON t.${quoteIdent(key.column)} = d.key WHERE t._cluster_time >= to_timestamp(d.seconds) FOR SHARE OF t`,
    [arrayParameter(keyed.map(({ value }) => value), key.type), keyed.map(({ each }) => each.change.event.clusterTime.t)],
  );
  const kept = new Set(newer.rows.map((row) => keyed[Number(row.n) - 1]?.each));
  return rejected.filter((each) => !kept.has(each));
}
