import type { ChangeEvent } from "../core/change-event.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import type { Position } from "../core/position.js";
import { EventSelector, type EventPredicate } from "../pipeline/event-selector.js";
import type { PipelineStatsSnapshot } from "../pipeline/pipeline-stats.js";
import type { ChangeFeed } from "./change-feed.js";
import type { Delivery } from "./deliveries.js";
import { HandlerDispatch, insideHandlerOf } from "./handler-dispatch.js";
import type { IdBatch } from "./id-batcher.js";
import { guardPredicate, usageError, watcherStopped } from "./watch-errors.js";
import type { ResolvedWatchOptions } from "./watch-options.js";
import { WatcherIteration } from "./watcher-iteration.js";
import { WatcherLifecycle, type DeliveryKinds } from "./watcher-lifecycle.js";
import type { BatchHandler, ChangeHandler, CopiedHandler, ErrorHandler, StopHandler, WatcherListeners } from "./watcher-listeners.js";
import type { CopyOutcome } from "./initial-copy.js";

export type { BatchHandler, ChangeHandler, CopiedHandler, ErrorHandler, StopHandler, StopInfo } from "./watcher-listeners.js";

/** How the watcher is consumed: not yet, by its handlers, or by a `for await` loop over events or id batches. */
type Consumer =
  | { readonly mode: "none" }
  | { readonly mode: "handlers"; readonly dispatch: HandlerDispatch }
  | { readonly mode: "events" | "batches"; readonly iteration: { stop(): Promise<void> } };

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
 *
 * This class checks how it is used and picks the consumer; its life (open, end) is a
 * `WatcherLifecycle`, its consumers a `WatcherIteration` or a `HandlerDispatch`.
 * @public
 */
export class ChangeWatcher implements AsyncIterable<ChangeEvent> {
  private readonly options: ResolvedWatchOptions;
  private readonly predicates: EventPredicate[];
  private readonly listeners: WatcherListeners = { change: [], batch: [], error: [], stop: [], copied: [] };
  private readonly lifecycle: WatcherLifecycle;
  private consumer: Consumer = { mode: "none" };

  /**
   * Use {@link watch}; this constructor is the seam for reading from another feed.
   * @internal
   */
  constructor(feed: ChangeFeed, options: ResolvedWatchOptions, now: () => number = Date.now) {
    this.options = options;
    this.predicates = [...options.predicates];
    this.lifecycle = new WatcherLifecycle(feed, options, this.listeners, now);
  }

  /**
   * Adds an in-process test on the normalized event (run after `include`, `exclude` and the
   * `filter` option); returns this watcher, so calls chain. Only before delivering begins.
   */
  filter(predicate: EventPredicate): this {
    if (typeof predicate !== "function") throw usageError("filter() takes a function (event) => boolean");
    if (this.consumer.mode !== "none" || this.lifecycle.over) {
      throw usageError("filter() must be called before the watcher delivers (before iterating it, or before start() with handlers)");
    }
    this.predicates.push(predicate);
    return this;
  }

