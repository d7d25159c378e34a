import type { ChangeEvent } from "../core/change-event.js";
import type { Logger } from "../core/logger.js";
import { redactedMessage } from "../core/redact.js";
import { retryWithProbe, type BackoffOptions } from "../core/retry.js";
import type { TributaryError } from "../core/tributary-error.js";
import type { IdBatch } from "./id-batcher.js";
import { deadLetterFailed } from "./watch-errors.js";

/**
 * A change (or id batch) a handler failed on at every attempt, handed to `handlerRetry.deadLetter`
 * so that the watcher can go on.
 * @public
 */
export type DeadLetter =
  | { readonly kind: "change"; readonly event: ChangeEvent; readonly error: unknown; readonly attempts: number }
  | { readonly kind: "batch"; readonly batch: IdBatch; readonly error: unknown; readonly attempts: number };

/** Receives what a handler failed on; awaited before the change counts as done. @public */
export type DeadLetterHandler = (letter: DeadLetter) => void | Promise<void>;

/** What happens when a `"change"` or `"batch"` handler throws (`handlerRetry`, defaults applied). */
export interface HandlerRetryPolicy {
  /** Tries in all, the first included (1: no retry). */
  readonly attempts: number;
  readonly backoff: BackoffOptions;
  /** Once every attempt failed: end the watcher at that change, or hand it to `deadLetter` and go on. */
  readonly onExhausted: "stop" | "dead-letter";
  readonly deadLetter: DeadLetterHandler | undefined;
}

/** What a handler failed on, and how to name it in errors and logs. */
export interface HandlerCall {
  readonly run: () => Promise<void>;
  /** The `HandlerFailed` error that ends the watcher, naming the change or batch. */
  readonly failure: (error: unknown, attempts: number) => TributaryError;
  readonly letter: (error: unknown, attempts: number) => DeadLetter;
}

/** Thrown by `giveUp`, to carry the handler's own error out of the retry loop. */
class GaveUp extends Error {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super("gave up");
    this.reason = reason;
  }
}

/** Thrown instead of a retry once the watcher is stopping: a back-off cut short by `stop()` is no attempt. */
class Interrupted extends Error {}

/**
 * Calls a handler under the retry policy (the core back-off, with jitter). Resolves `"done"` when
 * it succeeded or its change went to the dead-letter handler; `"interrupted"` when the watcher is
 * stopping and attempts were left (the change stays undone, so the next watcher retries it);
 * throws the `HandlerFailed` error that ends the watcher otherwise.
 */
export async function callWithRetry(call: HandlerCall, policy: HandlerRetryPolicy, signal: AbortSignal, logger: Logger): Promise<"done" | "interrupted"> {
  let attempts = 0;
  try {
    await retryWithProbe({
      attempt: async () => {
        // The core retry wakes from its back-off on the signal and tries once more: not on a stop.
        if (attempts > 0 && signal.aborted) throw new Interrupted();
        attempts += 1;
        await call.run();
      },
      // Whether a handler's error is worth another try is the caller's business: every one is.
      classify: () => "transient",
      maxAttempts: policy.attempts,
      backoff: policy.backoff,
      signal,
      onRetry: ({ attempt, delayMs, error }) => {
        const context = call.failure(error, attempt).context;
        logger.warn({ ...context, attempt, retryInMs: delayMs, err: redactedMessage(error) }, "a watch handler failed; retrying");
      },
      giveUp: (error) => new GaveUp(error),
    });
    return "done";
  } catch (thrown) {
    const error = thrown instanceof GaveUp ? thrown.reason : thrown;
    if (error instanceof Interrupted || (signal.aborted && attempts < policy.attempts)) return "interrupted";
    const failure = call.failure(error, attempts);
    if (policy.onExhausted === "stop" || policy.deadLetter === undefined) throw failure;
    try {
      await policy.deadLetter(call.letter(error, attempts));
    } catch (letterError) {
      throw deadLetterFailed(failure, letterError);
    }
    logger.warn({ ...failure.context, attempts, err: redactedMessage(error) }, "a watch handler failed on every attempt; the change went to the dead-letter handler and the watcher goes on");
    return "done";
  }
}
