import type { Logger } from "../../core/logger.js";
import { redactSecrets } from "../../core/redact.js";
import type { BackoffOptions, RetryPolicy } from "../../core/retry.js";
import { classifyPostgresError, mapPostgresApplyError } from "./postgres-errors.js";

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
 * How work on PostgreSQL is retried: again with back-off while the connection breaks or the
 * server restarts, every second at most while it refuses connections (so work resumes soon after
 * it is back), each retry logged; any other error mapped to a `TributaryError` naming the work.
 */
export function postgresRetry(options: PostgresRetryOptions): RetryPolicy {
  const { what, retrying, retry, logger, signal } = options;
  return {
    classify: classifyPostgresError,
    component: "postgres",
    giveUp: (error) => mapPostgresApplyError(error, what),
    onRetry: ({ attempt, delayMs, error }) =>
      logger.warn({ attempt, retryInMs: delayMs, code: codeOf(error), err: redactSecrets(String((error as Error).message)) }, `PostgreSQL unavailable; retrying ${retrying}`),
    backoff: retry,
    signal,
  };
}

/** The SQLSTATE or Node code of an error, for the log line (`PostgresConnectionLost` has none: its name). */
function codeOf(error: unknown): string | undefined {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  return typeof code === "string" ? code : typeof name === "string" ? name : undefined;
}
