import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../core/logger.js";
import { redactingLogger } from "../core/redacting-logger.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";
import { positionDate } from "../core/position.js";
import type { ChangeEvent, SourceItem } from "../core/change-event.js";
import type { Sink, StreamBatch } from "../core/sink.js";
import { BatchAccumulator } from "../pipeline/batch-accumulator.js";
import { EventSelector } from "../pipeline/event-selector.js";
import { PipelineStats } from "../pipeline/pipeline-stats.js";
import { readAheadLimits } from "../pipeline/read-ahead.js";
import { ChangeStreamSource } from "../source/change-stream-source.js";
import { connectMongo, mongoClientFor, type MongoDeployment } from "../source/mongo-connection.js";
import { MongoSnapshotSource } from "../source/mongo-snapshot-source.js";
import { listIncludedCollections, sampleCollections } from "../source/sample-collections.js";
import { describeStartPoint, namingStartPoint, resolveStartPosition } from "../source/start-position.js";
import { recordOtherToolsCopy, refuseWhenStored, startPointOfConfig } from "./start-at.js";
import { streamMatchStages } from "../source/stream-match.js";
import { scopeForIncludes } from "../source/watch-scope.js";
import { checkStreamOptions } from "../source/server-features.js";
import { buildPipelineSinks, pipelineNamespaces } from "./pipeline-sinks.js";
import { pumpChanges } from "./pump-changes.js";
import { RenameInRecopy } from "./rename-in-recopy.js";
import { runSnapshotPhase, type SnapshotObserver } from "./snapshot-phase.js";
import { SinkFanOut } from "./sink-fanout.js";
import { waitAtStartup, type StartupWaitNotice } from "./wait-at-startup.js";
import { syncErrorRecorder } from "./sync-error-record.js";

/**
 * Runs a sync from MongoDB into the pipeline's sinks (the config's PostgreSQL `target` and the
 * listed `sinks`, all resolved and driven the same way) until `signal` aborts (then applies the
 * batch in flight, commits and returns) or a change cannot be applied (then throws, with every
 * change before it committed). It writes to no terminal: progress goes to `logger` (every line redacted), or to
 * `options.onSnapshotProgress`.
 * @public
 */
