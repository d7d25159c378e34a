import type { StreamBatch } from "../core/sink.js";
import type { ChangeEvent, SourceItem } from "../core/change-event.js";
import { silentLogger, type Logger } from "../core/logger.js";
import type { Position } from "../core/position.js";
import { BatchWindow } from "./batch-window.js";
import { EventBytesEstimate, eventBytes } from "./event-bytes.js";
import { OpenTransaction } from "./open-transaction.js";
import { ResumeCadence } from "./resume-cadence.js";

/** @internal */
export interface BatchLimits {
  readonly maxSize: number;
  readonly maxLatencyMs: number;
  /** On a quiet stream, how often an advanced position alone is worth a commit. */
  readonly idleCommitIntervalMs: number;
  /**
   * How many events a batch held open by one transaction may hold before it is cut all the
   * same (with a warning), so that one huge transaction cannot exhaust memory.
   */
  readonly maxTransactionEvents?: number;
  /**
   * About how many bytes of BSON a batch holds at most (estimated, see {@link EventBytesEstimate}):
   * large documents make batches of fewer than `maxSize` events, so that memory stays bounded.
   */
  readonly maxBytes?: number;
  /**
   * About how many bytes of BSON a batch held open by one transaction may hold before it is cut
   * all the same (with a warning), as {@link maxTransactionEvents} counts its events.
   */
  readonly maxTransactionBytes?: number;
}

/** The default of {@link BatchLimits.maxTransactionEvents}. */
export const DEFAULT_MAX_TRANSACTION_EVENTS = 50_000;
/** The default of {@link BatchLimits.maxBytes}: 64 MiB, four of MongoDB's largest batches. */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** The default of {@link BatchLimits.maxTransactionBytes}: 1 GiB. */
export const DEFAULT_MAX_TRANSACTION_BYTES = 1024 * 1024 * 1024;

/**
 * Groups source items into batches. A batch closes when it is full (by events, or by the bytes
 * they are estimated to hold) or its oldest event has waited long enough, and when the stream is
 * caught up — but never inside a MongoDB transaction (see {@link OpenTransaction} for how that is
 * told), whose events so share one batch and one sink transaction, unless the transaction
 * outgrows `maxTransactionEvents` or `maxTransactionBytes`. A quiet stream still yields
 * position-only batches now and then, so its resume point never goes stale.
 */
export class BatchAccumulator {
  private readonly accepts: (event: ChangeEvent) => ChangeEvent | undefined;
  private readonly window: BatchWindow;
  /** The position reached and the one committed; a position alone is due every idle interval. */
  private readonly cadence: ResumeCadence;
  private pending: ChangeEvent[] = [];
  private readonly transaction = new OpenTransaction();
  private readonly maxTransactionEvents: number;
  private readonly maxBytes: number;
  private readonly maxTransactionBytes: number;
  private readonly bytes = new EventBytesEstimate();
  /**
   * The exact bytes of the pending events, counted once a MongoDB transaction holds a batch that
   * is due: the estimate prices every event as the recent large ones, which would cut small
   * transactions, and misses sparse large ones, which a transaction must not.
   */
  private heldBytes: number | undefined;
  private readonly logger: Logger;

  /**
   * @param accepts maps an event to what the sink should see (possibly rewritten), or
   *   `undefined` to leave it out; left-out events still advance the position.
   */
  constructor(limits: BatchLimits, accepts: (event: ChangeEvent) => ChangeEvent | undefined, committed?: Position, now: () => number = Date.now, logger: Logger = silentLogger()) {
    this.accepts = accepts;
    this.maxTransactionEvents = limits.maxTransactionEvents ?? DEFAULT_MAX_TRANSACTION_EVENTS;
    this.maxBytes = limits.maxBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.maxTransactionBytes = limits.maxTransactionBytes ?? DEFAULT_MAX_TRANSACTION_BYTES;
    this.logger = logger;
    this.window = new BatchWindow({ size: limits.maxSize, latencyMs: limits.maxLatencyMs }, now);
    // Events are committed by batches, never by count; a position committed before this process
    // started was not committed by it, so its first move on a quiet stream is committed at once.
    this.cadence = new ResumeCadence({ events: Number.POSITIVE_INFINITY, ms: limits.idleCommitIntervalMs }, committed, now, Number.NEGATIVE_INFINITY);
  }

  /** Takes the next item; returns a batch to apply before taking another, if one is due. */
  push(item: SourceItem): StreamBatch | undefined {
    if (item.kind === "caughtUp") {
      if (!this.transaction.mayCutAt(item.position)) return undefined;
      this.transaction.seePosition(item.position);
      if (item.position) this.cadence.complete(item.position, 0);
      if (this.pending.length > 0 || this.cadence.due()) return this.cut();
      return undefined;
    }
    const event = item.event;
    const batch = this.isDue() && this.mayCutBefore(event) ? this.cut() : undefined;
    this.transaction.see(event);
    const accepted = this.accepts(event);
    if (accepted) {
      if (this.pending.length === 0) this.window.open();
      this.pending.push(accepted);
      this.bytes.observe(accepted);
      if (this.heldBytes !== undefined) this.heldBytes += eventBytes(accepted);
    }
    this.cadence.complete(event.position, 0);
    return batch;
  }

  private isDue(): boolean {
    return this.window.isDue(this.pending.length) || (this.pending.length > 0 && this.bytes.of(this.pending.length) >= this.maxBytes);
  }

  private mayCutBefore(event: ChangeEvent): boolean {
    if (this.transaction.mayCutBefore(event)) return true;
    const bytes = (this.heldBytes ??= this.pending.reduce((sum, each) => sum + eventBytes(each), 0));
    const limit = this.pending.length >= this.maxTransactionEvents ? "maxTransactionEvents" : bytes >= this.maxTransactionBytes ? "maxTransactionBytes" : undefined;
    if (limit === undefined) return false;
    const txn = this.transaction.firstOversizedCut();
    if (txn) {
      this.logger.warn(
        { lsid: txn.lsid, txnNumber: txn.txnNumber, events: this.pending.length, bytes, maxTransactionEvents: this.maxTransactionEvents, maxTransactionBytes: this.maxTransactionBytes },
        `a MongoDB transaction outgrew batch.${limit}: it is applied in several batches, so a sink shows it in parts until its last batch is applied`,
      );
    }
    return true;
  }

  /** What is left, for a last apply before stopping. */
  drain(): StreamBatch | undefined {
    if (this.pending.length > 0 || this.cadence.unsaved()) return this.cut();
    return undefined;
  }

  /** Records that a batch returned by `push`/`drain` is applied. */
  markCommitted(batch: StreamBatch): void {
    this.cadence.markSaved(batch.position);
  }

  private cut(): StreamBatch | undefined {
    const position = this.cadence.position();
    if (!position) return undefined;
    const batch: StreamBatch = { events: this.pending, position };
    this.pending = [];
    this.heldBytes = undefined;
    return batch;
  }
}
