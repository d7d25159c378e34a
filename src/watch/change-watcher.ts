import { AsyncLocalStorage } from "node:async_hooks";
import { ErrorCode } from "../core/error-codes.js";
import { redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import type { ChangeEvent } from "../core/change-event.js";
import type { SourceItem } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import type { ChangeFeed } from "./change-feed.js";
import { deliveries, type Delivery } from "./deliveries.js";
import { EventSelector, type EventPredicate } from "./event-selector.js";
import { handlerFailedOnBatch, handlerFailedOnEvent } from "./handler-failure.js";
import { IdBatcher, type IdBatch } from "./id-batcher.js";
import { ResumeKeeper } from "./resume-keeper.js";
import type { ResolvedWatchOptions } from "./watch-options.js";
import { WatchStats, type WatchStatsSnapshot } from "./watch-stats.js";

/** Receives each change; may be async (awaited before the next change). @public */
export type ChangeHandler = (event: ChangeEvent) => void | Promise<void>;
/** Receives each id batch; may be async (awaited before the next delivery). @public */
export type BatchHandler = (batch: IdBatch) => void | Promise<void>;
/** Receives the error that ended the watcher. @public */
export type ErrorHandler = (error: TributaryError) => void;
/** Called once when the watcher has ended, with its failure (if any) and last completed position. @public */
export type StopHandler = (info: StopInfo) => void;

/** @public */
export interface StopInfo {
  /** Why it ended, when it failed; `undefined` after `stop()`. */
  readonly error: TributaryError | undefined;
  /** The last completed position (saved to the store, when there is one). */
  readonly position: Position | undefined;
}

type Consumer = "handlers" | "events" | "batches";

/** Marks code running inside a handler, so that `stop()` called there does not wait for itself. */
const handlerScope = new AsyncLocalStorage<ChangeWatcher>();

function usageError(message: string): TributaryError {
  return new TributaryError(ErrorCode.ConfigInvalid, message);
}

function asTributaryError(error: unknown): TributaryError {
  if (error instanceof TributaryError) return error;
  const reason = redactedMessage(error);
  return new TributaryError(ErrorCode.ChangeStreamFailed, `watch() failed: ${reason}`, { cause: error });
}

/**
 * Normalized MongoDB changes, delivered in stream order. Create one with {@link watch}.
 *
 * Consume it one way:
 * - `for await (const event of watcher)`: each change;
 * - `for await (const batch of watcher.batches())`: changed ids grouped per namespace and operation;
 * - handlers: `watcher.on("change", …)` and/or `watcher.on("batch", …)`, then `await watcher.start()`.
 *
 * Delivery is at-least-once. A change counts as done when its handler returns, or when the
 * `for await` loop asks for the next one; the resume point never moves past a change that is
 * not done. A handler that throws, or a loop body that throws or breaks, stops the watcher at
 * that change, and a new watcher with the same `resumePoints` receives it again first.
 * @public
 */
export class ChangeWatcher implements AsyncIterable<ChangeEvent> {
  private readonly feed: ChangeFeed;
  private readonly options: ResolvedWatchOptions;
  private readonly now: () => number;
  private readonly predicates: EventPredicate[];
  private readonly handlers = {
    change: [] as ChangeHandler[],
    batch: [] as BatchHandler[],
    error: [] as ErrorHandler[],
    stop: [] as StopHandler[],
  };
  private readonly abort = new AbortController();
  private readonly counters: WatchStats;
  private readonly ended: Promise<void>;
  private markEnded: () => void = () => undefined;
  private keeper: ResumeKeeper | undefined;
  private consumer: Consumer | undefined;
  private dispatching = { events: false, batches: false };
  private opening: Promise<void> | undefined;
  private items: AsyncIterator<SourceItem> | undefined;
  private iteration: AsyncGenerator<unknown, void, undefined> | undefined;
  private iterationStarted = false;
  /** An iterating consumer holds a delivery (its loop body is running). */
  private holding = false;
  private finishing: Promise<void> | undefined;
  private failure: TributaryError | undefined;
  private failedWhileStopping = false;

  /**
   * Use {@link watch}; this constructor is the seam for reading from another feed.
   * @internal
   */
  constructor(feed: ChangeFeed, options: ResolvedWatchOptions, now: () => number = Date.now) {
    this.feed = feed;
    this.options = options;
    this.now = now;
    this.predicates = [...options.predicates];
    this.counters = new WatchStats(now);
    this.ended = new Promise((resolve) => {
      this.markEnded = resolve;
    });
  }

  /**
   * Adds an in-process test on the normalized event (run after `include`, `exclude` and the
   * `filter` option); returns this watcher, so calls chain. Only before delivering begins.
   */
  filter(predicate: EventPredicate): this {
    if (typeof predicate !== "function") throw usageError("filter() takes a function (event) => boolean");
    if (this.consumer !== undefined || this.finishing) {
      throw usageError("filter() must be called before the watcher delivers (before iterating it, or before start() with handlers)");
    }
    this.predicates.push(predicate);
    return this;
  }

  /** Each change, in order; the handler is awaited before the next change. Register before `start()`. */
  on(event: "change", handler: ChangeHandler): this;
  /** Each id batch, in order; awaited before the next delivery. Register before `start()`. */
  on(event: "batch", handler: BatchHandler): this;
  /** The error that ended the watcher (a handler failure is a `HandlerFailed` error). */
  on(event: "error", handler: ErrorHandler): this;
  /** The watcher has ended (after `stop()` or a failure). */
  on(event: "stop", handler: StopHandler): this;
  on(event: "change" | "batch" | "error" | "stop", handler: ChangeHandler | BatchHandler | ErrorHandler | StopHandler): this {
    if (typeof handler !== "function") throw usageError(`on("${String(event)}") takes a function`);
    switch (event) {
      case "change":
        this.checkDeliveryHandler(event);
        this.handlers.change.push(handler as ChangeHandler);
        return this;
      case "batch":
        this.checkDeliveryHandler(event);
        this.handlers.batch.push(handler as BatchHandler);
        return this;
      case "error":
        this.handlers.error.push(handler as ErrorHandler);
        return this;
      case "stop":
        this.handlers.stop.push(handler as StopHandler);
        return this;
      default:
        throw usageError(`Unknown watcher event "${String(event)}": use "change", "batch", "error" or "stop"`);
    }
  }

  /**
   * Connects, loads the resume point and fixes where reading begins; resolves once every
   * later change is sure to be delivered. With `"change"` or `"batch"` handlers registered, it
   * then dispatches to them in the background until `stop()` or a failure. Without handlers,
   * iterate the watcher to read (iterating starts it by itself). Rejects when the watcher
   * cannot start (unreachable deployment, refused credentials, unreadable resume point).
   */
  async start(): Promise<void> {
    if (this.finishing) throw usageError("This watcher has stopped; create a new one with watch() (with the same resumePoints to continue where it stopped)");
    this.opening ??= this.open();
    try {
      await this.opening;
    } catch (error) {
      const failure = asTributaryError(error);
      await this.finish(failure);
      throw failure;
    }
    if (this.abort.signal.aborted) return;
    const events = this.handlers.change.length > 0;
    const batches = this.handlers.batch.length > 0;
    if (this.consumer === undefined && (events || batches)) {
      this.consumer = "handlers";
      this.dispatching = { events, batches };
      void this.dispatch();
    }
  }

  /**
   * Stops reading, saves the resume point (the last completed change) and closes what the
   * watcher opened — never a `MongoClient` you passed. A change in hand is not marked done:
   * the one a `for await` body is still working on, or one whose handler failed. Called from
   * inside a handler, it resolves at once, and the watcher ends when the handler returns (that
   * change counts as done). Rejects only when saving the resume point fails.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    const insideHandler = handlerScope.getStore() === this;
    if (!this.finishing) {
      if (this.consumer === undefined) {
        await this.finish(undefined);
      } else if (this.consumer !== "handlers" && (!this.iterationStarted || this.holding)) {
        // The loop body holds a change (or never asked for one): end the iteration here.
        await this.iteration?.return(undefined);
        if (!this.iterationStarted) await this.finish(undefined);
      }
    }
    if (insideHandler) return;
    await this.ended;
    if (this.failedWhileStopping && this.failure) throw this.failure;
  }

  /** The last completed position: every change up to it is done (or was filtered out). */
  position(): Position | undefined {
    return this.keeper?.position();
  }

  /** Counts, lag and state, as of now. */
  stats(): WatchStatsSnapshot {
    return this.counters.snapshot(this.position());
  }

  /** Each change, in order. Iterating starts the watcher; leaving the loop stops it. */
  [Symbol.asyncIterator](): AsyncIterator<ChangeEvent> {
    this.claim("events");
    const iteration = this.iterate<ChangeEvent>("events", (delivery) => (delivery.kind === "event" ? delivery.event : undefined));
    this.iteration = iteration;
    return iteration;
  }

  /**
   * Changed ids grouped per namespace and operation, flushed every `batch.size` ids or
   * `batch.latencyMs` (default 100 ids, 200 ms). Command events (drop, rename, …) are not in
   * batches. A batch counts as done when the loop asks for the next one. Ids still waiting
   * when the watcher stops are not delivered; the saved resume point is before them, so the
   * next watcher delivers them.
   */
  batches(): AsyncIterable<IdBatch> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<IdBatch> => {
        this.claim("batches");
        const iteration = this.iterate<IdBatch>("batches", (delivery) => (delivery.kind === "batch" ? delivery.batch : undefined));
        this.iteration = iteration;
        return iteration;
      },
    };
  }

  private checkDeliveryHandler(event: "change" | "batch"): void {
    if (this.finishing) throw usageError(`on("${event}") on a watcher that has stopped`);
    if (this.consumer === "events" || this.consumer === "batches") {
      throw usageError(`on("${event}") on a watcher that is being iterated: consume a watcher one way`);
    }
    const lateKind = this.consumer === "handlers" && !this.dispatching[event === "change" ? "events" : "batches"];
    if (lateKind || (this.consumer === undefined && this.opening !== undefined)) throw usageError(`on("${event}") must be called before start()`);
  }

  private claim(consumer: "events" | "batches"): void {
    if (this.finishing) throw usageError("This watcher has stopped; create a new one with watch() (with the same resumePoints to continue where it stopped)");
    if (this.consumer !== undefined) {
      throw usageError(this.consumer === "handlers" ? "This watcher delivers to its handlers; iterate a watcher that has none" : "This watcher is already being iterated; consume a watcher one way");
    }
    if (this.handlers.change.length > 0 || this.handlers.batch.length > 0) throw usageError('This watcher has "change"/"batch" handlers: call start() instead of iterating it');
    this.consumer = consumer;
  }

  private async open(): Promise<void> {
    this.counters.markStarted();
    const store = this.options.resumePoints;
    let stored: Position | undefined;
    if (store) {
      try {
        stored = await store.load();
      } catch (error) {
        if (error instanceof TributaryError) throw error;
        const reason = redactedMessage(error);
        throw new TributaryError(ErrorCode.ResumePointUnreadable, `Cannot read the watch resume point from ${store.description}: ${reason}`, {
          cause: error,
          context: { store: store.description },
        });
      }
    }
    const start = await this.feed.open(stored);
    this.keeper = new ResumeKeeper(store, this.options.saveEvery, stored, this.now);
    this.keeper.complete(start, 0);
    // A first start is saved at once: a watcher that dies before its first save resumes here.
    await this.keeper.saveIfDue();
  }

  private deliveryLoop(events: boolean, batches: boolean, drainOnStop: boolean): AsyncGenerator<Delivery, void, undefined> {
    const keeper = this.keeper;
    const from = keeper?.position();
    if (keeper === undefined || from === undefined) throw new TributaryError(ErrorCode.ChangeStreamFailed, "The watcher delivered before it was opened (a bug in Tributary)");
    this.items = this.feed.items(from, this.abort.signal);
    return deliveries({
      items: this.items,
      signal: this.abort.signal,
      selector: new EventSelector({ operations: this.options.operations, include: this.options.include, exclude: this.options.exclude, predicates: this.predicates }),
      events,
      batcher: batches ? new IdBatcher(this.options.batch, this.now) : undefined,
      drainOnStop,
      keeper,
      stats: this.counters,
    });
  }

  private async *iterate<T>(consumer: "events" | "batches", pick: (delivery: Delivery) => T | undefined): AsyncGenerator<T, void, undefined> {
    this.iterationStarted = true;
    let failure: TributaryError | undefined;
    let loop: AsyncGenerator<Delivery, void, undefined> | undefined;
    try {
      await this.start();
      if (this.abort.signal.aborted) return;
      loop = this.deliveryLoop(consumer === "events", consumer === "batches", false);
      for (;;) {
        const next = await loop.next();
        if (next.done) break;
        const value = pick(next.value);
        if (value === undefined) continue;
        this.holding = true;
        try {
          yield value;
        } finally {
          this.holding = false;
        }
      }
    } catch (error) {
      failure = asTributaryError(error);
    } finally {
      await loop?.return(undefined).catch(() => undefined);
      await this.finish(failure);
    }
    if (this.failure) throw this.failure;
  }

  private async dispatch(): Promise<void> {
    let failure: TributaryError | undefined;
    let loop: AsyncGenerator<Delivery, void, undefined> | undefined;
    try {
      loop = this.deliveryLoop(this.dispatching.events, this.dispatching.batches, true);
      for (;;) {
        const next = await loop.next();
        if (next.done) break;
        const delivery = next.value;
        if (delivery.kind === "event") {
          for (const handler of [...this.handlers.change]) {
            await this.runHandler(() => handler(delivery.event), (error) => handlerFailedOnEvent('"change" handler', delivery.event, error));
          }
        } else {
          for (const handler of [...this.handlers.batch]) {
            await this.runHandler(() => handler(delivery.batch), (error) => handlerFailedOnBatch(delivery.batch, error));
          }
        }
      }
    } catch (error) {
      failure = asTributaryError(error);
    } finally {
      await loop?.return(undefined).catch(() => undefined);
    }
    await this.finish(failure, true);
  }

  private async runHandler(call: () => void | Promise<void>, wrap: (error: unknown) => TributaryError): Promise<void> {
    try {
      await handlerScope.run(this, call);
    } catch (error) {
      throw wrap(error);
    }
  }

  /** Ends the watcher once: stops the feed, saves the completed position, closes, reports. */
  private finish(failure: TributaryError | undefined, raiseUnhandled = false): Promise<void> {
    this.finishing ??= this.end(failure, raiseUnhandled);
    return this.finishing;
  }

  private async end(failure: TributaryError | undefined, raiseUnhandled: boolean): Promise<void> {
    const { logger } = this.options;
    this.abort.abort();
    await this.opening?.catch(() => undefined);
    let error = failure;
    await Promise.resolve(this.items?.return?.(undefined)).catch(() => undefined);
    try {
      await this.keeper?.saveNow();
    } catch (saveError) {
      if (error === undefined) {
        error = asTributaryError(saveError);
        this.failedWhileStopping = true;
      }
    }
    await this.feed.close().catch((closeError: unknown) => logger.warn({ err: asTributaryError(closeError).message }, "closing the watched deployment failed"));
    this.failure = error;
    this.counters.markStopped();
    const position = this.position();
    if (error) {
      logger.error({ code: error.code, err: error.message, context: error.context }, "watch stopped by an error");
      this.emitError(error, raiseUnhandled);
    } else {
      logger.info({ position: position?.key }, "watch stopped");
    }
    for (const handler of this.handlers.stop) {
      try {
        handler({ error, position });
      } catch (handlerError) {
        logger.warn({ err: asTributaryError(handlerError).message }, 'a "stop" handler threw');
      }
    }
    this.markEnded();
  }

  private emitError(error: TributaryError, raiseUnhandled: boolean): void {
    if (this.handlers.error.length === 0) {
      // As with an EventEmitter: a failure of handler-style delivery nobody listens for must not pass silently.
      if (raiseUnhandled) {
        process.nextTick(() => {
          throw error;
        });
      }
      return;
    }
    for (const handler of this.handlers.error) {
      try {
        handler(error);
      } catch (handlerError) {
        this.options.logger.warn({ err: asTributaryError(handlerError).message }, 'an "error" handler threw');
      }
    }
  }
}
