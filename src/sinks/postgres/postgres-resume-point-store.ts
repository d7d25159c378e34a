import type pg from "pg";
import { ErrorCode } from "../../core/error-codes.js";
import { redactSecrets } from "../../core/redact.js";
import { TributaryError } from "../../core/tributary-error.js";
import { CheckpointTable } from "./checkpoint-table.js";
import { isTransientPostgresError, mapPostgresApplyError, mapPostgresConnectError } from "./postgres-errors.js";
import { withPooledClient } from "./pooled-client.js";
import { quoteIdent } from "./sql.js";
import type { Position } from "../../core/position.js";
import type { ResumePointStore } from "../../core/resume-point-store.js";
import { postgresPool } from "./pool-config.js";

/** @public */
export interface PostgresResumePointStoreOptions {
  /** Connection string of the database that keeps the positions. */
  readonly url: string;
  /** Schema of the `positions` table; default `tributary`. */
  readonly schema?: string;
  /** Tells this position from the others in the table (its `pipeline` column). */
  readonly key: string;
}

const CONNECT_TIMEOUT_MS = 30_000;
/** `CREATE … IF NOT EXISTS` run by two processes at once can still collide on the catalog. */
const CONCURRENT_CREATE_SQLSTATES = new Set(["23505", "42P06", "42P07"]);

/**
 * Keeps the position in a row of `<schema>.positions` in a PostgreSQL database (the table the
 * PostgreSQL sink keeps its own position in), created on first use. A save only moves the
 * position this store last read or wrote: if another process moved it meanwhile, two
 * processes run with the same key and the save fails with `CheckpointMismatch`.
 * @public
 */
export class PostgresResumePointStore implements ResumePointStore {
  readonly description: string;
  private readonly url: string;
  private readonly schema: string;
  private readonly where: string;
  private readonly table: CheckpointTable;
  private pool: pg.Pool | undefined;
  private prepared = false;
  /** What the row holds as far as this store knows; `null` until first read. */
  private stored: Position | undefined | null = null;

  constructor(options: PostgresResumePointStoreOptions) {
    this.url = options.url;
    this.schema = options.schema ?? "tributary";
    this.where = databaseOf(options.url);
    this.table = new CheckpointTable(this.schema, options.key);
    this.description = `PostgreSQL ${this.where} table ${this.schema}.positions key ${options.key}`;
  }

  async load(): Promise<Position | undefined> {
    const position = await this.withClient("read the resume point from", (client) => this.table.read(client));
    this.stored = position;
    return position;
  }

  async save(position: Position): Promise<void> {
    await this.withClient("save the resume point to", async (client) => {
      // A store that never read starts from what the row holds now.
      if (this.stored === null) this.stored = await this.table.read(client);
      try {
        await this.table.advance(client, this.stored, position);
      } catch (error) {
        // The previous save may have committed although its reply was lost: that is not another process.
        if (!(error instanceof TributaryError) || error.code !== ErrorCode.CheckpointMismatch) throw error;
        if ((await this.table.read(client))?.key !== position.key) throw error;
      }
    });
    this.stored = position;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.prepared = false;
    await pool?.end();
  }

  private withClient<T>(action: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withPooledClient(
      () => this.connect(),
      async (client, discard) => {
        try {
          if (!this.prepared) await this.prepare(client);
          return await work(client);
        } catch (error) {
          if (error instanceof TributaryError) throw error;
          if (isTransientPostgresError(error)) {
            discard(error as Error);
            throw mapPostgresConnectError(error, this.where);
          }
          throw mapPostgresApplyError(error, `the attempt to ${action} ${this.schema}.positions`);
        }
      },
    );
  }

  private async connect(): Promise<pg.PoolClient> {
    if (!this.pool) {
      this.pool = postgresPool({ url: this.url, max: 1, min: 1, applicationName: "tributary", connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
      // An idle connection that dies must not crash the process; the next call reconnects.
      this.pool.on("error", () => undefined);
    }
    try {
      return await this.pool.connect();
    } catch (error) {
      throw mapPostgresConnectError(error, this.where);
    }
  }

  private async prepare(client: pg.PoolClient): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        await client.query(this.table.createStatement());
        this.prepared = true;
        return;
      } catch (error) {
        if (attempt > 0 || !CONCURRENT_CREATE_SQLSTATES.has((error as { code?: string }).code ?? "")) throw error;
      }
    }
  }
}

/** `host:port/database` of a connection string, without credentials or parameters. */
function databaseOf(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.host !== "") return `${parsed.host}${decodeURIComponent(parsed.pathname)}`;
  } catch {
    // Not a URL (a key=value connection string): fall back to redaction.
  }
  return redactSecrets(url);
}
