import type { StreamBatch } from "../core/sink.js";
import { sameTransaction, type ChangeEvent } from "../core/change-event.js";
import type { SourceItem } from "../core/change-event.js";
import { comparePositions, type Position } from "../core/position.js";

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
  private readonly limits: BatchLimits;
  private readonly accepts: (event: ChangeEvent) => ChangeEvent | undefined;
  private readonly now: () => number;
  private pending: ChangeEvent[] = [];
  private pendingSince = 0;
  private latest: Position | undefined;
  private committed: Position | undefined;
  private committedAt = Number.NEGATIVE_INFINITY;

  /**
   * @param accepts maps an event to what the sink should see (possibly rewritten), or
   *   `undefined` to leave it out; left-out events still advance the position.
   */
  constructor(limits: BatchLimits, accepts: (event: ChangeEvent) => ChangeEvent | undefined, committed?: Position, now: () => number = Date.now) {
    this.limits = limits;
    this.accepts = accepts;
    this.now = now;
    this.committed = committed;
    this.latest = committed;
  }

  /** Takes the next item; returns a batch to apply before taking another, if one is due. */
  push(item: SourceItem): StreamBatch | undefined {
    if (item.kind === "caughtUp") {
      if (item.position) this.advance(item.position);
      if (this.pending.length > 0) return this.cut();
      const idleCommitDue = this.now() - this.committedAt >= this.limits.idleCommitIntervalMs;
      if (this.latest && this.isAhead(this.latest) && (this.committed === undefined || idleCommitDue)) return this.cut();
      return undefined;
    }
    const event = item.event;
    const last = this.pending[this.pending.length - 1];
    const due = this.pending.length >= this.limits.maxSize || (this.pending.length > 0 && this.now() - this.pendingSince >= this.limits.maxLatencyMs);
    const batch = due && !(last && sameTransaction(last, event)) ? this.cut() : undefined;
    const accepted = this.accepts(event);
    if (accepted) {
      if (this.pending.length === 0) this.pendingSince = this.now();
      this.pending.push(accepted);
    }
    this.advance(event.position);
    return batch;
  }

  /** What is left, for a last apply before stopping. */
  drain(): StreamBatch | undefined {
    if (this.pending.length > 0 || (this.latest && this.isAhead(this.latest))) return this.cut();
    return undefined;
  }

  /** Records that a batch returned by `push`/`drain` is applied. */
  markCommitted(batch: StreamBatch): void {
    this.committed = batch.position;
    this.committedAt = this.now();
  }

  private cut(): StreamBatch | undefined {
    if (!this.latest) return undefined;
    const batch: StreamBatch = { events: this.pending, position: this.latest };
    this.pending = [];
    return batch;
  }

  private advance(position: Position): void {
    if (!this.latest || comparePositions(position, this.latest) > 0) this.latest = position;
  }

  private isAhead(position: Position): boolean {
    return this.committed === undefined || comparePositions(position, this.committed) > 0;
  }
}
