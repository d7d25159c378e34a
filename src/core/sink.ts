import type { ResumePointStore } from "./resume-point-store.js";
import type { Logger } from "../core/logger.js";
import type { ChangeEvent } from "./change-event.js";
import type { Position } from "./position.js";

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

/**
 * What Tributary hands a sink factory besides the sink's own options.
 * @public
 */
export interface SinkContext {
  /** The pipeline's name (`name` in the config). */
  readonly pipeline: string;
  /** This sink's name in the config (unique within the pipeline). */
  readonly sinkName: string;
  /** Log through this (a child logger that names the sink). */
  readonly logger: Logger;
  /** Relative paths in options are relative to this directory (the config file's, or the working directory). */
  readonly baseDir: string;
  /**
   * Where the sink keeps its position unless it has a better place (a transactional target
   * keeps it with its data): the `positions` of the sink's config, or the pipeline's default.
   */
  readonly positions: ResumePointStore;
}

/**
 * What a sink plugin exports as `createSink`: builds a sink from the `options` object of its
 * config entry. Validate the options here and throw a clear error naming the bad one.
 * @public
 */
export type SinkFactory = (options: Readonly<Record<string, unknown>>, context: SinkContext) => Sink | Promise<Sink>;
