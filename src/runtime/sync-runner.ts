import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../core/logger.js";
import type { RelationalMapping } from "../sinks/postgres/mapping/table-mapping.js";
import { BatchAccumulator } from "../pipeline/batch-accumulator.js";
import { routeEvent } from "../pipeline/event-router.js";
import { NamespaceFilter } from "../core/namespace-filter.js";
import type { PostgresSink } from "../sinks/postgres/postgres-sink.js";
import { ChangeStreamSource } from "../source/change-stream-source.js";
import { connectMongo, type MongoDeployment } from "../source/mongo-connection.js";
import { listIncludedCollections, sampleCollections } from "../source/sample-collections.js";
import { positionDate } from "../core/position.js";
import { scopeForIncludes } from "../source/watch-scope.js";
import { buildPipelineSinks } from "./pipeline-sinks.js";
import { pumpChanges } from "./pump-changes.js";
import { runSnapshotPhase } from "./snapshot-phase.js";
import { SinkFanOut } from "./sink-fanout.js";
import { SyncStats } from "./sync-stats.js";

/**
 * Runs a sync from MongoDB into the PostgreSQL target and the listed sinks until `signal` aborts (then applies the batch in flight,
 * commits and returns) or a change cannot be applied (then throws, with every change before
 * it committed).
 * @public
 */
export async function runSync(config: TributaryConfig, logger: Logger, signal: AbortSignal, options: RunSyncOptions = {}): Promise<SyncStats> {
  const { sinks, postgres, mapping } = await buildPipelineSinks(config, logger, options.baseDir ?? process.cwd());
  const mapped = mapping ? new Set(mapping.collections.keys()) : undefined;
  const include = config.source.include.length > 0 || !mapped ? config.source.include : [...mapped];
  const sink = sinks.length === 1 && sinks[0] ? sinks[0] : new SinkFanOut(sinks, logger);
  const stats = new SyncStats();
  const resumeFrom = await sink.open();
  try {
    const deployment = await connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs });
    try {
      const filter = new NamespaceFilter(include, config.source.exclude, mapped);
      if (postgres && config.target?.inferMapping) await seedInferredMappings(postgres, deployment, filter, config, logger);
      const { startFrom, complete } = await runSnapshotPhase({ config, postgres, deployment, filter, include, logger, signal }, resumeFrom);
      if (config.snapshot.mode === "only" || signal.aborted) {
        logger.info({ complete }, complete ? "snapshot complete; a sync continues from the moment it started" : "snapshot stopped; the next start continues it");
        return stats;
      }
      logger.info(
        { pipeline: config.name, sinks: sinks.map((each) => each.name), mode: describeMode(config, mapping), mongodb: deployment.where, version: deployment.version, resumeFrom: startFrom ? positionDate(startFrom).toISOString() : "now" },
        startFrom ? "resuming sync" : "starting sync from the current time",
      );
      const scope = scopeForIncludes(include);
      const source = new ChangeStreamSource(deployment, {
        scope,
        fullDocument: config.source.fullDocument,
        fullDocumentBeforeChange: config.source.fullDocumentBeforeChange ?? (deployment.supportsExpandedEvents ? "whenAvailable" : "off"),
        resumeFrom: startFrom,
        maxAwaitTimeMs: config.batch.maxLatencyMs,
        retry: config.retry,
        logger,
      });
      const accumulator = new BatchAccumulator(
        { maxSize: config.batch.maxSize, maxLatencyMs: config.batch.maxLatencyMs, idleCommitIntervalMs: config.checkpoint.idleIntervalMs },
        (event) => routeEvent(filter, event),
        startFrom,
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

/** @public */
export interface RunSyncOptions {
  /** Relative sink paths and position files resolve against this directory (default: the working directory). */
  readonly baseDir?: string;
}

function describeMode(config: TributaryConfig, mapping: RelationalMapping | undefined): string | undefined {
  if (!config.target) return undefined;
  if (mapping) return `relational (${mapping.file})`;
  return config.target.inferMapping ? "relational (inferred mapping)" : "raw";
}

/** Samples the included collections that have no stored mapping yet, to infer theirs. */
async function seedInferredMappings(sink: PostgresSink, deployment: MongoDeployment, filter: NamespaceFilter, config: TributaryConfig, logger: Logger): Promise<void> {
  const known = sink.inferredMappings();
  const namespaces = (await listIncludedCollections(deployment.client, filter, config.source.include, deployment.where)).filter((namespace) => !known.has(namespace));
  const samples = await sampleCollections(deployment.client, namespaces, config.source.sampleSize, deployment.where);
  sink.seedInferredMappings(samples);
  logger.info({ collections: namespaces.length, stored: known.size, sampleSize: config.source.sampleSize }, "mappings inferred from samples of the collections that have none stored");
}
