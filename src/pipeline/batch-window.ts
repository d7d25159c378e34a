/** When a batch is full or old enough. */
export interface BatchWindowLimits {
  /** Due once the batch holds this many items. */
  readonly size: number;
  /** Due once its oldest item has waited this long (milliseconds). */
  readonly latencyMs: number;
}

/**
 * The one rule by which both faces cut batches — sync's batches of changes and `watch()`'s id
 * batches: a batch is due when it holds `size` items or its oldest item has waited `latencyMs`.
 * The caller counts the items; the window remembers when the first one came.
 */
export class BatchWindow {
  private readonly limits: BatchWindowLimits;
  private readonly now: () => number;
  private openedAt = 0;

  constructor(limits: BatchWindowLimits, now: () => number = Date.now) {
    this.limits = limits;
    this.now = now;
  }

  /** The first item entered an empty batch. */
  open(): void {
    this.openedAt = this.now();
  }

  /** Milliseconds until a batch of `count` items is due; `undefined` when it is empty. */
  msUntilDue(count: number): number | undefined {
    if (count === 0) return undefined;
    if (count >= this.limits.size) return 0;
    return Math.max(0, this.openedAt + this.limits.latencyMs - this.now());
  }

  /** Whether a batch of `count` items is due now. */
  isDue(count: number): boolean {
    return this.msUntilDue(count) === 0;
  }
}
