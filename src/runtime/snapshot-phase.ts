import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../core/logger.js";
import { comparePositions, type Position } from "../core/position.js";
import type { Sink } from "../core/sink.js";
import type { SnapshotSource, SnapshotTarget } from "../core/snapshot-contract.js";
import { startProgressLog, type ProgressReporter } from "../snapshot/progress-log.js";
import { SnapshotProgress } from "../snapshot/snapshot-progress.js";
import { runSnapshot, type SnapshotOutcome } from "../snapshot/snapshot-runner.js";
import { EventSnapshotTarget } from "../snapshot/event-snapshot-target.js";

/**
 * Shows a snapshot's progress: given the figures the snapshot updates, returns a logger to use
 * while it runs and a `stop`. The library logs progress lines; the CLI draws a live display on
 * a terminal.
 */
export type SnapshotObserver = (progress: SnapshotProgress, logger: Logger) => ProgressReporter;

export interface SnapshotPhaseContext {
  readonly config: TributaryConfig;
  /** Where the documents come from: MongoDB in production. */
  readonly source: SnapshotSource;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly observe?: SnapshotObserver;
}

/** Where a sink's stream starts after the snapshot phase, and whether the phase finished its work. */
export interface SnapshotPhaseResult {
  readonly startFrom: Position | undefined;
  readonly complete: boolean;
}

/**
 * Copies what the snapshot mode selects into one sink before streaming: through the sink's bulk
 * path when it has one (PostgreSQL: COPY, with progress stored per range), otherwise as
 * `source: "snapshot"` events through its `apply`. With no stream position stored yet, the
 * sink's stream takes over from the position the snapshot fixed before its first read (stored as
 * the sink's position once the copy is complete, so a later start streams from there too); with
 * one stored, from that position, which is earlier.
 */
export async function runSnapshotPhase(sink: Sink, streamFrom: Position | undefined, context: SnapshotPhaseContext): Promise<SnapshotPhaseResult> {
  const mode = context.config.snapshot.mode;
  if (mode === "never") return { startFrom: streamFrom, complete: true };
  const bulk = sink.capabilities?.bulkSnapshot;
  // Without stored progress, a sink that already streams has had its copy (its position is
  // stored only once the copy is complete); `always` copies again.
  if (!bulk && streamFrom && mode !== "always") return { startFrom: streamFrom, complete: true };
  const outcome = await copyIntoSink(sink, context);
  const atomic = sink.capabilities?.atomicPosition;
  const stored = atomic ? atomic.storedPosition() : streamFrom;
  if (stored || !outcome.handover) return { startFrom: streamFrom, complete: outcome.complete };
  if (outcome.complete) await storeHandover(sink, outcome.handover);
  const startFrom = streamFrom && comparePositions(streamFrom, outcome.handover) < 0 ? streamFrom : outcome.handover;
  return { startFrom, complete: outcome.complete };
}

/** Stores where the sink's stream takes over: with its data when it can, else as a batch of no events. */
async function storeHandover(sink: Sink, handover: Position): Promise<void> {
  const atomic = sink.capabilities?.atomicPosition;
  if (atomic) await atomic.startStreamAt(handover);
  else await sink.apply({ events: [], position: handover });
}

/**
 * Copies what the snapshot mode selects from `context.source` into a sink: through its bulk
 * target when it has one (closed afterwards), else as events through `apply`. `narrow` may wrap
 * the target (a re-copy hides the collection's stored progress so that it starts afresh).
 */
export async function copyIntoSink(sink: Sink, context: SnapshotPhaseContext, narrow: (target: SnapshotTarget) => SnapshotTarget = (target) => target): Promise<SnapshotOutcome> {
  const bulk = sink.capabilities?.bulkSnapshot;
  if (!bulk) return copyCollections(narrow(new EventSnapshotTarget((events) => sink.apply({ events }, context.signal))), sink, context);
  const target = bulk.snapshotTarget(context.config.snapshot.parallelism);
  try {
    return await copyCollections(narrow(target), sink, context);
  } finally {
    await target.close();
  }
}

async function copyCollections(target: SnapshotTarget, sink: Sink, context: SnapshotPhaseContext): Promise<SnapshotOutcome> {
  const settings = context.config.snapshot;
  const progress = new SnapshotProgress();
  const logger = context.logger.child({ sink: sink.name });
  const reporter = context.observe ? context.observe(progress, logger) : startProgressLog(progress, { logger, intervalMs: settings.progressIntervalMs });
  try {
    // The reporter's logger writes above a live display instead of through it.
    return await runSnapshot(context.source, target, { ...settings, progress, logger: reporter.logger, signal: context.signal });
  } finally {
    reporter.stop();
  }
}
