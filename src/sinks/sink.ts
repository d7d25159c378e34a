import type { ChangeEvent } from "../source/change-event.js";
import type { Position } from "../source/position.js";

/**
 * A batch of events in stream order and the position the stream reaches once they are
 * applied. `position` may lie beyond the last event (filtered events, a quiet stream), and
 * a batch may carry no events at all, only a new position.
 * @public
 */
export interface Batch {
  readonly events: readonly ChangeEvent[];
  readonly position: Position;
}

/**
 * Where changes go. A transactional sink applies a batch and stores its position in one
 * transaction (exactly-once effect); others store the position after the data is durable
 * (at-least-once, with idempotent writes).
 * @public
 */
export interface Sink {
  readonly name: string;
  readonly transactional: boolean;
  /** Connects and prepares; returns the position stored by the last run, if any. */
  open(signal?: AbortSignal): Promise<Position | undefined>;
  /** Applies a batch and advances the stored position to `batch.position`. */
  apply(batch: Batch, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
