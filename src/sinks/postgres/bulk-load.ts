/** SQLSTATE of a duplicate key (unique_violation). */
const UNIQUE_VIOLATION = "23505";

/**
 * A bulk load that must give way to the usual writes: the layout found, while loading, that the
 * changes must be written the usual way after all (an inferred mapping that these documents make
 * evolve, a raw table whose trigger kept rows out), or the load met a key the tables held
 * ({@link declineOnDuplicateKey}). Bulk loads are for documents whose keys the tables are not
 * expected to hold (a snapshot into tables empty at its start, a streaming batch of insert
 * events); the caller rolls the transaction back and writes it again without them, so the fast
 * path is only ever faster, never wrong. No savepoint guards a load, which saves two round trips
 * each.
 */
export class BulkLoadDeclined extends Error {}

/**
 * For the `catch` of a bulk load: a key the tables held after all (a snapshot's chunk redone
 * after a lost COMMIT, a change replayed after a restart) declines the load; any other error is
 * thrown as it is. Only the load's own errors decline it: the same error of another statement (a
 * user's unique index on a mapped column) fails the transaction without a second try.
 */
export function declineOnDuplicateKey(error: unknown): never {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === UNIQUE_VIOLATION) throw new BulkLoadDeclined(`the bulk load met a key the table holds: ${String(message)}`, { cause: error });
  throw error;
}

/**
 * Runs a transaction with bulk loads (`write(true)`), and once more without them
 * (`write(false)`) when a load was declined and rolled it back.
 */
export async function withBulkLoadsOrNot(write: (bulkLoads: boolean) => Promise<void>): Promise<void> {
  try {
    await write(true);
  } catch (error) {
    if (!(error instanceof BulkLoadDeclined)) throw error;
    await write(false);
  }
}
