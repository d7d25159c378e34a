import type { Logger } from "../core/logger.js";
import type { BatchAccumulator } from "../pipeline/batch-accumulator.js";
import type { Sink, StreamBatch } from "../core/sink.js";
import type { SourceItem } from "../core/change-event.js";
import type { PipelineStats } from "../pipeline/pipeline-stats.js";

/**
 * Moves source items through the accumulator into the sink until the source ends. When the
 * source fails, what was already read is applied before the error propagates; when the sink
 * fails, nothing after the failed batch is applied, since that would move the stored position
 * past changes that never reached the target.
 */
export async function pumpChanges(
  items: AsyncIterable<SourceItem>,
  accumulator: BatchAccumulator,
  sink: Sink,
  context: { readonly signal: AbortSignal; readonly stats: PipelineStats; readonly logger: Logger },
): Promise<void> {
  let sinkFailed = false;
  const apply = async (batch: StreamBatch | undefined): Promise<void> => {
    if (!batch) return;
    try {
      // Retries during a target outage end on abort; a started transaction always completes.
      await sink.apply(batch, context.signal);
    } catch (error) {
      sinkFailed = true;
      throw error;
    }
    accumulator.markCommitted(batch);
    context.stats.record(batch, context.logger);
  };
  try {
    for await (const item of items) await apply(accumulator.push(item));
  } finally {
    if (!sinkFailed) await apply(accumulator.drain());
  }
}