  /**
   * Each change, in order; the handler is awaited before the next change (with `concurrency`,
   * before the next change of the same document). Register before `start()`.
   */
  on(event: "change", handler: ChangeHandler): this;
  /** Each id batch, in order; awaited before the next delivery. Register before `start()`. */
  on(event: "batch", handler: BatchHandler): this;
  /** The error that ended the watcher (a handler failure is a `HandlerFailed` error). */
  on(event: "error", handler: ErrorHandler): this;
  /** The watcher has ended (after `stop()` or a failure). */
  on(event: "stop", handler: StopHandler): this;
  /** The initial copy is done: every copied document handled (see `copied()`). */
  on(event: "copied", handler: CopiedHandler): this;
  on(event: "change" | "batch" | "error" | "stop" | "copied", handler: ChangeHandler | BatchHandler | ErrorHandler | StopHandler | CopiedHandler): this {
    if (typeof handler !== "function") throw usageError(`on("${String(event)}") takes a function`);
    switch (event) {
      case "change":
        this.checkDeliveryHandler(event);
        this.listeners.change.push(handler as ChangeHandler);
        return this;
      case "batch":
        this.checkDeliveryHandler(event);
        this.listeners.batch.push(handler as BatchHandler);
        return this;
      case "error":
        this.listeners.error.push(handler as ErrorHandler);
        return this;
      case "stop":
        this.listeners.stop.push(handler as StopHandler);
        return this;
      case "copied":
        this.listeners.copied.push(handler as CopiedHandler);
        return this;
      default:
        throw usageError(`Unknown watcher event "${String(event)}": use "change", "batch", "error", "stop" or "copied"`);
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
    await this.lifecycle.open();
    if (this.lifecycle.signal.aborted) return;
    const kinds: DeliveryKinds = { events: this.listeners.change.length > 0, batches: this.listeners.batch.length > 0 };
    if (this.consumer.mode === "none" && (kinds.events || kinds.batches)) {
      const dispatch = new HandlerDispatch(this.lifecycle, this.listeners, kinds, this.deliveries(kinds, true));
      this.consumer = { mode: "handlers", dispatch };
      dispatch.start();
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
    this.lifecycle.requestStop();
    const insideHandler = insideHandlerOf(this.lifecycle);
    if (!this.lifecycle.over) {
      if (this.consumer.mode === "none") await this.lifecycle.finish(undefined);
      else if (this.consumer.mode !== "handlers") await this.consumer.iteration.stop();
    }
    if (insideHandler) return;
    await this.lifecycle.settled();
  }

  /**
   * Resolves once the initial copy (`copy` option) is done — every copied document handled, as
   * gtm's `DirectReadWg.Wait()` — or at start when the resume point store held a position (an
   * earlier watcher's copy was done: `resumed: true`). Rejects when the watcher ends before.
   */
  copied(): Promise<CopyOutcome> {
    return this.lifecycle.copy.wait();
  }

  /** The last completed position: every change up to it is done (or was filtered out). */
  position(): Position | undefined {
    return this.lifecycle.position();
  }

  /** Counts, lag and state, as of now (the public name of its type is `WatchStatsSnapshot`). */
  stats(): PipelineStatsSnapshot {
    return this.lifecycle.stats.snapshot(this.position());
  }

  /** Each change, in order. Iterating starts the watcher; leaving the loop stops it. */
  [Symbol.asyncIterator](): AsyncIterator<ChangeEvent> {
    return this.iterate("events", (delivery) => (delivery.kind === "event" ? delivery.event : undefined));
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
      [Symbol.asyncIterator]: (): AsyncIterator<IdBatch> => this.iterate("batches", (delivery) => (delivery.kind === "batch" ? delivery.batch : undefined)),
    };
  }

  private iterate<T>(mode: "events" | "batches", pick: (delivery: Delivery) => T | undefined): AsyncIterator<T> {
    if (this.lifecycle.over) throw watcherStopped();
    if (this.consumer.mode !== "none") {
      throw usageError(this.consumer.mode === "handlers" ? "This watcher delivers to its handlers; iterate a watcher that has none" : "This watcher is already being iterated; consume a watcher one way");
    }
    if (this.listeners.change.length > 0 || this.listeners.batch.length > 0) throw usageError('This watcher has "change"/"batch" handlers: call start() instead of iterating it');
    // A loop body is the caller's: it takes one value at a time, and what it throws ends the loop.
    if (this.options.concurrency > 1) throw usageError("concurrency applies to handlers: register on(\"change\", …) and call start(), or leave concurrency at 1 to iterate");
    if (this.options.handlerRetry.attempts > 1 || this.options.handlerRetry.onExhausted !== "stop") {
      throw usageError("handlerRetry applies to handlers: register on(\"change\", …) and call start(), or retry inside the loop body");
    }
    const iteration = new WatcherIteration(this.lifecycle, this.deliveries({ events: mode === "events", batches: mode === "batches" }, false), pick);
    this.consumer = { mode, iteration };
    return iteration.iterator;
  }

  private checkDeliveryHandler(event: "change" | "batch"): void {
    if (this.lifecycle.over) throw usageError(`on("${event}") on a watcher that has stopped`);
    const consumer = this.consumer;
    if (consumer.mode === "events" || consumer.mode === "batches") {
      throw usageError(`on("${event}") on a watcher that is being iterated: consume a watcher one way`);
    }
    const lateKind = consumer.mode === "handlers" && !consumer.dispatch.kinds[event === "change" ? "events" : "batches"];
    if (lateKind || (consumer.mode === "none" && this.lifecycle.state !== "idle")) throw usageError(`on("${event}") must be called before start()`);
  }

  /** Starts the delivery loop for a consumer, with the selection as it stands when the loop starts. */
  private deliveries(kinds: DeliveryKinds, drainOnStop: boolean): () => AsyncGenerator<Delivery, void, undefined> {
    return () => {
      const { operations, include, exclude } = this.options;
      const selector = new EventSelector({ operations, namespaces: new NamespaceFilter(include, exclude), predicates: this.predicates.map(guardPredicate) });
      return this.lifecycle.deliver(selector, kinds, drainOnStop);
    };
  }
}
