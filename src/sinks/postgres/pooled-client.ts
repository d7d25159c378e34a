import type pg from "pg";
import { PostgresConnectionLost } from "./connection-lost.js";

/**
 * Runs `work` on a pooled connection from `connect`. A connection that breaks while checked out
 * (the server restarts) reports it as an `error` event besides failing the query: unheard, that
 * event would crash the process, so it is heard here, and what `work` throws then is a
 * {@link PostgresConnectionLost}: pg words the failed query's error without a code. A broken
 * connection, or one `work` gives up on through `discard` (a failed ROLLBACK), is closed instead
 * of returned to the pool.
 */
export async function withPooledClient<T>(connect: () => Promise<pg.PoolClient>, work: (client: pg.PoolClient, discard: (error: Error) => void) => Promise<T>): Promise<T> {
  const client = await connect();
  let broken: Error | undefined;
  const discard = (error: Error): void => {
    broken ??= error;
  };
  client.on("error", discard);
  try {
    return await work(client, discard);
  } catch (error) {
    // pg emits the connection's `error` before it fails the queries in flight (on the next tick).
    throw broken !== undefined && !(error instanceof PostgresConnectionLost) && !hasCode(error) ? new PostgresConnectionLost(error) : error;
  } finally {
    client.removeListener("error", discard);
    client.release(broken);
  }
}

function hasCode(error: unknown): boolean {
  return typeof (error as { code?: unknown } | undefined)?.code === "string";
}

/** State kept in memory alongside a transaction (the table registry, a layout): it lasts only if the transaction commits. */
export interface TransactionStaged {
  commit?(): void;
  rollback?(): void;
}

/**
 * Runs `work` in a transaction on `client`: COMMIT and then `staged` commits, or `staged` rolls
 * back and then ROLLBACK (a failed ROLLBACK discards the connection) and the error is thrown.
 * `begin` starts the transaction: a caller may send its first statements in the same round trip.
 */
export async function inTransaction<T>(
  client: pg.PoolClient,
  discard: (error: Error) => void,
  work: () => Promise<T>,
  staged: readonly TransactionStaged[] = [],
  begin: (client: pg.PoolClient) => Promise<unknown> = (each) => each.query("BEGIN"),
): Promise<T> {
  try {
    await begin(client);
    const result = await work();
    await client.query("COMMIT");
    for (const each of staged) each.commit?.();
    return result;
  } catch (error) {
    for (const each of staged) each.rollback?.();
    await client.query("ROLLBACK").catch(discard);
    throw error;
  }
}
