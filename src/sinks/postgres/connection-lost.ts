import pg from "pg";

/**
 * The connection to PostgreSQL broke under the work: the socket closed or failed while a query,
 * COMMIT included, was in flight, or while the connection was being set up. pg reports this
 * without a code (its wording is no contract), so the places that see the connection break
 * (the client's `error` event, the socket's `end` while connecting) say so with this type. The
 * outcome of the work is unknown: a retry asks first whether it committed.
 */
export class PostgresConnectionLost extends Error {
  override readonly name = "PostgresConnectionLost";

  constructor(cause: unknown) {
    super(`the connection to PostgreSQL was lost: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

type ConnectCallback = (error: Error | null, client?: pg.Client) => void;

/**
 * A pg client whose failed connection attempt says whether the socket closed under it (the
 * server went away, a relay cut it, a connect timeout destroyed it): then the error is a
 * {@link PostgresConnectionLost}, whatever pg's own error says. A refusal the server answers
 * with (bad password, no such database) keeps its SQLSTATE. Pass it as `Client` to `pg.Pool`,
 * which connects through the callback form.
 */
export class LossAwareClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (error: Error | null, client?: pg.Client) => void): void;
  override connect(callback?: ConnectCallback): Promise<pg.Client> | void {
    if (callback === undefined) return new Promise((resolve, reject) => this.connect((error) => (error ? reject(error) : resolve(this))));
    let closed = false;
    // Registered before pg's own `end` listener (added in connect), so it is told first.
    this.connection.once("end", () => (closed = true));
    super.connect((error: Error | null) => callback(error && closed && !hasCode(error) ? new PostgresConnectionLost(error) : error, this));
  }
}

function hasCode(error: Error): boolean {
  return typeof (error as { code?: unknown }).code === "string";
}
