import type { Logger } from "../core/logger.js";
import { retryWithProbe, type BackoffOptions } from "../core/retry.js";
import type { TributaryError } from "../core/tributary-error.js";
import { classifyTributaryError } from "../core/unreachable.js";

/**
 * Start-up's classifier: a server that cannot be reached yet is waited for; anything else
 * (credentials rejected, a missing database, a missing privilege, a standalone MongoDB, a bad
 * option) ends the start at once.
 */
export const classifyStartupError = classifyTributaryError;

/** A failed try of start-up, as {@link StartupWait.onWait} is told it (for `/readyz`). @public */
export interface StartupWaitNotice {
  /** What start-up waits for: `the sinks' servers`, `MongoDB`. */
  readonly waitingFor: string;
  /** The try that failed, from 1. */
  readonly attempt: number;
  /** The error's code: `TRIB_POSTGRES_UNREACHABLE`, `TRIB_MONGO_UNREACHABLE`. */
  readonly code: string;
  readonly retryInMs: number;
}

/** How start-up waits: the sync's back-off, and how many tries before giving up (default: no limit). */
export interface StartupWait {
  readonly retry: BackoffOptions & { readonly startupAttempts?: number };
  readonly logger: Logger;
  readonly signal?: AbortSignal;
  /** Told of each failed try, besides the log line. */
  readonly onWait?: (notice: StartupWaitNotice) => void;
}

/**
 * Runs `connect` (opening the sinks, connecting to MongoDB) until it succeeds, waiting with
 * back-off while the server it needs is unreachable, one log line per failed try; under a
 * supervisor, an outage at start-up is then a wait, not a crash loop. `what` names the server.
 */
export function waitAtStartup<T>(what: string, connect: () => Promise<T>, wait: StartupWait): Promise<T> {
  const { retry, logger, signal } = wait;
  return retryWithProbe({
    attempt: connect,
    classify: classifyStartupError,
    component: "startup",
    giveUp: (error) => (error instanceof Error ? error : new Error(String(error))),
    onRetry: ({ attempt, delayMs, error }) => {
      const { code } = error as TributaryError;
      logger.warn(
        { waitingFor: what, attempt, ...(retry.startupAttempts === undefined ? {} : { of: retry.startupAttempts }), retryInMs: delayMs, code, err: (error as Error).message },
        `waiting for ${what}`,
      );
      wait.onWait?.({ waitingFor: what, attempt, code, retryInMs: delayMs });
    },
    backoff: retry,
    maxAttempts: retry.startupAttempts,
    signal,
  });
}
