import type { Logger } from "../core/logger.js";
import type { BatchAccumulator } from "../pipeline/batch-accumulator.js";
import { ReadAhead, type ReadAheadLimits } from "../pipeline/read-ahead.js";
import type { Sink, StreamBatch } from "../core/sink.js";
import type { ChangeEvent, SourceItem } from "../core/change-event.js";
import type { PipelineStats } from "../pipeline/pipeline-stats.js";

/**
 * A change that takes more than applying it (a collection renamed into the synced set must be
 * copied again). Everything before it is applied first; then `handle` runs; then the change
 * goes through the pipeline as any other. `handle` resolves `false` when it was stopped before
 * it finished: the pump then stops too, before the change, so that a restart handles it again.
 */
export interface ChangeInterrupt {
  matches(event: ChangeEvent): boolean;
  handle(event: ChangeEvent): Promise<boolean>;
}

/**
 * Moves source items through the accumulator into the sink until the source ends, reading the
 * next items while a batch is applied (up to `readAhead`, see {@link ReadAhead}). When the
 * source fails, what was already read is applied before the error propagates; when the sink
 * fails, nothing after the failed batch is applied, since that would move the stored position
 * past changes that never reached the target, and the source is stopped and closed first.
 *
 * @param openItems opens the source; its signal aborts with `context.signal` or when the pump stops.
 */
export async function pumpChanges(
  openItems: (signal: AbortSignal) => AsyncIterable<SourceItem>,
  accumulator: BatchAccumulator,
  sink: Sink,
  context: {
    readonly signal: AbortSignal;
    /** What may be read ahead while a batch is applied: {@link readAheadLimits} of the batch limits. */
    readonly readAhead: ReadAheadLimits;
    readonly stats: PipelineStats;
    readonly logger: Logger;
    readonly interrupt?: ChangeInterrupt;
    /** Told of each batch once every sink has applied it, and how long that took (metrics). */
    readonly onApplied?: (batch: StreamBatch, applyMs: number) => void;
    /** Told of each event read from the stream, before any filter (metrics). */
    readonly onRead?: (event: ChangeEvent) => void;
  },
): Promise<void> {
  let sinkFailed = false;
  const apply = async (batch: StreamBatch | undefined): Promise<void> => {
    if (!batch) return;
    const startedAt = performance.now();
    try {
      // Retries during a target outage end on abort; a started transaction always completes.
      await sink.apply(batch, context.signal);
    } catch (error) {
      sinkFailed = true;
      throw error;
    }
    accumulator.markCommitted(batch);
    context.stats.record(batch, context.logger);
    context.onApplied?.(batch, performance.now() - startedAt);
  };
  try {
    for await (const item of new ReadAhead(openItems, context.signal, context.readAhead)) {
      if (item.kind === "event") context.onRead?.(item.event);
      if (item.kind === "event" && context.interrupt?.matches(item.event)) {
        await apply(accumulator.drain());
        if (!(await context.interrupt.handle(item.event))) return;
      }
      await apply(accumulator.push(item));
    }
  } finally {
    if (!sinkFailed) await apply(accumulator.drain());
  }
}
