import type { Logger } from "../core/logger.js";
import type { StreamBatch } from "../core/sink.js";
import { formatDuration, oplogRunway } from "../observability/oplog-runway.js";
import { mongoClientFor } from "../source/mongo-connection.js";
import { readOplogWindow, type OplogUnavailable, type OplogWindow } from "../source/oplog-window.js";
import type { MongoClient } from "mongodb";

/** How often the oplog is read for the runway. */
const INTERVAL_MS = 60_000;

/** Where the runway watch reads the committed position and reports what it measured (the sync's monitor, when --http is on). */
export interface RunwayReadings {
  /** The cluster time (seconds) of the last committed position, once a batch was applied. */
  lastCommittedSeconds(): number | undefined;
  oplogRunway?(seconds: number): void;
  /** Why the runway cannot be measured (a mongos, a member without read access to `local`). */
  oplogRunwayUnmeasured?(reason: string): void;
}

/** The committed position's cluster time, kept for the runway watch when no monitor keeps it (no --http). */
export class CommittedTime implements RunwayReadings {
  private seconds: number | undefined;

  batchApplied(batch: StreamBatch): void {
    this.seconds = batch.position.clusterTime.t;
  }

  lastCommittedSeconds(): number | undefined {
    return this.seconds;
  }
}

/**
 * While a sync runs, reads MongoDB's oplog every minute (on a client of its own) and measures the
 * runway of the last committed position: reported to `readings` (the `tributary_oplog_runway_seconds`
 * metric and the status field, with --http), and a warning line whenever it is below
 * `warnBelowMs`, with or without --http. When it cannot be measured (a mongos, no read access to
 * `local`) it says so once, at info level, and tells `readings` why.
 */
export function watchOplogRunway(
  uri: string,
  serverSelectionTimeoutMs: number,
  readings: RunwayReadings,
  logger: Logger,
  warnBelowMs: number,
  intervalMs = INTERVAL_MS,
  readWindow: (client: MongoClient) => Promise<OplogWindow | OplogUnavailable> = readOplogWindow,
): { stop(): Promise<void> } {
  const client = mongoClientFor(uri, serverSelectionTimeoutMs);
  let unmeasuredSaid = false;
  const measure = async (): Promise<void> => {
    const stored = readings.lastCommittedSeconds();
    if (stored === undefined) return;
    const window = await readWindow(client);
    if ("unavailable" in window) {
      readings.oplogRunwayUnmeasured?.(window.unavailable);
      if (!unmeasuredSaid) logger.info({ reason: window.unavailable }, `oplog runway ${window.unavailable}`);
      unmeasuredSaid = true;
      return;
    }
    const runway = oplogRunway(window, stored);
    readings.oplogRunway?.(runway.seconds);
    if (runway.seconds * 1000 < warnBelowMs) {
      logger.warn(
        { oplogRunwaySeconds: Math.round(runway.seconds), oplogHoldsSeconds: window.newestSeconds - window.oldestSeconds },
        runway.seconds <= 0
          ? "the oplog no longer holds the committed position: a restart cannot resume the stream"
          : `oplog runway ${formatDuration(runway.seconds)}, below ${formatDuration(warnBelowMs / 1000)}: a stopped sync must restart before the oplog drops its position`,
      );
    }
  };
  const timer = setInterval(() => void measure().catch(() => undefined), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await client.close().catch(() => undefined);
    },
  };
}
