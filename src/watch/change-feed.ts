import type { SourceItem } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import type { SnapshotSource } from "../core/snapshot-contract.js";

/**
 * What a watcher reads from. `watch()` uses a MongoDB change stream; the seam exists so the
 * watcher's delivery rules can be exercised on a scripted stream of items.
 */
export interface ChangeFeed {
  /**
   * Connects and fixes where reading begins: just after `stored` when given, else at the
   * configured start. Returns that position; every change after it will be read.
   */
  open(stored: Position | undefined): Promise<Position>;
  /** The items after `from`, until `signal` aborts or an error the feed cannot survive. */
  items(from: Position, signal: AbortSignal): AsyncIterator<SourceItem>;
  /** Where the initial copy reads the collections matching `collections` (globs), once open. */
  copySource(collections: readonly string[]): SnapshotSource;
  /** Releases what `open` acquired (never a client the caller owns). */
  close(): Promise<void>;
}
