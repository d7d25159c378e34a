import type { Logger } from "../../core/logger.js";
import { redactSecrets } from "../../core/redact.js";
import type { BackoffOptions, RetryPolicy } from "../../core/retry.js";
import { isTransientPostgresError, mapPostgresApplyError } from "./postgres-errors.js";

/** What {@link postgresRetry} needs. */
export interface PostgresRetryOptions {
  /** Names the work in the error on giving up: `a batch of 3 changes`. */
  readonly what: string;
  /** Names the work in the warning of each retry: `PostgreSQL unavailable; retrying the batch`. */
  readonly retrying: string;
  readonly retry: BackoffOptions;
  readonly logger: Logger;
  readonly signal?: AbortSignal;
}

/**
 * How work on PostgreSQL is retried: again with back-off while the server is unreachable or
 * restarting, each retry logged; any other error mapped to a `TributaryError` naming the work.
 */
export function postgresRetry(options: PostgresRetryOptions): RetryPolicy {
  const { what, retrying, retry, logger, signal } = options;
  return {
    isTransient: isTransientPostgresError,
    giveUp: (error) => mapPostgresApplyError(error, what),
    onRetry: ({ attempt, delayMs, error }) =>
      logger.warn({ attempt, retryInMs: delayMs, err: redactSecrets(String((error as Error).message)) }, `PostgreSQL unavailable; retrying ${retrying}`),
    backoff: retry,
    signal,
  };
}
