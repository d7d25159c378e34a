import type pg from "pg";

/**
 * Runs `work` on a pooled connection from `connect`. A connection that breaks while checked out
 * (the server restarts) reports it as an `error` event besides failing the query: unheard, that
 * event would crash the process, so it is heard here. A broken connection, or one `work` gives up
 * on through `discard` (a failed ROLLBACK), is closed instead of returned to the pool.
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
  } finally {
    client.removeListener("error", discard);
    client.release(broken);
  }
}
