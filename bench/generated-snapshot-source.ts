import { ObjectId, type Document } from "mongodb";
import { prefetchChunks } from "../src/snapshot/prefetch-chunks.js";
import type { IdRange, SnapshotSource } from "../src/core/snapshot-contract.js";
import { makePosition, type Position } from "../src/core/position.js";
import { tokenAt } from "../test/support/events.js";
import { indexOfObjectId, objectIdAt, type DocumentGenerator } from "./generated-documents.js";

/**
 * A snapshot source over generated documents `0 .. count - 1` of one collection, for measuring
 * the snapshot's write path without MongoDB. Ranges split the indexes evenly (as ObjectId
 * bounds, since document `i` has `_id` `i` in hex), and a range's documents are generated as
 * they are read, with the same one-chunk look-ahead as the MongoDB source: nothing but the
 * chunks in flight is held.
 */
export class GeneratedSnapshotSource implements SnapshotSource {
  private readonly namespace: string;
  private readonly count: number;
  private readonly generator: DocumentGenerator;

  constructor(namespace: string, count: number, generator: DocumentGenerator) {
    this.namespace = namespace;
    this.count = count;
    this.generator = generator;
  }

  listCollections(): Promise<string[]> {
    return Promise.resolve([this.namespace]);
  }

  startPosition(): Promise<Position> {
    return Promise.resolve(makePosition(tokenAt(Math.floor(Date.now() / 1000), 1)));
  }

  estimateCount(): Promise<number> {
    return Promise.resolve(this.count);
  }

  planRanges(_namespace: string, count: number): Promise<IdRange[]> {
    const ranges = Math.max(1, Math.min(count, this.count));
    const bound = (rangeNo: number): ObjectId => objectIdAt(Math.floor((rangeNo * this.count) / ranges));
    return Promise.resolve(
      Array.from({ length: ranges }, (_, rangeNo) => ({
        ...(rangeNo === 0 ? {} : { lower: bound(rangeNo) }),
        ...(rangeNo === ranges - 1 ? {} : { upper: bound(rangeNo + 1) }),
      })),
    );
  }

  readRange(_namespace: string, range: IdRange, chunkSize: number, signal: AbortSignal): AsyncIterable<Document[]> {
    const from = range.lower === undefined ? 0 : indexOf(range.lower);
    const to = range.upper === undefined ? this.count : Math.min(this.count, indexOf(range.upper));
    return prefetchChunks(toAsync(this.generator.documents(from, to)), chunkSize, signal);
  }
}

function indexOf(bound: unknown): number {
  if (!(bound instanceof ObjectId)) throw new Error(`generated source: range bound ${String(bound)} is not an ObjectId`);
  return indexOfObjectId(bound);
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
