import type { ResumePointStore } from "../core/resume-point-store.js";
import type { ChangeEvent } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import type { Batch, Sink } from "../core/sink.js";
import type { Logger } from "../core/logger.js";
import { DEFAULT_RETRY, retryWithProbe, type BackoffOptions } from "../core/retry.js";
import { classifyTributaryError } from "../core/unreachable.js";

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
 * How an at-least-once sink retries saving its position while the store's server cannot be
 * reached (the sink's context gives both): the core's retry, one warning per try.
 * @public
 */
export interface PositionRetry {
  readonly retry?: BackoffOptions;
  readonly logger: Logger;
}

/**
 * Makes a sink of a writer and a resume point store: each batch is written, then its position
 * saved, so a crash between the two replays the batch (at-least-once) and never skips it. With
 * `saving`, a save that fails because the store's server cannot be reached is retried (a store
 * that lost the reply of a save accepts the same position again).
 * @public
 */
export function atLeastOnceSink(name: string, writer: EventWriter, positions: ResumePointStore, saving?: PositionRetry): Sink {
  const save = (position: Position, signal?: AbortSignal): Promise<void> =>
    saving === undefined
      ? positions.save(position)
      : retryWithProbe({
          attempt: () => positions.save(position),
          classify: classifyTributaryError,
          component: "resume point store",
          giveUp: (error) => (error instanceof Error ? error : new Error(String(error))),
          onRetry: ({ attempt, delayMs, error }) => saving.logger.warn({ attempt, retryInMs: delayMs, err: (error as Error).message }, "resume point store unavailable; retrying the save"),
          backoff: saving.retry ?? DEFAULT_RETRY,
          signal,
        });
  return {
    name,
    transactional: false,
    async open(signal?: AbortSignal): Promise<Position | undefined> {
      const stored = await positions.load();
      try {
        await writer.open?.(signal, stored);
      } catch (error) {
        // A sink that did not open keeps nothing open: the store's connection (PostgreSQL's stays
        // open however long it sits idle) would keep the process from exiting on the error.
        await positions.close().catch(() => undefined);
        throw error;
      }
      return stored;
    },
    async apply(batch: Batch, signal?: AbortSignal): Promise<void> {
      if (batch.events.length > 0) await writer.write(batch.events, signal);
      if (batch.position) await save(batch.position, signal);
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
