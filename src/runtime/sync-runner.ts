import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../observability/logger.js";
import { BatchAccumulator } from "../pipeline/batch-accumulator.js";
import { routeEvent } from "../pipeline/event-router.js";
import { NamespaceFilter } from "../pipeline/namespace-filter.js";
import { PostgresSink } from "../sinks/postgres/postgres-sink.js";
import { ChangeStreamSource } from "../source/change-stream-source.js";
import { connectMongo } from "../source/mongo-connection.js";
import { positionDate } from "../source/position.js";
import { scopeForIncludes } from "../source/watch-scope.js";
import { pumpChanges } from "./pump-changes.js";
import { SyncStats } from "./sync-stats.js";

/**
 * Runs a MongoDB → PostgreSQL sync until `signal` aborts (then applies the batch in flight,
 * commits and returns) or a change cannot be applied (then throws, with every change before
 * it committed).
 * @public
 */
export async function runSync(config: TributaryConfig, logger: Logger, signal: AbortSignal): Promise<SyncStats> {
  const sink = new PostgresSink({
    url: config.target.url,
    schema: config.target.schema,
    checkpointSchema: config.target.checkpointSchema,
    tables: config.target.tables,
    pipeline: config.name,
    retry: config.retry,
    logger,
  });
  const stats = new SyncStats();
  const resumeFrom = await sink.open();
  try {
    const deployment = await connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs });
    try {
      logger.info(
        { pipeline: config.name, mongodb: deployment.where, version: deployment.version, resumeFrom: resumeFrom ? positionDate(resumeFrom).toISOString() : "now" },
        resumeFrom ? "resuming sync" : "starting sync from the current time",
      );
      const scope = scopeForIncludes(config.source.include);
      const filter = new NamespaceFilter(config.source.include, config.source.exclude);
      const source = new ChangeStreamSource(deployment, {
        scope,
        fullDocument: config.source.fullDocument,
        resumeFrom,
        maxAwaitTimeMs: config.batch.maxLatencyMs,
        retry: config.retry,
        logger,
      });
      const accumulator = new BatchAccumulator(
        { maxSize: config.batch.maxSize, maxLatencyMs: config.batch.maxLatencyMs, idleCommitIntervalMs: config.checkpoint.idleIntervalMs },
        (event) => routeEvent(filter, event),
        resumeFrom,
      );
      await pumpChanges(source.items(signal), accumulator, sink, { signal, stats, logger });
    } finally {
      await deployment.client.close();
    }
  } finally {
    await sink.close();
  }
  logger.info({ changes: stats.changes, batches: stats.batches }, "sync stopped");
  return stats;
}
