import pg from "pg";
import type { Logger } from "../../core/logger.js";
import { connectionSettings } from "./connection-config.js";
import { LossAwareClient } from "./connection-lost.js";

/**
 * The longest a query may wait for its answer by default: 5 minutes, far above any batch or
 * chunk, short of the many minutes TCP takes to give up on a connection whose packets vanish.
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 300_000;

/** What {@link postgresPoolConfig} needs. */
export interface PoolSettings {
  readonly url: string;
  readonly max: number;
  /**
   * Connections kept open however long they sit idle (the others close after pg-pool's 10 s).
   * A writer that streams keeps its one connection: a new one costs PostgreSQL a process, its
   * catalog caches and the statements it prepared (29–34 ms for the next change after 11 s idle
   * with the mapping file, against 4.7–6.5 ms on the connection kept: docs/benchmarks.md, eighth
   * pass).
   */
  readonly min?: number;
  readonly applicationName: string;
  /** Cuts a query that has waited this long for its answer; default {@link DEFAULT_QUERY_TIMEOUT_MS}. */
  readonly queryTimeoutMs?: number;
  readonly connectionTimeoutMillis?: number;
  /** Told once, at `warn`, when a pooler refuses the idle-in-transaction guard (see {@link postgresPool}). */
  readonly logger?: Logger;
}

/**
 * The pool settings of every PostgreSQL connection of Tributary, made for a half-open network
 * path (packets dropped without a reset), where nothing would ever fail by itself:
 * - TCP keepalive, so that an idle connection to a vanished server is noticed;
 * - a query timeout: a query left unanswered fails, the ROLLBACK after it too, and the
 *   connection is discarded (then the work is retried, asking first whether it committed);
 * - `idle_in_transaction_session_timeout` on the server, so that the session stranded on the
 *   far side of the cut ends and releases the locks the retry needs.
 * Failed connection attempts are typed by {@link LossAwareClient}.
 */
function postgresPoolConfig(settings: PoolSettings): pg.PoolConfig {
  const queryTimeoutMs = settings.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const connection = connectionSettings(settings.url, {
    application_name: settings.applicationName,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    query_timeout: queryTimeoutMs,
    ...(refusingGuard.has(settings.url) ? {} : { options: idleGuard(queryTimeoutMs) }),
    ...(settings.connectionTimeoutMillis === undefined ? {} : { connectionTimeoutMillis: settings.connectionTimeoutMillis }),
  });
  return { ...connection, max: settings.max, ...(settings.min === undefined ? {} : { min: settings.min }), Client: LossAwareClient };
}

/** A pool of {@link postgresPoolConfig}'s connections: every pool of Tributary's connections to PostgreSQL. */
export function postgresPool(settings: PoolSettings): pg.Pool {
  return new PostgresPool(settings.url, postgresPoolConfig(settings), settings.logger);
}

/** The startup parameter `options` that sets the server's `idle_in_transaction_session_timeout` (see {@link postgresPoolConfig}). */
function idleGuard(queryTimeoutMs: number): string {
  return `-c idle_in_transaction_session_timeout=${queryTimeoutMs}`;
}

/**
 * Connection strings whose server refused the startup parameter `options`: a pooler (PgBouncer
 * answers "unsupported startup parameter: options" unless `ignore_startup_parameters` lists it).
 * Their pools connect without it, so without the server-side idle-in-transaction timeout: behind
 * a pooler that timeout is the pooler's to keep (PgBouncer's `idle_transaction_timeout`).
 */
const refusingGuard = new Set<string>();

/** A protocol violation (08P01) that names the startup parameter `options`: how a pooler refuses it. */
function refusesOptions(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === "08P01" && typeof message === "string" && /\boptions\b/.test(message);
}

/**
 * A pool whose connection refused for the idle-in-transaction guard (see {@link refusingGuard})
 * forgets the guard and connects once more, for this pool and every later one of the same
 * connection string. Only Tributary's own guard is dropped: `options` that the connection string
 * sets are the user's, and their refusal is reported as it is.
 */
class PostgresPool extends pg.Pool {
  private readonly url: string;
  private readonly logger: Logger | undefined;

  constructor(url: string, config: pg.PoolConfig, logger: Logger | undefined) {
    super(config);
    this.url = url;
    this.logger = logger;
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): void;
  override connect(callback?: (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: unknown) => void) => void): Promise<pg.PoolClient> | void {
    if (callback === undefined) {
      return new Promise((resolve, reject) => this.connect((error, client) => (error || client === undefined ? reject(error ?? new Error("no client")) : resolve(client))));
    }
    super.connect((error, client, done) => {
      if (error === undefined || !refusesOptions(error) || !this.dropGuard()) return callback(error, client, done);
      super.connect(callback);
    });
  }

  /** Leaves the guard out of this pool's next connections, if they carried Tributary's own; whether they did. */
  private dropGuard(): boolean {
    const options = this.options as { options?: unknown; query_timeout?: unknown };
    if (typeof options.query_timeout !== "number" || options.options !== idleGuard(options.query_timeout)) return false;
    delete options.options;
    if (!refusingGuard.has(this.url)) {
      refusingGuard.add(this.url);
      this.logger?.warn(
        "PostgreSQL (a pooler in front of it) refused the startup parameter options: Tributary's sessions go without idle_in_transaction_session_timeout; set the pooler's own idle-transaction timeout (PgBouncer: idle_transaction_timeout)",
      );
    }
    return true;
  }
}
