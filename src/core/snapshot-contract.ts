import type { Document } from "./bson.js";
import type { ChangeEvent } from "./change-event.js";
import type { Position } from "./position.js";

/**
 * A slice of a collection by `_id`, in MongoDB's full BSON order (across types: numbers <
 * strings < documents < … < ObjectIds < … ), read with the `_id` index as `min`/`max` bounds so
 * that mixed-type `_id`s fall into exactly one range.
 * @public
 */
export interface IdRange {
  /** Inclusive lower bound; absent: from the smallest `_id`. */
  readonly lower?: unknown;
  /** Exclusive upper bound; absent: to the largest `_id`. */
  readonly upper?: unknown;
}

/** A range as the target stores it: how far it was copied. @public */
export interface SnapshotRangeState {
  readonly rangeNo: number;
  readonly range: IdRange;
  /** The last `_id` whose chunk is committed; reading continues from it (inclusive: re-copying one document is harmless). */
  readonly resumeFrom?: unknown;
  /** Documents committed so far. */
  readonly copied: number;
  readonly done: boolean;
}

/** The snapshot of one collection as the target stores it. @public */
export interface CollectionSnapshotState {
  readonly namespace: string;
  readonly status: "copying" | "done";
  /** The position fixed before the first read; with no stored stream position, streaming takes over from here. */
  readonly startedAt: Position;
  /** Documents the collection was estimated to hold when its snapshot started. */
  readonly estimated: number;
  readonly ranges: readonly SnapshotRangeState[];
}

/** What starts the snapshot of one collection: its ranges, planned from the data. @public */
export interface CollectionSnapshotPlan {
  readonly namespace: string;
  readonly startedAt: Position;
  readonly estimated: number;
  readonly ranges: readonly IdRange[];
}

/**
 * Documents of one range as change events (`insert`, `source: "snapshot"`, at the snapshot's
 * position), in `_id` order, written in one transaction with the range's progress.
 * @public
 */
export interface SnapshotChunk {
  readonly namespace: string;
  readonly rangeNo: number;
  readonly events: readonly ChangeEvent[];
  /** True when the range has been read to its end: the range is done once this chunk commits. */
  readonly last: boolean;
  /** The position of the snapshot (its cluster time becomes the rows' `_cluster_time`). */
  readonly startedAt: Position;
}

/** Where a snapshot writes: rows and progress, each chunk atomically. The PostgreSQL sink is one. @public */
export interface SnapshotTarget {
  /** The stored snapshot state of every collection of the pipeline, by namespace. */
  loadSnapshots(): Promise<Map<string, CollectionSnapshotState>>;
  /**
   * Starts (or restarts) the snapshot of a collection: replaces its stored state by `plan`
   * (every range not done) and creates its table(s).
   */
  startSnapshot(plan: CollectionSnapshotPlan): Promise<void>;
  /**
   * Writes a chunk (upserts by `_id`) and records the range's progress in one transaction:
   * after a crash, the range continues from its last committed chunk.
   */
  writeChunk(chunk: SnapshotChunk): Promise<void>;
  /** Marks a collection's snapshot complete (every range done). */
  finishSnapshot(namespace: string): Promise<void>;
}

/** Where a snapshot reads: MongoDB in production. */
export interface SnapshotSource {
  /** The collections (not views) that the pipeline includes, as `db.coll`. */
  listCollections(): Promise<string[]>;
  /** Fixes the position from which the change stream can take over once the snapshot is done. */
  startPosition(): Promise<Position>;
  /** A quick estimate of the collection's size in documents (collection metadata, not a count). */
  estimateCount(namespace: string): Promise<number>;
  /**
   * Splits a collection into about `count` contiguous ranges from the data (sampled `_id`s),
   * together covering every possible `_id`; fewer when the collection is small.
   */
  planRanges(namespace: string, count: number): Promise<IdRange[]>;
  /**
   * The documents of a range in `_id` order, in chunks of at most `chunkSize`, the next chunk
   * read while the caller writes the current one. `startedAt` is the start of the snapshot the
   * range belongs to (of an earlier run, for a range resumed): nothing written before it may be
   * missing from what is read.
   */
  readRange(namespace: string, range: IdRange, chunkSize: number, signal: AbortSignal, startedAt?: Position): AsyncIterable<Document[]>;
}
