import type { Logger } from "../core/logger.js";
import { formatDuration, oplogRunway } from "../observability/oplog-runway.js";
import type { SyncMonitor } from "../observability/sync-monitor.js";
import { mongoClientFor } from "../source/mongo-connection.js";
import { readOplogWindow } from "../source/oplog-window.js";

/** How often the oplog is read for the runway. */
const INTERVAL_MS = 60_000;

/**
 * While a sync runs with its HTTP endpoint, reads MongoDB's oplog every minute (on a client of
 * its own) and measures the runway of the last committed position: the `tributary_oplog_runway_seconds`
 * metric and the status field, and a warning line whenever it is below `warnBelowMs`. A member
 * the oplog cannot be read from (a mongos, no read access to `local`) is logged once at debug.
 */
export function watchOplogRunway(uri: string, serverSelectionTimeoutMs: number, monitor: SyncMonitor, logger: Logger, warnBelowMs: number, intervalMs = INTERVAL_MS): { stop(): Promise<void> } {
  const client = mongoClientFor(uri, serverSelectionTimeoutMs);
  let unavailableLogged = false;
  const measure = async (): Promise<void> => {
    const stored = monitor.lastCommittedSeconds();
    if (stored === undefined) return;
    const window = await readOplogWindow(client);
    if ("unavailable" in window) {
      if (!unavailableLogged) logger.debug({ reason: window.unavailable }, "oplog runway not measured");
      unavailableLogged = true;
      return;
    }
    const runway = oplogRunway(window, stored);
    monitor.oplogRunway(runway.seconds);
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
