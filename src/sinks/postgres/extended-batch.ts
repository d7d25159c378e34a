import type { ClientBase, Connection, Submittable } from "pg";

/**
 * A statement of an {@link ExtendedBatch}: a statement prepared on the connection and its
 * parameters as text; a text run as it is (one statement); or a text to prepare under a name,
 * not run.
 */
export type BatchStatement =
  | { readonly prepared: string; readonly parameters: readonly (string | null)[] }
  | { readonly text: string }
  | { readonly prepare: string; readonly text: string };

/**
 * Statements sent in one write, in PostgreSQL's extended query protocol, and answered in one round
 * trip: for each, a Bind of a prepared statement (by name, its parameters as text) or a Parse of
 * its text, then an Execute; then a single Sync. PostgreSQL runs them in order, skips the rest
 * once one fails, and ends the transaction at the Sync unless a BEGIN opened a block: the
 * statements before a Sync are one implicit transaction (PostgreSQL's protocol documentation,
 * "Pipelining"; only a command that cannot run in a transaction block, such as CREATE DATABASE,
 * commits at once, and the sink queues none). No result is read.
 *
 * Against the same prepared statements as `EXECUTE name(literals)` in one simple-protocol query,
 * PostgreSQL parses no literal and runs no EXECUTE: a change sent alone with the bench's mapping
 * file took 0.19 instead of 0.24 ms of a round trip (docs/benchmarks.md, fourteenth pass).
 */
export class ExtendedBatch implements Submittable {
  private settled = false;

  /**
   * Called once, when the batch is done: node-postgres wraps it, as it does a query's callback,
   * to clear the timer of the connection's `query_timeout` (which would otherwise keep the
   * process alive until it fires, and then fail the batch after the fact).
   */
  callback: (error?: unknown) => void;

  constructor(
    readonly statements: readonly BatchStatement[],
    done: (error?: unknown) => void,
  ) {
    this.callback = done;
  }

  submit(connection: Connection): void {
    // One write, as node-postgres sends an extended query of its own (query.js).
    const stream = connection.stream as { cork?: () => void; uncork?: () => void };
    stream.cork?.();
    try {
      for (const statement of this.statements) {
        if ("prepare" in statement) {
          connection.parse({ name: statement.prepare, text: statement.text, types: [] }, true);
          continue;
        }
        if ("text" in statement) {
          connection.parse({ name: "", text: statement.text, types: [] }, true);
          connection.bind({ statement: "", portal: "", values: [] }, true);
        } else {
          connection.bind({ statement: statement.prepared, portal: "", values: statement.parameters as (string | null)[] }, true);
        }
        connection.execute({ portal: "" }, true);
      }
      connection.sync();
    } finally {
      stream.uncork?.();
    }
  }

  // node-postgres calls these with what PostgreSQL answers. An error ends the batch at once, as
  // it does a query of its own: the client then waits for ReadyForQuery before the next query.
  handleError(error: unknown): void {
    this.settle(error);
  }

  handleReadyForQuery(): void {
    this.settle();
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  private settle(error?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.callback(error);
  }
}

/** Sends `statements` on `client` as one {@link ExtendedBatch}; settles once PostgreSQL has answered all of them, or refused one. */
export function sendExtendedBatch(client: ClientBase, statements: readonly BatchStatement[]): Promise<void> {
  return new Promise((resolve, reject) => {
    client.query(new ExtendedBatch(statements, (error) => (error === undefined ? resolve() : reject(error))));
  });
}
