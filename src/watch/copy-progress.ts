import { ErrorCode } from "../core/error-codes.js";
import type { Logger } from "../core/logger.js";
import { TributaryError } from "../core/tributary-error.js";
import type { CopyOutcome } from "./initial-copy.js";
import { asTributaryError, usageError } from "./watch-errors.js";
import type { CopiedHandler } from "./watcher-listeners.js";

type CopyState = { readonly kind: "running" } | { readonly kind: "done"; readonly outcome: CopyOutcome } | { readonly kind: "failed"; readonly error: TributaryError };

/**
 * Whether the initial copy is done, as gtm's `DirectReadWg` tells it: the `"copied"` handlers and
 * the promises of `copied()` hear once every copied document is handled (or at start, when a
 * stored resume point shows an earlier watcher's copy was done); the promises are rejected when
 * the watcher ends before that. A promise exists only once asked for, so none goes unhandled.
 */
export class CopyProgress {
  private readonly asked: boolean;
  private readonly listeners: readonly CopiedHandler[];
  private readonly logger: Logger;
  private state: CopyState = { kind: "running" };
  private readonly waiters: { resolve: (outcome: CopyOutcome) => void; reject: (error: TributaryError) => void }[] = [];

  /** @param asked whether the watcher has a `copy` option. */
  constructor(asked: boolean, listeners: readonly CopiedHandler[], logger: Logger) {
    this.asked = asked;
    this.listeners = listeners;
    this.logger = logger;
  }

  /** Resolves once the copy is done; rejects when the watcher ends first, or has no `copy`. */
  wait(): Promise<CopyOutcome> {
    if (!this.asked) return Promise.reject(usageError("copied() needs the copy option: watch(source, { copy: { collections: [...] } })"));
    const state = this.state;
    if (state.kind === "done") return Promise.resolve(state.outcome);
    if (state.kind === "failed") return Promise.reject(state.error);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Nothing to copy: the resume point store held a position. */
  skip(): void {
    if (this.asked) this.done({ collections: [], documents: 0, resumed: true });
  }

  done(outcome: CopyOutcome): void {
    if (this.state.kind !== "running") return;
    this.state = { kind: "done", outcome };
    for (const waiter of this.waiters.splice(0)) waiter.resolve(outcome);
    for (const handler of this.listeners) {
      try {
        handler(outcome);
      } catch (error) {
        this.logger.warn({ err: asTributaryError(error).message }, 'a "copied" handler threw');
      }
    }
  }

  /** The watcher has ended (with `failure`, or stopped): a copy still running will not be done. */
  ended(failure: TributaryError | undefined): void {
    if (!this.asked || this.state.kind !== "running") return;
    const error =
      failure ??
      new TributaryError(ErrorCode.SnapshotFailed, "The watcher stopped before the initial copy was done; a new watcher with the same resumePoints copies again");
    this.state = { kind: "failed", error };
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
