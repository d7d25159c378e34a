import type { Logger } from "../core/logger.js";
import type { StreamBatch } from "../core/sink.js";
import { positionDate } from "../core/position.js";

const REPORT_INTERVAL_MS = 10_000;

/** Counts what a sync applied, and logs a summary line every few seconds. @public */
export class SyncStats {
  changes = 0;
  batches = 0;
  private reportedAt = Date.now();
  private changesAtReport = 0;

  record(batch: StreamBatch, logger: Logger): void {
    this.batches += 1;
    this.changes += batch.events.length;
    const now = Date.now();
    if (now - this.reportedAt < REPORT_INTERVAL_MS) return;
    const rate = ((this.changes - this.changesAtReport) * 1000) / (now - this.reportedAt);
    logger.info(
      { changes: this.changes, perSecond: Math.round(rate), lagMs: Math.max(0, now - positionDate(batch.position).getTime()) },
      "sync progress",
    );
    this.reportedAt = now;
    this.changesAtReport = this.changes;
  }
}