export async function runSync(config: TributaryConfig, given: Logger, signal: AbortSignal, options: RunSyncOptions = {}): Promise<PipelineStats> {
  // The caller's logger never sees a secret: every line is redacted, as the CLI's are.
  const logger = redactingLogger(given);
  const phase = options.onPhase ?? (() => undefined);
  phase("checking");
  // The driver parses the connection string now, so that a wrong one touches no sink (nothing connects yet).
  void mongoClientFor(config.source.uri, config.source.serverSelectionTimeoutMs).close();
  // A cutover's start point (--start-at), its progress file read now: it applies only when nothing is stored.
  const startAt = await startPointOfConfig(config, options.baseDir ?? process.cwd());
  const { sinks } = await buildPipelineSinks(config, logger, options.baseDir ?? process.cwd());
  const { filter, include, mapped } = pipelineNamespaces(config, sinks);
  const fanOut = new SinkFanOut(sinks, logger);
  const stats = new PipelineStats();
  phase("opening sinks");
  const startup = { retry: config.retry, logger, signal, onWait: options.onWaiting };
  await waitAtStartup("the sinks' servers", () => fanOut.open(signal), startup);
  if (startAt !== undefined) await refuseWhenStored(fanOut, config);
  // From here the target is open: an error the sync stops on is recorded there (tributary status).
  const errors = syncErrorRecorder(config, logger);
  try {
    phase("connecting to MongoDB");
    const deployment = await waitAtStartup("MongoDB", () => connectMongo(config.source.uri, { serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs }), startup);
    try {
      checkStreamOptions(deployment, { fullDocument: config.source.fullDocument, fullDocumentBeforeChange: config.source.fullDocumentBeforeChange ?? "off" }, logger);
      await prepareSchemas(sinks, deployment, filter, config, logger);
      phase("snapshot");
      let complete = true;
      const snapshotSource = new MongoSnapshotSource(deployment, { filter, include, logger, retry: config.retry });
      // A start point replaces the snapshot: the other tool's copy is the one streamed onto.
      for (const { sink, position } of startAt === undefined ? fanOut.positions() : []) {
        const result = await runSnapshotPhase(sink, position, { config, source: snapshotSource, logger, signal, observe: options.onSnapshotProgress });
        fanOut.continueAfter(sink, result.startFrom);
        complete &&= result.complete;
      }
      if (config.snapshot.mode === "only" || signal.aborted) {
        if (complete) errors.healthy();
        logger.info({ complete }, complete ? "snapshot complete; a sync continues from the moment it started" : "snapshot stopped; the next start continues it");
        return stats;
      }
      const scope = scopeForIncludes(include);
      const startFrom = fanOut.earliestPosition();
      logger.info(
        { pipeline: config.name, sinks: sinks.map((each) => each.name), mongodb: deployment.where, version: deployment.version, resumeFrom: startFrom ? positionDate(startFrom).toISOString() : startAt !== undefined ? describeStartPoint(startAt) : "now" },
        startFrom ? "resuming sync" : startAt !== undefined ? "starting sync at the start point, without a snapshot" : "starting sync from the current time",
      );
      // Starting "now" is a real position too, taken before the first read, as for watch().
      const resumeFrom = startFrom ?? (await resolveStartPosition(deployment, scope, startAt ?? "now"));
      if (startAt !== undefined) await recordOtherToolsCopy(sinks, snapshotSource, resumeFrom, config.snapshot.parallelism);
      const source = new ChangeStreamSource(deployment, {
        scope,
        fullDocument: config.source.fullDocument,
        fullDocumentBeforeChange: config.source.fullDocumentBeforeChange ?? (deployment.supportsExpandedEvents ? "whenAvailable" : "off"),
        // The server leaves out (and never builds) events of namespaces the pipeline does not sync.
        pipeline: streamMatchStages({ namespaces: { include, exclude: config.source.exclude, only: mapped } }),
        resumeFrom,
        maxAwaitTimeMs: config.batch.maxLatencyMs,
        retry: config.retry,
        logger,
      });
      const selector = new EventSelector({ namespaces: filter, renameOutAsDrop: true });
      const accumulator = new BatchAccumulator(
        { ...config.batch, idleCommitIntervalMs: config.checkpoint.idleIntervalMs },
        (event) => selector.select(event),
        startFrom,
        Date.now,
        logger,
      );
      phase("streaming");
      // A collection renamed into the synced set from outside it is copied again, then streamed.
      const interrupt = new RenameInRecopy(filter, fanOut, { config, source: snapshotSource, logger, signal, observe: options.onSnapshotProgress });
      const onApplied = (batch: StreamBatch, applyMs: number): void => {
        errors.healthy();
        options.onBatchApplied?.(batch, applyMs);
      };
      const items = (reading: AbortSignal): AsyncIterable<SourceItem> => (startAt === undefined ? source.items(reading) : namingStartPoint(source.items(reading), deployment.where, startAt));
      await pumpChanges(items, accumulator, fanOut, { signal, readAhead: readAheadLimits(config.batch), stats, logger, interrupt, onApplied, onRead: options.onEventRead });
    } finally {
      await deployment.client.close();
    }
  } catch (error) {
    if (!signal.aborted) await errors.failed(error, fanOut.failedSink());
    throw error;
  } finally {
    await errors.settled();
    await fanOut.close();
  }
  logger.info({ changes: stats.changes, batches: stats.batches }, "sync stopped");
  return stats;
}

/** @public */
export interface RunSyncOptions {
  /** Relative sink paths and position files resolve against this directory (default: the working directory). */
  readonly baseDir?: string;
  /**
   * Shows the initial snapshot's progress (the CLI draws a live display on a terminal); by
   * default, progress lines are logged every `snapshot.progressIntervalMs`.
   */
  readonly onSnapshotProgress?: SnapshotObserver;
  /** Told as each start-up phase begins, and when streaming starts (the CLI logs them and decides what a signal does). */
  readonly onPhase?: (phase: SyncPhase) => void;
  /** Told of each batch of the stream once every sink has applied it, and how long that took (the CLI's metrics). */
  readonly onBatchApplied?: (batch: StreamBatch, applyMs: number) => void;
  /** Told of each event read from the change stream, before the pipeline's filters (the CLI's metrics). */
  readonly onEventRead?: (event: ChangeEvent) => void;
  /** Told of each failed try while start-up waits for a server that cannot be reached yet (the CLI shows it on `/readyz`). */
  readonly onWaiting?: (notice: StartupWaitNotice) => void;
}

/** The phases of a sync, in order. @public */
export type SyncPhase = "checking" | "opening sinks" | "connecting to MongoDB" | "snapshot" | "streaming";

/** Samples the included collections whose schema a sink prepares from samples and has not prepared yet. */
async function prepareSchemas(sinks: readonly Sink[], deployment: MongoDeployment, filter: NamespaceFilter, config: TributaryConfig, logger: Logger): Promise<void> {
  const preparing = sinks.flatMap((sink) => (sink.capabilities?.schemaFromSamples ? [sink.capabilities.schemaFromSamples] : []));
  if (preparing.length === 0) return;
  const included = await listIncludedCollections(deployment.client, filter, config.source.include, deployment.where);
  for (const schema of preparing) {
    const namespaces = schema.unprepared(included);
    schema.prepare(await sampleCollections(deployment.client, namespaces, config.source.sampleSize, deployment.where));
    logger.info({ collections: namespaces.length, stored: included.length - namespaces.length, sampleSize: config.source.sampleSize }, "mappings inferred from samples of the collections that have none stored");
  }
}
