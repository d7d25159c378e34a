import type { SyncMonitor } from "../observability/sync-monitor.js";

/** How often the dead letters are counted. */
const INTERVAL_MS = 60_000;

/**
 * While a sync runs with its HTTP endpoint and a PostgreSQL target, counts the pipeline's dead
 * letters every minute (and once at start) for the `tributary_dead_letters` metric and the
 * status page, and reads the error the target records for the pipeline (`recordedError` in
 * `/status`: the one an earlier run stopped on, and whether it is resolved). A failed read leaves
 * the last figures shown; the sync itself reports the outage.
 */
export function watchDeadLetters(url: string, schema: string, pipeline: string, monitor: SyncMonitor, intervalMs = INTERVAL_MS): { stop(): void } {
  const count = async (): Promise<void> => {
    const { readTargetStatus } = await import("../sinks/postgres/index.js");
    const status = await readTargetStatus(url, schema);
    monitor.deadLetters(status.deadLetters.filter((row) => row.pipeline === pipeline).reduce((sum, row) => sum + row.count, 0));
    const recorded = status.lastErrors.find((row) => row.pipeline === pipeline);
    monitor.recordedError(
      recorded && {
        code: recorded.code,
        message: recorded.message,
        ...(recorded.sink === undefined ? {} : { sink: recorded.sink }),
        ...(recorded.namespace === undefined ? {} : { namespace: recorded.namespace }),
        occurredAt: recorded.occurredAt.toISOString(),
        ...(recorded.resolvedAt === undefined ? {} : { resolvedAt: recorded.resolvedAt.toISOString() }),
      },
    );
  };
  void count().catch(() => undefined);
  const timer = setInterval(() => void count().catch(() => undefined), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
