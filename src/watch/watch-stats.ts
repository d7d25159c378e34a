import { formatNamespace, type ChangeEvent, type ChangeOp } from "../core/change-event.js";
import type { Position } from "../core/position.js";

/** Counts per operation. @public */
export type OperationCounts = Readonly<Partial<Record<ChangeOp, number>>>;

/**
 * What a watcher has done so far; `ChangeWatcher.stats()` returns a fresh copy each time.
 * @public
 */
export interface WatchStatsSnapshot {
  /** Reading has begun (`start()` or iteration). */
  readonly started: boolean;
  /** The watcher has ended: stopped, or failed. */
  readonly stopped: boolean;
  /** Events delivered (that passed every filter). */
  readonly total: number;
  /** Delivered events per namespace (`db.coll`, or `db` for database events) and operation. */
  readonly byNamespace: Readonly<Record<string, OperationCounts>>;
  /** Delivered events per operation. */
  readonly byOperation: OperationCounts;
  /** Events the server sent that an in-process filter (`include`, `exclude`, `filter`) left out. */
  readonly skipped: number;
  /** Id batches delivered (`batches()` or `"batch"` handlers). */
  readonly batches: number;
  /**
   * How far behind the reader is, in milliseconds: now minus the time of the last event read
   * (its `wallTime`, else its cluster time to the second), or minus the moment the server last
   * said it had nothing more. `undefined` before the first read.
   */
  readonly lagMs: number | undefined;
  /** The last completed position (as `position()`). */
  readonly position: Position | undefined;
}

/** Counters behind `stats()`; the clock is injectable for tests. */
export class WatchStats {
  private readonly now: () => number;
  private started = false;
  private stopped = false;
  private total = 0;
  private skipped = 0;
  private batches = 0;
  private readonly byNamespace = new Map<string, Map<ChangeOp, number>>();
  private readonly byOperation = new Map<ChangeOp, number>();
  /** When the stream was last known to be read up to (epoch milliseconds). */
  private readUpTo: number | undefined;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  markStarted(): void {
    this.started = true;
  }

  markStopped(): void {
    this.stopped = true;
  }

  /** An event came from the stream (delivered or not). */
  read(event: ChangeEvent): void {
    this.readUpTo = event.wallTime ? event.wallTime.getTime() : event.clusterTime.t * 1000;
  }

  /** The server had nothing more: the reader is up to date as of now. */
  caughtUp(): void {
    this.readUpTo = this.now();
  }

  delivered(event: ChangeEvent): void {
    this.total += 1;
    const namespace = formatNamespace(event.ns);
    let counts = this.byNamespace.get(namespace);
    if (!counts) {
      counts = new Map();
      this.byNamespace.set(namespace, counts);
    }
    counts.set(event.op, (counts.get(event.op) ?? 0) + 1);
    this.byOperation.set(event.op, (this.byOperation.get(event.op) ?? 0) + 1);
  }

  skippedOne(): void {
    this.skipped += 1;
  }

  batchDelivered(): void {
    this.batches += 1;
  }

  snapshot(position: Position | undefined): WatchStatsSnapshot {
    return {
      started: this.started,
      stopped: this.stopped,
      total: this.total,
      byNamespace: Object.fromEntries([...this.byNamespace].map(([namespace, counts]) => [namespace, Object.fromEntries(counts)])),
      byOperation: Object.fromEntries(this.byOperation),
      skipped: this.skipped,
      batches: this.batches,
      lagMs: this.readUpTo === undefined ? undefined : Math.max(0, this.now() - this.readUpTo),
      position,
    };
  }
}
