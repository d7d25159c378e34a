import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import type { ChangeEvent, SourceItem } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import type { EventSelector } from "../pipeline/event-selector.js";
import { PipelineStats } from "../pipeline/pipeline-stats.js";
import { ReadAhead } from "../pipeline/read-ahead.js";
import { loadResumePoint, ResumeKeeper } from "../pipeline/resume-keeper.js";
import type { ChangeFeed } from "./change-feed.js";
import { CompletionOrder } from "./completion-order.js";
import { deliveries, type Delivery, type WatchItem } from "./deliveries.js";
import { IdBatcher } from "./id-batcher.js";
import { CopyProgress } from "./copy-progress.js";
import { copyItems } from "./initial-copy.js";
import { plainEvent } from "./plain-events.js";
import { asTributaryError, watcherStopped } from "./watch-errors.js";
import type { ResolvedWatchOptions } from "./watch-options.js";
import type { WatcherListeners } from "./watcher-listeners.js";

/**
 * Where a watcher is in its life: `idle` until `start()` or iteration, `started` while it
 * opens and reads, `ending` while it saves and closes, `ended` once its `"stop"` handlers ran.
 */
export type WatcherState = "idle" | "started" | "ending" | "ended";

/** What a consumer has the delivery loop hand over. */
export interface DeliveryKinds {
  /** Each event. */
  readonly events: boolean;
  /** Id batches. */
  readonly batches: boolean;
}

/**
 * The life of one watcher, whatever consumes it: open (load the resume point, fix where
 * reading begins, save that start at once), read (the delivery loop from the completed
 * position), and end once (stop reading, save the completed position, close the feed, report
 * to the `"error"` and `"stop"` handlers).
 */
export class WatcherLifecycle {
  readonly stats: PipelineStats;
  readonly options: ResolvedWatchOptions;
  /** The initial copy's progress, for `copied()`. */
  readonly copy: CopyProgress;
  private readonly feed: ChangeFeed;
  private readonly listeners: WatcherListeners;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly ended: Promise<void>;
  private markEnded: () => void = () => undefined;
  private current: WatcherState = "idle";
  private opening: Promise<void> | undefined;
  private ending: Promise<void> | undefined;
  private keeper: ResumeKeeper | undefined;
  private order: CompletionOrder | undefined;
  /** Where reading begins (fixed by `open`). */
  private start: Position | undefined;
  /** Whether this start copies first (a copy is asked for and nothing was stored). */
  private copying = false;
  private items: AsyncIterator<WatchItem> | undefined;
  /** What ended the watcher, if it failed. */
  private failure: TributaryError | undefined;
  /** The failure of the last save, when the watcher was otherwise ending without one. */
  private saveFailure: TributaryError | undefined;

  constructor(feed: ChangeFeed, options: ResolvedWatchOptions, listeners: WatcherListeners, now: () => number) {
    this.feed = feed;
    this.options = options;
    this.listeners = listeners;
    this.now = now;
    this.stats = new PipelineStats(now);
    this.copy = new CopyProgress(options.copy !== undefined, listeners.copied, options.logger);
    this.ended = new Promise((resolve) => {
      this.markEnded = resolve;
    });
  }

  get state(): WatcherState {
    return this.current;
  }

  /** Ending or ended. */
  get over(): boolean {
    return this.current === "ending" || this.current === "ended";
  }

  /** Aborted once a stop is asked for or the watcher ends: reading stops at the next item. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** What ended the watcher, once it has ended by a failure. */
  get error(): TributaryError | undefined {
    return this.failure;
  }

  /** The last completed position: every change up to it is done (or was filtered out). */
  position(): Position | undefined {
    return this.keeper?.position();
  }

  /** Where what the delivery loop reaches is put in order, behind the handlers still at work (once open). */
  get completion(): CompletionOrder {
    if (this.order === undefined) throw new TributaryError(ErrorCode.ChangeStreamFailed, "The watcher delivered before it was opened (a bug in Tributary)");
    return this.order;
  }

  /** Opens once (later calls wait for the same opening); a failure ends the watcher and is thrown. */
  async open(): Promise<void> {
    if (this.over) throw watcherStopped();
    this.opening ??= this.load();
    try {
      await this.opening;
    } catch (error) {
      const failure = asTributaryError(error);
      await this.finish(failure);
      throw failure;
    }
  }

  /** Asks reading to stop; the consumer then ends the watcher. */
  requestStop(): void {
    this.abort.abort();
  }

