import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../core/logger.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";
import type { PostgresSink } from "../sinks/postgres/postgres-sink.js";
import { MongoSnapshotSource } from "../source/mongo-snapshot-source.js";
import { startProgressReporter } from "../snapshot/progress-reporter.js";
import { SnapshotProgress } from "../snapshot/snapshot-progress.js";
import { runSnapshot, type SnapshotOutcome } from "../snapshot/snapshot-runner.js";
import type { MongoDeployment } from "../source/mongo-connection.js";
import { comparePositions, type Position } from "../core/position.js";

export interface SnapshotPhaseContext {
  readonly config: TributaryConfig;
  readonly postgres: PostgresSink | undefined;
  readonly deployment: MongoDeployment;
  readonly filter: NamespaceFilter;
  readonly include: readonly string[];
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** Where the stream starts after the snapshot phase, and whether the phase finished its work. */
export interface SnapshotPhaseResult {
  readonly startFrom: Position | undefined;
  readonly complete: boolean;
}

/**
 * Copies what the snapshot mode selects into the PostgreSQL target before streaming. With no
 * stream position stored yet, streaming takes over from the position the snapshot fixed before
 * its first read (stored as the pipeline's position once the copy is complete, so a later start
 * streams from there too); with one stored, from that position, which is earlier.
 */
export async function runSnapshotPhase(context: SnapshotPhaseContext, streamFrom: Position | undefined): Promise<SnapshotPhaseResult> {
  const { config, postgres, logger } = context;
  const settings = config.snapshot;
  if (settings.mode === "never") return { startFrom: streamFrom, complete: true };
  if (!postgres) {
    logger.info({ sinks: config.sinks.map((sink) => sink.name) }, "no snapshot: it copies into the PostgreSQL target, and the listed sinks receive changes only");
    return { startFrom: streamFrom, complete: true };
  }
  const outcome = await copyCollections(context, postgres);
  const stored = postgres.storedPosition();
  if (stored || !outcome.handover) return { startFrom: streamFrom, complete: outcome.complete };
  if (outcome.complete) await postgres.startStreamAt(outcome.handover);
  const startFrom = streamFrom && comparePositions(streamFrom, outcome.handover) < 0 ? streamFrom : outcome.handover;
  return { startFrom, complete: outcome.complete };
}

async function copyCollections(context: SnapshotPhaseContext, postgres: PostgresSink): Promise<SnapshotOutcome> {
  const settings = context.config.snapshot;
  const source = new MongoSnapshotSource(context.deployment, { filter: context.filter, include: context.include });
  const target = postgres.snapshotTarget(settings.parallelism);
  const progress = new SnapshotProgress();
  const reporter = startProgressReporter(progress, { output: process.stderr, logger: context.logger, intervalMs: settings.progressIntervalMs });
  try {
    // The reporter's logger writes above a live display instead of through it.
    return await runSnapshot(source, target, { ...settings, progress, logger: reporter.logger, signal: context.signal });
  } finally {
    reporter.stop();
    await target.close();
  }
}
