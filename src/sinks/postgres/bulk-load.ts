import type { PoolClient } from "pg";
import type { RowChange } from "./coalesce.js";
import type { TableLayout, TableRef } from "./table-layout.js";

/** SQLSTATE of a duplicate key (unique_violation). */
const UNIQUE_VIOLATION = "23505";

/**
 * Thrown by a layout's `bulkLoad` that finds, while loading, that the changes must be written
 * the usual way after all (an inferred mapping that these documents make evolve): the caller
 * rolls back to its savepoint and calls `write`, as for a key the tables held.
 */
export class BulkLoadDeclined extends Error {}

/** Whether a bulk load failed in a way that writing the changes the usual way mends: a key the tables held, or {@link BulkLoadDeclined}. */
export function isDeclinedBulkLoad(error: unknown): boolean {
  return error instanceof BulkLoadDeclined || (error as { code?: unknown } | undefined)?.code === UNIQUE_VIOLATION;
}

/**
 * Bulk-loads documents whose keys the tables are not expected to hold (a snapshot into tables
 * empty at its start; a streaming batch of insert events) by the layout's plain COPY; a key found
 * there after all (a chunk redone after a lost COMMIT, a change replayed after a restart), or a
 * load the layout declines ({@link BulkLoadDeclined}), rolls back to a savepoint and merges
 * instead, so the fast path is only ever faster, never wrong.
 * Layouts without a bulk load write as usual.
 */
export async function bulkLoadOrWrite(client: PoolClient, layout: TableLayout, ref: TableRef, changes: readonly RowChange[]): Promise<void> {
  if (!layout.bulkLoad) return layout.write(client, ref, changes);
  await client.query("SAVEPOINT tributary_bulk_load");
  try {
    await layout.bulkLoad(client, ref, changes);
    await client.query("RELEASE SAVEPOINT tributary_bulk_load");
  } catch (error) {
    if (!isDeclinedBulkLoad(error)) throw error;
    await client.query("ROLLBACK TO SAVEPOINT tributary_bulk_load");
    await layout.write(client, ref, changes);
  }
}