  /** The delivery loop over the feed from the completed position, once open. */
  deliver(selector: EventSelector, kinds: DeliveryKinds, drainOnStop: boolean): AsyncGenerator<Delivery, void, undefined> {
    const keeper = this.keeper;
    const from = keeper?.position() ?? this.start;
    if (keeper === undefined || from === undefined) throw new TributaryError(ErrorCode.ChangeStreamFailed, "The watcher delivered before it was opened (a bug in Tributary)");
    // Read ahead while the consumer works: what was read and not delivered when the watcher ends is
    // dropped, and read again by the next watcher, since the position never passed it.
    const stream = new ReadAhead((signal) => ({ [Symbol.asyncIterator]: () => this.feed.items(from, signal) }), this.abort.signal, this.options.readAhead)[Symbol.asyncIterator]();
    this.items = this.copying ? this.copyThenStream(from, stream) : stream;
    return deliveries({
      items: this.items,
      signal: this.abort.signal,
      selector,
      present: this.presenter(),
      events: kinds.events,
      batcher: kinds.batches ? new IdBatcher(this.options.batch, this.now) : undefined,
      drainOnStop,
      order: this.completion,
      saves: keeper,
      stats: this.stats,
    });
  }

  /**
   * Ends the watcher once: stops the feed, saves the completed position, closes, reports.
   * @param raiseUnhandled with no `"error"` handler, throw the failure (handler-style delivery).
   */
  finish(failure: TributaryError | undefined, raiseUnhandled = false): Promise<void> {
    this.ending ??= this.end(failure, raiseUnhandled);
    return this.ending;
  }

  /** Resolves once the watcher has ended; rejects when the save on a clean stop failed. */
  async settled(): Promise<void> {
    await this.ended;
    if (this.saveFailure) throw this.saveFailure;
  }

  private async load(): Promise<void> {
    this.current = "started";
    this.stats.markStarted();
    const store = this.options.resumePoints;
    const stored = store ? await loadResumePoint(store) : undefined;
    const start = await this.feed.open(stored);
    this.start = start;
    this.keeper = new ResumeKeeper(store, this.options.saveEvery, stored, this.now);
    this.order = new CompletionOrder(this.keeper);
    // A resume point is stored only once a copy is done, so one stored means the copy was had.
    this.copying = this.options.copy !== undefined && stored === undefined;
    if (this.copying) return;
    this.copy.skip();
    this.keeper.complete(start, 0);
    // A first start is saved at once: a watcher that dies before its first save resumes here.
    await this.keeper.saveIfDue();
  }

  /** How events reach the consumer: plain values with `values: "plain"`, else as they came. */
  private presenter(): (event: ChangeEvent) => ChangeEvent {
    const values = this.options.values;
    if (values.mode === "bson") return (event) => event;
    return (event) => plainEvent(event, { largeLongs: values.largeLongs });
  }

  /** The initial copy, then the stream from the position fixed before it. */
  private async *copyThenStream(start: Position, stream: AsyncIterator<SourceItem>): AsyncGenerator<WatchItem, void, undefined> {
    const settings = this.options.copy;
    if (settings !== undefined) {
      const source = this.feed.copySource(settings.collections);
      yield* copyItems(source, start, settings, { signal: this.abort.signal, logger: this.options.logger, onCopied: (outcome) => this.copy.done(outcome) });
    }
    try {
      for (let next = await stream.next(); next.done !== true; next = await stream.next()) yield next.value;
    } finally {
      await stream.return?.(undefined);
    }
  }

  private async end(failure: TributaryError | undefined, raiseUnhandled: boolean): Promise<void> {
    const { logger } = this.options;
    this.current = "ending";
    this.abort.abort();
    await this.opening?.catch(() => undefined);
    let error = failure;
    await Promise.resolve(this.items?.return?.(undefined)).catch(() => undefined);
    try {
      await this.keeper?.saveNow();
    } catch (saveError) {
      if (error === undefined) {
        error = asTributaryError(saveError);
        this.saveFailure = error;
      }
    }
    await this.feed.close().catch((closeError: unknown) => logger.warn({ err: asTributaryError(closeError).message }, "closing the watched deployment failed"));
    this.failure = error;
    this.copy.ended(error);
    this.stats.markStopped();
    const position = this.position();
    if (error) {
      logger.error({ code: error.code, err: error.message, context: error.context }, "watch stopped by an error");
      this.emitError(error, raiseUnhandled);
    } else {
      logger.info({ position: position?.key }, "watch stopped");
    }
    for (const handler of this.listeners.stop) {
      try {
        handler({ error, position });
      } catch (handlerError) {
        logger.warn({ err: asTributaryError(handlerError).message }, 'a "stop" handler threw');
      }
    }
    this.current = "ended";
    this.markEnded();
  }

  private emitError(error: TributaryError, raiseUnhandled: boolean): void {
    if (this.listeners.error.length === 0) {
      // As with an EventEmitter: a failure of handler-style delivery nobody listens for must not pass silently.
      if (raiseUnhandled) {
        process.nextTick(() => {
          throw error;
        });
      }
      return;
    }
    for (const handler of this.listeners.error) {
      try {
        handler(error);
      } catch (handlerError) {
        this.options.logger.warn({ err: asTributaryError(handlerError).message }, 'an "error" handler threw');
      }
    }
  }
}
