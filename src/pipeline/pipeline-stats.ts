import { formatNamespace, type ChangeEvent, type ChangeOp } from "../core/change-event.js";
import type { Logger } from "../core/logger.js";
import { positionDate, type Position } from "../core/position.js";
import type { StreamBatch } from "../core/sink.js";

/** How often {@link PipelineStats.record} logs a progress line (milliseconds). */
const REPORT_INTERVAL_MS = 10_000;

/** Counts per operation. @public */
export type OperationCounts = Readonly<Partial<Record<ChangeOp, number>>>;

/**
 * What a pipeline has done so far, as of one moment (`ChangeWatcher.stats()` returns it as
 * `WatchStatsSnapshot`).
 * @public
 */
export interface PipelineStatsSnapshot {
  /** Reading has begun. */
  readonly started: boolean;
  /** The pipeline has ended: stopped, or failed. */
  readonly stopped: boolean;
  /** Events delivered (that passed every filter). */
  readonly total: number;
  /** Delivered events per namespace (`db.coll`, or `db` for database events) and operation. */
  readonly byNamespace: Readonly<Record<string, OperationCounts>>;
  /** Delivered events per operation. */
  readonly byOperation: OperationCounts;
  /** Events the server sent that an in-process filter (`include`, `exclude`, `filter`) left out. */
  readonly skipped: number;
  /** Batches delivered (a watcher's id batches, a sync's applied batches). */
  readonly batches: number;
  /**
   * How far behind the reader is, in milliseconds: now minus the time of the last event read
   * (its `wallTime`, else its cluster time to the second), or minus the moment the server last
   * said it had nothing more. `undefined` before the first read.
   */
  readonly lagMs: number | undefined;
  /** The last completed position. */
  readonly position: Position | undefined;
}

/**
 * The counters of a pipeline, for `watch()` and `sync` alike: events read (for the lag),
 * delivered (per namespace and operation) and skipped, batches, start and end. A sync also
 * `record`s each applied batch, which counts it and logs a "sync progress" line now and then.
 * The clock is injectable for tests.
 */
export class PipelineStats {
  private readonly now: () => number;
  private started = false;
  private stopped = false;
  private total = 0;
  private skippedCount = 0;
  private batchCount = 0;
  private readonly byNamespace = new Map<string, Map<ChangeOp, number>>();
  private readonly byOperation = new Map<ChangeOp, number>();
  /** When the stream was last known to be read up to (epoch milliseconds). */
  private readUpTo: number | undefined;
  private reportedAt: number;
  private changesAtReport = 0;

  constructor(now: () => number = Date.now) {
    this.now = now;
    this.reportedAt = now();
  }

  /** Events delivered so far. */
  get changes(): number {
    return this.total;
  }

  /** Batches delivered so far. */
  get batches(): number {
    return this.batchCount;
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

  /** An event passed every filter and was delivered. */
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

  /** An event read was left out by a filter. */
  skipped(): void {
    this.skippedCount += 1;
  }

  /** A batch was delivered. */
  batchDelivered(): void {
    this.batchCount += 1;
  }

  /**
   * A batch was applied: counts its events as delivered and the batch, and at most every 10 s
   * logs "sync progress" with `changes` (so far), `perSecond` (since the last line) and `lagMs`
   * (now minus the time of the batch's position).
   */
  record(batch: StreamBatch, logger: Logger): void {
    for (const event of batch.events) this.delivered(event);
    this.batchDelivered();
    const now = this.now();
    if (now - this.reportedAt < REPORT_INTERVAL_MS) return;
    const rate = ((this.changes - this.changesAtReport) * 1000) / (now - this.reportedAt);
    logger.info({ changes: this.changes, perSecond: Math.round(rate), lagMs: Math.max(0, now - positionDate(batch.position).getTime()) }, "sync progress");
    this.reportedAt = now;
    this.changesAtReport = this.changes;
  }

  /** The counters as of now, with the pipeline's last completed position. */
  snapshot(position: Position | undefined): PipelineStatsSnapshot {
    return {
      started: this.started,
      stopped: this.stopped,
      total: this.total,
      byNamespace: Object.fromEntries([...this.byNamespace].map(([namespace, counts]) => [namespace, Object.fromEntries(counts)])),
      byOperation: Object.fromEntries(this.byOperation),
      skipped: this.skippedCount,
      batches: this.batchCount,
      lagMs: this.readUpTo === undefined ? undefined : Math.max(0, this.now() - this.readUpTo),
      position,
    };
  }
}
