import type { ResumePointStore } from "../core/resume-point-store.js";
import type { ChangeEvent } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import type { Batch, Sink } from "../core/sink.js";

/**
 * The part of a non-transactional sink that writes: events in stream order, resolving once
 * they are durable in the target. Writes must be idempotent, since after a crash the events
 * since the last saved position are written again.
 * @public
 */
export interface EventWriter {
  /** `stored`: the position the sink resumes from (absent on a first run). */
  open?(signal?: AbortSignal, stored?: Position): Promise<void>;
  write(events: readonly ChangeEvent[], signal?: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/**
 * Makes a sink of a writer and a resume point store: each batch is written, then its position
 * saved, so a crash between the two replays the batch (at-least-once) and never skips it.
 * @public
 */
export function atLeastOnceSink(name: string, writer: EventWriter, positions: ResumePointStore): Sink {
  return {
    name,
    transactional: false,
    async open(signal?: AbortSignal): Promise<Position | undefined> {
      const stored = await positions.load();
      await writer.open?.(signal, stored);
      return stored;
    },
    async apply(batch: Batch, signal?: AbortSignal): Promise<void> {
      if (batch.events.length > 0) await writer.write(batch.events, signal);
      if (batch.position) await positions.save(batch.position);
    },
    async close(): Promise<void> {
      try {
        await writer.close?.();
      } finally {
        await positions.close();
      }
    },
  };
}
