/** SQLSTATE of a duplicate key (unique_violation). */
const UNIQUE_VIOLATION = "23505";

/**
 * Thrown by a layout's `bulkLoad` that finds, while loading, that the changes must be written
 * the usual way after all (an inferred mapping that these documents make evolve, a raw table
 * whose trigger kept rows out): the caller rolls the transaction back and writes them with
 * `write`, as for a key the tables held.
 */
export class BulkLoadDeclined extends Error {}

/**
 * Whether a bulk load failed in a way that writing the changes the usual way mends: a key the
 * tables held after all (a snapshot's chunk redone after a lost COMMIT, a change replayed after a
 * restart), or {@link BulkLoadDeclined}. Bulk loads are for documents whose keys the tables are
 * not expected to hold (a snapshot into tables empty at its start, a streaming batch of insert
 * events): the caller then writes the transaction again without them, so the fast path is only
 * ever faster, never wrong.
 */
export function isDeclinedBulkLoad(error: unknown): boolean {
  return error instanceof BulkLoadDeclined || (error as { code?: unknown } | undefined)?.code === UNIQUE_VIOLATION;
}
