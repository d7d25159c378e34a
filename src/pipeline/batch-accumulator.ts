import type { StreamBatch } from "../core/sink.js";
import { sameTransaction, type ChangeEvent } from "../core/change-event.js";
import type { SourceItem } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import { BatchWindow } from "./batch-window.js";
import { ResumeCadence } from "./resume-cadence.js";

/** @internal */
export interface BatchLimits {
  readonly maxSize: number;
  readonly maxLatencyMs: number;
  /** On a quiet stream, how often an advanced position alone is worth a commit. */
  readonly idleCommitIntervalMs: number;
}

/**
 * Groups source items into batches. A batch closes when it is full or its oldest event has
 * waited long enough — but never inside a MongoDB transaction, whose events all share one
 * batch and so one PostgreSQL transaction — and when the stream is caught up. A quiet stream
 * still yields position-only batches now and then, so its resume point never goes stale.
 */
export class BatchAccumulator {
  private readonly accepts: (event: ChangeEvent) => ChangeEvent | undefined;
  private readonly window: BatchWindow;
  /** The position reached and the one committed; a position alone is due every idle interval. */
  private readonly cadence: ResumeCadence;
  private pending: ChangeEvent[] = [];

  /**
   * @param accepts maps an event to what the sink should see (possibly rewritten), or
   *   `undefined` to leave it out; left-out events still advance the position.
   */
  constructor(limits: BatchLimits, accepts: (event: ChangeEvent) => ChangeEvent | undefined, committed?: Position, now: () => number = Date.now) {
    this.accepts = accepts;
    this.window = new BatchWindow({ size: limits.maxSize, latencyMs: limits.maxLatencyMs }, now);
    // Events are committed by batches, never by count; a position committed before this process
    // started was not committed by it, so its first move on a quiet stream is committed at once.
    this.cadence = new ResumeCadence({ events: Number.POSITIVE_INFINITY, ms: limits.idleCommitIntervalMs }, committed, now, Number.NEGATIVE_INFINITY);
  }

  /** Takes the next item; returns a batch to apply before taking another, if one is due. */
  push(item: SourceItem): StreamBatch | undefined {
    if (item.kind === "caughtUp") {
      if (item.position) this.cadence.complete(item.position, 0);
      if (this.pending.length > 0 || this.cadence.due()) return this.cut();
      return undefined;
    }
    const event = item.event;
    const last = this.pending[this.pending.length - 1];
    const batch = this.window.isDue(this.pending.length) && !(last && sameTransaction(last, event)) ? this.cut() : undefined;
    const accepted = this.accepts(event);
    if (accepted) {
      if (this.pending.length === 0) this.window.open();
      this.pending.push(accepted);
    }
    this.cadence.complete(event.position, 0);
    return batch;
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
    return batch;
  }
}
