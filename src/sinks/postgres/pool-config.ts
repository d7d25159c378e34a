import type pg from "pg";
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
export function postgresPoolConfig(settings: PoolSettings): pg.PoolConfig {
  const queryTimeoutMs = settings.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const connection = connectionSettings(settings.url, {
    application_name: settings.applicationName,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    query_timeout: queryTimeoutMs,
    options: `-c idle_in_transaction_session_timeout=${queryTimeoutMs}`,
    ...(settings.connectionTimeoutMillis === undefined ? {} : { connectionTimeoutMillis: settings.connectionTimeoutMillis }),
  });
  return { ...connection, max: settings.max, ...(settings.min === undefined ? {} : { min: settings.min }), Client: LossAwareClient };
}
