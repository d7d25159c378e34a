import { AsyncLocalStorage } from "node:async_hooks";
import type { ErrorKind } from "./retry.js";

/** One retry about to wait: which part of Tributary retries, and why (the error's kind). @public */
export interface RetryTaken {
  /** `postgres`, `change stream`, `startup`, …: a small fixed set, fit for a metric label. */
  readonly component: string;
  readonly kind: Exclude<ErrorKind, "permanent">;
}

/** Told of every retry made inside {@link observeRetries}. @public */
export type RetryObserver = (retry: RetryTaken) => void;

const observers = new AsyncLocalStorage<RetryObserver>();

/**
 * Runs `work` with `observer` told of every retry made inside it, however deep (the core retry
 * and the change stream's reopen loop report through {@link tellRetry}). Scoped by async
 * context, not global: two syncs in one process each count their own.
 */
export function observeRetries<T>(observer: RetryObserver, work: () => T): T {
  return observers.run(observer, work);
}

/** Tells the observer of the current async context, if any, of a retry about to wait. @internal */
export function tellRetry(retry: RetryTaken): void {
  observers.getStore()?.(retry);
}
