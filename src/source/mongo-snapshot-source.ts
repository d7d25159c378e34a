import { BSON, MaxKey, type Collection, type Document, type FindOptions } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { mapMongoError } from "./mongo-error-mapper.js";
import { redactedMessage } from "../core/redact.js";
import { TributaryError } from "../core/tributary-error.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";
import { splitNamespace } from "../core/change-event.js";
import { LOSSLESS_BSON_OPTIONS, type MongoDeployment } from "./mongo-connection.js";
import type { Position } from "../core/position.js";
import { listIncludedCollections } from "./sample-collections.js";
import { scopeForIncludes } from "./watch-scope.js";
import { resolveStartPosition } from "./start-position.js";
import { isCollatable } from "../snapshot/bson-order.js";
import { prefetchChunks } from "../snapshot/prefetch-chunks.js";
import type { IdRange, SnapshotSource } from "../core/snapshot-contract.js";
import { chooseSplitPoints, rangesFromSplitPoints } from "../snapshot/split-points.js";

/** How many `_id`s to sample to plan a collection's ranges: a number, or one per number of ranges. */
export type SampleSize = number | ((rangeCount: number) => number);

export interface MongoSnapshotSourceOptions {
  /** The collections the pipeline includes. */
  readonly filter: NamespaceFilter;
  /** The include patterns the filter was made from (they narrow what is listed and watched). */
  readonly include: readonly string[];
  /** Default: 32 `_id`s per range, at most 10,000. */
  readonly sampleSize?: SampleSize;
}

const SAMPLE_PER_RANGE = 32;
const MAX_SAMPLE = 10_000;

/**
 * Reads the collections of a MongoDB deployment for a snapshot. A collection is split at `_id`s
 * sampled with `$sample`, and each range is read through the `_id` index with `min`/`max`
 * bounds: raw index bounds, not a query on `_id`, so every `_id` of any type falls into exactly
 * one range (a `$gte`/`$lt` query would only match `_id`s of the bounds' own type).
 */
export class MongoSnapshotSource implements SnapshotSource {
  private readonly deployment: MongoDeployment;
  private readonly options: MongoSnapshotSourceOptions;

  constructor(deployment: MongoDeployment, options: MongoSnapshotSourceOptions) {
    this.deployment = deployment;
    this.options = options;
  }

  listCollections(): Promise<string[]> {
    return listIncludedCollections(this.deployment.client, this.options.filter, this.options.include, this.deployment.where);
  }

  startPosition(): Promise<Position> {
    return resolveStartPosition(this.deployment, scopeForIncludes(this.options.include), "now");
  }

  async estimateCount(namespace: string): Promise<number> {
    try {
      return await this.collection(namespace).estimatedDocumentCount();
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, "while estimating its size");
    }
  }

  async planRanges(namespace: string, count: number): Promise<IdRange[]> {
    if (!(count > 1)) return [{}];
    const size = Math.max(1, Math.floor(this.sampleSize(count)));
    try {
      const sample = await this.collection(namespace)
        .aggregate<{ _id: unknown }>([{ $sample: { size } }, { $project: { _id: 1 } }, { $sort: { _id: 1 } }], LOSSLESS_BSON_OPTIONS)
        .toArray();
      let ids = sample.map((document) => document._id);
      // Under a collection's own collation the index orders strings (and documents holding
      // them) by collation keys, not by bytes: splitting there could give a range whose lower
      // bound is above its upper one. Other types order the same under every collation.
      if (await this.hasCollation(namespace)) ids = ids.filter((id) => !isCollatable(id));
      return rangesFromSplitPoints(chooseSplitPoints(ids, count));
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, "while planning its _id ranges");
    }
  }

  readRange(namespace: string, range: IdRange, chunkSize: number, signal: AbortSignal): AsyncIterable<Document[]> {
    return prefetchChunks(this.documents(namespace, range, chunkSize), chunkSize, signal);
  }

  /** The documents of a range in `_id` order; the cursor is closed when the caller stops early. */
  private async *documents(namespace: string, range: IdRange, batchSize: number): AsyncGenerator<Document> {
    const collection = this.collection(namespace);
    try {
      // [MaxKey, …) holds no index key but MaxKey itself, and a scan from it would be refused.
      if (!isMaxKey(range.lower)) {
        const options: FindOptions = { hint: { _id: 1 }, sort: { _id: 1 }, batchSize, ...LOSSLESS_BSON_OPTIONS };
        if (range.lower !== undefined) options.min = { _id: range.lower };
        if (range.upper !== undefined) options.max = { _id: range.upper };
        const cursor = collection.find({}, options);
        try {
          for await (const document of cursor) yield document;
        } finally {
          await cursor.close();
        }
      }
      // An index scan's upper end is exclusive even when `max` is left open (it ends before
      // MaxKey), so for the last range of a split collection a document whose `_id` is MaxKey
      // is looked up by itself.
      if (range.lower !== undefined && range.upper === undefined) {
        const last = await collection.findOne({ _id: new MaxKey() }, LOSSLESS_BSON_OPTIONS);
        if (last) yield last;
      }
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, `while reading _id range ${describeRange(range)}`, { range: describeRange(range) });
    }
  }

  private sampleSize(rangeCount: number): number {
    const size = this.options.sampleSize;
    if (typeof size === "number") return size;
    return size ? size(rangeCount) : Math.min(MAX_SAMPLE, rangeCount * SAMPLE_PER_RANGE);
  }

  /** Whether the collection has a default collation other than the simple (binary) one. */
  private async hasCollation(namespace: string): Promise<boolean> {
    const { db, coll } = splitNamespace(namespace);
    const [info] = await this.deployment.client.db(db).listCollections({ name: coll }, { nameOnly: false }).toArray();
    const collation = (info?.options as { collation?: { locale?: unknown } } | undefined)?.collation;
    return collation !== undefined && collation.locale !== "simple";
  }

  private collection(namespace: string): Collection {
    const { db, coll } = splitNamespace(namespace);
    return this.deployment.client.db(db).collection(coll);
  }
}

function isMaxKey(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { _bsontype?: unknown })._bsontype === "MaxKey";
}

const MAX_BOUND_TEXT = 120;

/** `[lowest, {"$oid":"…"})`: a range as a message shows it. */
export function describeRange(range: IdRange): string {
  const bound = (value: unknown): string => {
    const text = BSON.EJSON.stringify(value, { relaxed: true });
    return text.length > MAX_BOUND_TEXT ? `${text.slice(0, MAX_BOUND_TEXT)}…` : text;
  };
  return `[${range.lower === undefined ? "lowest" : bound(range.lower)}, ${range.upper === undefined ? "highest" : bound(range.upper)})`;
}

/**
 * A failure of a snapshot step on a collection as a `TributaryError` naming the collection:
 * connection and permission problems keep their own codes (and advice); anything else is
 * `SnapshotFailed`.
 */
export function snapshotError(error: unknown, where: string, namespace: string, doing: string, context: Record<string, string> = {}): TributaryError {
  const mapped = mapMongoError(error, where);
  const fullContext = { ...mapped.context, ...context, namespace };
  if (mapped.code === ErrorCode.ChangeStreamFailed) {
    return new TributaryError(ErrorCode.SnapshotFailed, `Snapshot of ${namespace} failed ${doing} on MongoDB at ${where}: ${redactedMessage(error)}`, { cause: error, context: fullContext });
  }
  return new TributaryError(mapped.code, `Snapshot of ${namespace} failed ${doing}: ${mapped.message}`, { cause: mapped.cause ?? error, context: fullContext });
}
