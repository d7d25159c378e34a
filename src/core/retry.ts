import { tellRetry } from "./retry-observer.js";

/** @public */
export interface BackoffOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** The back-off used where none is configured: 500 ms doubling up to 30 s. @internal */
export const DEFAULT_RETRY: BackoffOptions = Object.freeze({ initialDelayMs: 500, maxDelayMs: 30_000 });

/**
 * Exponential back-off with "equal jitter": the n-th retry waits between half and all of
 * `min(max, initial * 2^n)`, so many restarted processes do not retry in lockstep.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Resolves after `ms`, or as soon as `signal` aborts (without throwing). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * What an error says about trying again, as a boundary's classifier decides it from codes:
 * `permanent` (the same work fails again: give up), `transient` (the connection broke, a
 * deadlock, a server restarting: back off and try again) or `unreachable` (nothing accepts
 * connections at the address right now, or the server refuses them while it starts or stops).
 * @internal
 */
export type ErrorKind = "permanent" | "transient" | "unreachable";

/**
 * The longest wait between tries while a server is `unreachable`. Asking costs next to nothing
 * (a refused connection is one packet each way), and a short cap is what lets work resume within
 * about this long of the server accepting connections again, whatever the outage length.
 */
export const UNREACHABLE_POLL_MS = 1_000;

/** The wait after the `attempt`-th failure (from 0): back-off, capped while the server is unreachable. */
export function retryDelay(attempt: number, kind: ErrorKind, options: BackoffOptions, random: () => number = Math.random): number {
  const delay = backoffDelay(attempt, options, random);
  return kind === "unreachable" ? Math.min(delay, UNREACHABLE_POLL_MS) : delay;
}

/** Told before each wait of {@link retryWithProbe}. */
export interface RetryNotice {
  /** The try that failed, from 1. */
  readonly attempt: number;
  /** How long the wait before the next try is. */
  readonly delayMs: number;
  readonly error: unknown;
}

/** How {@link retryWithProbe} retries: which errors, how long it waits, what it tells and throws. */
export interface RetryPolicy {
  /** Whether trying again later can succeed, and how soon to try (the boundary's classifier). */
  readonly classify: (error: unknown) => ErrorKind;
  /**
   * The error to throw on giving up: on a permanent error, on any once `signal` has aborted, or
   * on the last of `maxAttempts`.
   */
  readonly giveUp: (error: unknown) => Error;
  /** Told before each wait (to log it). */
  readonly onRetry: (notice: RetryNotice) => void;
  /** What retries, for the retries metric (retry-observer.ts): `postgres`, `webhook`, `startup`, …; default `other`. */
  readonly component?: string;
  readonly backoff: BackoffOptions;
  /** The wait an error asks for (a receiver's `Retry-After`), instead of the back-off; capped at `backoff.maxDelayMs`. */
  readonly askedDelay?: (error: unknown) => number | undefined;
  /** How many tries in all before giving up; default: keep trying while errors are not permanent. */
  readonly maxAttempts?: number;
  /** Cuts a wait short; a try that fails after it aborted is not retried. */
  readonly signal?: AbortSignal;
}

/** What {@link retryWithProbe} runs, and how it retries. */
export interface RetryWithProbeOptions<T> extends RetryPolicy {
  /** One try of the work. */
  readonly attempt: () => Promise<T>;
  /**
   * Asked before every redo (never before the first try) whether the try that failed committed
   * all the same, for instance when the connection was lost while COMMIT was in flight: if so,
   * the work is not redone. Only for work whose result is not needed (it is then `undefined`).
   * An error of the probe counts as an error of the try.
   */
  readonly committed?: undefined extends T ? () => Promise<boolean> : never;
}

/**
 * Runs `attempt` until it succeeds, waiting ({@link retryDelay}) after each error that is not
 * permanent, and asking `committed` before each redo whether the lost try took effect.
 */
export async function retryWithProbe<T>(options: RetryWithProbeOptions<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      if (attempt > 0 && options.committed !== undefined && (await options.committed())) return undefined as T;
      return await options.attempt();
    } catch (error) {
      const kind = options.classify(error);
      if (kind === "permanent" || options.signal?.aborted || attempt + 1 >= (options.maxAttempts ?? Infinity)) throw options.giveUp(error);
      const asked = options.askedDelay?.(error);
      const delayMs = asked === undefined ? retryDelay(attempt, kind, options.backoff) : Math.min(asked, options.backoff.maxDelayMs);
      tellRetry({ component: options.component ?? "other", kind });
      options.onRetry({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
