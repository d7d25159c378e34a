import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../observability/logger.js";
import { loadMapping } from "../mapping/load-mapping.js";
import { BatchAccumulator } from "../pipeline/batch-accumulator.js";
import { routeEvent } from "../pipeline/event-router.js";
import { NamespaceFilter } from "../pipeline/namespace-filter.js";
import { PostgresSink } from "../sinks/postgres/postgres-sink.js";
import { ChangeStreamSource } from "../source/change-stream-source.js";
import { connectMongo, type MongoDeployment } from "../source/mongo-connection.js";
import { listIncludedCollections, sampleCollections } from "../source/sample-collections.js";
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
    inferMapping: config.target.inferMapping,
    strict: config.target.strict,
    commands: config.target.commands,
    pipeline: config.name,
    retry: config.retry,
    logger,
  });
  const stats = new SyncStats();
  const resumeFrom = await sink.open();
  try {
    const deployment = await connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs });
    try {
      const filter = new NamespaceFilter(include, config.source.exclude, mapped);
      if (config.target.inferMapping) await seedInferredMappings(sink, deployment, filter, config, logger);
      logger.info(
        { pipeline: config.name, mode: mapping ? `relational (${mapping.file})` : config.target.inferMapping ? "relational (inferred mapping)" : "raw", mongodb: deployment.where, version: deployment.version, resumeFrom: resumeFrom ? positionDate(resumeFrom).toISOString() : "now" },
        resumeFrom ? "resuming sync" : "starting sync from the current time",
      );
      const scope = scopeForIncludes(include);
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

/** Samples the included collections that have no stored mapping yet, to infer theirs. */
async function seedInferredMappings(sink: PostgresSink, deployment: MongoDeployment, filter: NamespaceFilter, config: TributaryConfig, logger: Logger): Promise<void> {
  const known = sink.inferredMappings();
  const namespaces = (await listIncludedCollections(deployment.client, filter, config.source.include, deployment.where)).filter((namespace) => !known.has(namespace));
  const samples = await sampleCollections(deployment.client, namespaces, config.source.sampleSize, deployment.where);
  sink.seedInferredMappings(samples);
  logger.info({ collections: namespaces.length, stored: known.size, sampleSize: config.source.sampleSize }, "mappings inferred from samples of the collections that have none stored");
}
