import type { Document } from "mongodb";
import { compareBsonValues } from "../../src/snapshot/bson-order.js";
import { prefetchChunks } from "../../src/snapshot/prefetch-chunks.js";
import type { IdRange, SnapshotSource } from "../../src/core/snapshot-contract.js";
import { chooseSplitPoints, rangesFromSplitPoints } from "../../src/snapshot/split-points.js";
import { makePosition, type Position } from "../../src/core/position.js";
import { tokenAt } from "./events.js";

export interface SyntheticSourceOptions {
  /** Waited before each document is handed out, to make a snapshot slow enough to interrupt. */
  readonly delayPerChunkMs?: number;
  /** The position startPosition() fixes. */
  readonly startedAt?: Position;
  /** Documents per group `readIds` hands out (MongoDB's batches of up to 16 MiB); all in one by default. */
  readonly idsPerGroup?: number;
}

/**
 * A snapshot source over documents held in memory, ordered and split by the same BSON order
 * and split-point logic the MongoDB source uses. For tests of the snapshot runner's rules
 * (resume, parallelism, stop, failure) and of the PostgreSQL target at sizes and speeds a test
 * controls; the MongoDB source itself is tested against a real replica set.
 */
export class SyntheticSnapshotSource implements SnapshotSource {
  private readonly collections: Map<string, Document[]>;
  private readonly options: SyntheticSourceOptions;
  /** Every range read, with the bounds it was read from. */
  readonly reads: { namespace: string; range: IdRange; startedAt?: Position | undefined }[] = [];
  startPositionCalls = 0;

  constructor(collections: Record<string, readonly Document[]>, options: SyntheticSourceOptions = {}) {
    this.collections = new Map(Object.entries(collections).map(([namespace, docs]) => [namespace, [...docs].sort((a, b) => compareBsonValues(a._id, b._id))]));
    this.options = options;
  }

  listCollections(): Promise<string[]> {
    return Promise.resolve([...this.collections.keys()].sort());
  }

  startPosition(): Promise<Position> {
    this.startPositionCalls += 1;
    return Promise.resolve(this.options.startedAt ?? makePosition(tokenAt(1_700_000_000 + this.startPositionCalls, 1)));
  }

  estimateCount(namespace: string): Promise<number> {
    return Promise.resolve(this.documents(namespace).length);
  }

  planRanges(namespace: string, count: number): Promise<IdRange[]> {
    const ids = this.documents(namespace).map((doc) => doc._id as unknown);
    return Promise.resolve(rangesFromSplitPoints(chooseSplitPoints(ids, count)));
  }

  readRange(namespace: string, range: IdRange, chunkSize: number, signal: AbortSignal, startedAt?: Position): AsyncIterable<Document[]> {
    this.reads.push({ namespace, range, startedAt });
    const inRange = this.documents(namespace).filter(
      (doc) => (range.lower === undefined || compareBsonValues(doc._id, range.lower) >= 0) && (range.upper === undefined || compareBsonValues(doc._id, range.upper) < 0),
    );
    return prefetchChunks(this.slowly(inRange, chunkSize), chunkSize, signal);
  }

  /** Every group `readIds` handed out, in order, as the `_id`s it held: a test can tell what was read before what was written. */
  readonly idGroups: unknown[][] = [];

  /** The documents with these `_id`s now (verify's re-checks and repairs), as `$in` finds them, in groups of `idsPerGroup`. */
  async *readIds(namespace: string, ids: readonly unknown[]): AsyncGenerator<Document[]> {
    const found = this.documents(namespace).filter((doc) => ids.some((id) => compareBsonValues(doc._id, id) === 0));
    const per = this.options.idsPerGroup ?? Math.max(1, found.length);
    for (let start = 0; start < found.length; start += per) {
      const group = found.slice(start, start + per);
      this.idGroups.push(group.map((doc) => doc._id as unknown));
      yield await Promise.resolve(group);
    }
  }

  /** Inserts or replaces a document (a change made in the source). */
  put(namespace: string, doc: Document): void {
    const docs = this.documents(namespace).filter((each) => compareBsonValues(each._id, doc._id) !== 0);
    this.collections.set(namespace, [...docs, doc].sort((a, b) => compareBsonValues(a._id, b._id)));
  }

  /** Deletes a document. */
  remove(namespace: string, id: unknown): void {
    this.collections.set(namespace, this.documents(namespace).filter((each) => compareBsonValues(each._id, id) !== 0));
  }

  private async *slowly(docs: readonly Document[], chunkSize: number): AsyncGenerator<Document> {
    for (const [index, doc] of docs.entries()) {
      if (this.options.delayPerChunkMs && index % chunkSize === 0) await new Promise((resolve) => setTimeout(resolve, this.options.delayPerChunkMs));
      yield doc;
    }
  }

  private documents(namespace: string): Document[] {
    return this.collections.get(namespace) ?? [];
  }
}
