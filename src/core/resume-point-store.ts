import type { Position } from "./position.js";

/**
 * Where a sink or a `watch()` keeps the position it has reached, so that a restart continues
 * after it. Tributary ships stores for a file, PostgreSQL and a MongoDB collection; any object
 * with these methods will do.
 * @public
 */
export interface ResumePointStore {
  /** Where the position lives, for log lines and errors (no secrets). */
  readonly description: string;
  /** The stored position, or `undefined` when nothing was stored yet. */
  load(): Promise<Position | undefined>;
  /** Replaces the stored position; resolves once it is durable. */
  save(position: Position): Promise<void>;
  close(): Promise<void>;
}
