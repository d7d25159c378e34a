import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../observability/logger.js";
import { loadMapping } from "../mapping/load-mapping.js";
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
  // A wrong mapping is reported before anything connects.
  const mapping = config.target.mapping ? await loadMapping(config.target.mapping, { defaultSchema: config.target.schema }) : undefined;
  const mapped = mapping ? new Set(mapping.collections.keys()) : undefined;
  const include = config.source.include.length > 0 || !mapped ? config.source.include : [...mapped];
  const sink = new PostgresSink({
    url: config.target.url,
    schema: config.target.schema,
    checkpointSchema: config.target.checkpointSchema,
    tables: config.target.tables,
    mapping,
    strict: config.target.strict,
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
        { pipeline: config.name, mode: mapping ? `relational (${mapping.file})` : "raw", mongodb: deployment.where, version: deployment.version, resumeFrom: resumeFrom ? positionDate(resumeFrom).toISOString() : "now" },
        resumeFrom ? "resuming sync" : "starting sync from the current time",
      );
      const scope = scopeForIncludes(include);
      const filter = new NamespaceFilter(include, config.source.exclude, mapped);
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
