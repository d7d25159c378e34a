import { BSON, MaxKey, MongoServerError, type ClientSession, type Collection, type Document, type FindOptions } from "mongodb";
import { ErrorCode } from "../core/error-codes.js";
import { silentLogger, type Logger } from "../core/logger.js";
import { mapMongoError } from "./mongo-error-mapper.js";
import { MongoErrorCode } from "./mongo-error-codes.js";
import { redactedMessage } from "../core/redact.js";
import { DEFAULT_RETRY, type BackoffOptions } from "../core/retry.js";
import { TributaryError } from "../core/tributary-error.js";
import type { NamespaceFilter } from "../core/namespace-filter.js";
import { splitNamespace } from "../core/change-event.js";
import type { MongoDeployment } from "./mongo-connection.js";
import type { Position } from "../core/position.js";
import { READ_OPTIONS } from "./read-options.js";
import { isFaithfulIdValue } from "../codec/id-bound.js";
import { listIncludedCollections } from "./sample-collections.js";
import { scopeForIncludes } from "./watch-scope.js";
import { resolveStartPosition } from "./start-position.js";
import { prefetchChunks } from "../snapshot/prefetch-chunks.js";
import type { IdRange, SnapshotSource } from "../core/snapshot-contract.js";
import { chooseSplitPoints, rangesFromSplitPoints } from "../snapshot/split-points.js";
import { backOff, ID_INDEX, IDLE_REOPEN_MS, isTransientSnapshotError, ReadPlace, retrySnapshotStep, sessionReadingAfter, SNAPSHOT_READ, type SnapshotRetry } from "./snapshot-reads.js";

/** How many `_id`s to sample to plan a collection's ranges: a number, or one per number of ranges. */
export type SampleSize = number | ((rangeCount: number) => number);

export interface MongoSnapshotSourceOptions {
  /** The collections the pipeline includes. */
  readonly filter: NamespaceFilter;
  /** The include patterns the filter was made from (they narrow what is listed and watched). */
  readonly include: readonly string[];
  /** Default: 32 `_id`s per range, at most 10,000. */
  readonly sampleSize?: SampleSize;
  /** Where retries and skipped collections are reported; default: nowhere. */
  readonly logger?: Logger;
  /** The back-off of a read retried after a transient error; default {@link DEFAULT_RETRY}. */
  readonly retry?: BackoffOptions;
  /** A cursor idle longer is reopened from its last key; default 9 minutes (the server kills it after 10). */
  readonly idleReopenMs?: number;
}

const SAMPLE_PER_RANGE = 32;
const MAX_SAMPLE = 10_000;
/** `$sample` failing this many times in a row (28799) leaves the collection in one range. */
const SAMPLE_TRIES = 3;
/** Planning is short and comes before the copy: its retries are not cut short by a stop. */
const PLANNING = new AbortController().signal;

/**
 * Reads the collections of a MongoDB deployment for a snapshot. A collection is split at `_id`s
 * sampled with `$sample`, and each range is read through the `_id` index with `min`/`max`
 * bounds: raw index bounds, not a query on `_id`, so every `_id` of any type falls into exactly
 * one range (a `$gte`/`$lt` query would only match `_id`s of the bounds' own type). Every read
 * is pinned to the primary at read concern `majority` after the snapshot's start
 * ({@link SNAPSHOT_READ}); a read cut by a network fault, a failover or a killed cursor goes on
 * from its last key after a back-off.
 */
export class MongoSnapshotSource implements SnapshotSource {
  private readonly deployment: MongoDeployment;
  private readonly options: MongoSnapshotSourceOptions;
  /** The start this source fixed last: reads of a range whose start is not given wait for it. */
  private started: Position | undefined;

  constructor(deployment: MongoDeployment, options: MongoSnapshotSourceOptions) {
    this.deployment = deployment;
    this.options = options;
  }

  listCollections(): Promise<string[]> {
    const logger = this.options.logger ?? silentLogger();
    return listIncludedCollections(this.deployment.client, this.options.filter, this.options.include, this.deployment.where, (namespace) =>
      logger.warn(
        { collection: namespace },
        "time-series collection not copied: the snapshot copies only plain collections, and change streams report no changes of time-series collections",
      ),
    );
  }

  async startPosition(): Promise<Position> {
    this.started = await resolveStartPosition(this.deployment, scopeForIncludes(this.options.include), "now");
    return this.started;
  }

  async estimateCount(namespace: string): Promise<number> {
    try {
      return await retrySnapshotStep(`estimating ${namespace}`, this.retryOf(PLANNING), () => this.collection(namespace).estimatedDocumentCount());
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, "while estimating its size");
    }
  }

  /**
   * Ranges from a sorted sample of `_id`s. The server sorts the sample in the `_id` index's own
   * order, under the collection's default collation if it has one, and it reads `min`/`max`
   * bounds in that same order (it converts them with the index's collation), so the split
   * points are taken in the server's order as they come. No two `_id`s compare equal under the
   * collation (the `_id` index is unique under it), so the points are strictly increasing.
   */
  async planRanges(namespace: string, count: number): Promise<IdRange[]> {
    if (!(count > 1)) return [{}];
    const size = Math.max(1, Math.floor(this.sampleSize(count)));
    const logger = this.options.logger ?? silentLogger();
    try {
      const collated = await this.hasCollation(namespace);
      const sample = await this.sample(namespace, size);
      if (sample === undefined) {
        logger.warn({ collection: namespace }, `$sample failed ${SAMPLE_TRIES} times; the collection is copied as one range`);
        return [{}];
      }
      return rangesFromSplitPoints(chooseSplitPoints(sample, count, collated ? "server" : "bson"));
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, "while planning its _id ranges");
    }
  }

  /**
   * A range's documents in chunks of at most `chunkSize`, each also ending where the server's
   * batch ended. The server puts at most 16 MiB of documents in a batch (or a single larger one):
   * `FindCommon::kMaxBytesToReturnToClientAtOnce` is `BSONObjMaxUserSize`
   * (src/mongo/db/query/find_common.h), and the cursor asks for `chunkSize` documents a batch. So a
   * chunk holds at most about 16 MiB of BSON however large the documents are (twice that for the
   * chunk read across a reopened cursor); documents of 1 KB fill `chunkSize` first, documents of
   * 100 KB make chunks of about 160.
   */
  readRange(namespace: string, range: IdRange, chunkSize: number, signal: AbortSignal, startedAt?: Position): AsyncIterable<Document[]> {
    const reads = this.documents(namespace, range, chunkSize, signal, startedAt ?? this.started);
    return documentsOf(prefetchChunks(reads, chunkSize, signal, (read) => read.endsServerBatch));
  }

  /** The `_id`s of a sample in the server's order; `undefined` when `$sample` keeps failing with 28799. */
  private async sample(namespace: string, size: number): Promise<unknown[] | undefined> {
    const pipeline = [{ $sample: { size } }, { $project: { _id: 1 } }, { $sort: { _id: 1 } }];
    let randomFailures = 0;
    return retrySnapshotStep(`sampling ${namespace}`, this.retryOf(PLANNING), async () => {
      try {
        const sample = await this.collection(namespace).aggregate<{ _id: unknown }>(pipeline, READ_OPTIONS).toArray();
        // A value the driver did not decode exactly would name another index key as a bound.
        return sample.map((document) => document._id).filter(isFaithfulIdValue);
      } catch (error) {
        const random = error instanceof MongoServerError && error.code === MongoErrorCode.Location28799;
        if (random && (randomFailures += 1) >= SAMPLE_TRIES) return undefined;
        throw error;
      }
    });
  }

  /**
   * The documents of a range in `_id` order. A read cut by a transient error, or a cursor idle
   * for longer than the server keeps it, goes on from the last document handed out (`min` at its
   * `_id`, and that document skipped); the cursor is closed when the caller stops early.
   */
  private async *documents(namespace: string, range: IdRange, batchSize: number, signal: AbortSignal, startedAt: Position | undefined): AsyncGenerator<ReadDocument> {
    const collection = this.collection(namespace);
    const retry = this.retryOf(signal);
    const session = sessionReadingAfter(this.deployment.client, startedAt);
    const place = new ReadPlace();
    try {
      for (let failures = 0; ; place.reopened()) {
        const from = place.rangeFrom(range);
        // [MaxKey, …) holds no index key but MaxKey itself, and a scan from it would be refused.
        const cursor = isMaxKey(from.lower) ? undefined : collection.find({}, this.findOptions(from, batchSize, session));
        try {
          for (;;) {
            if (cursor === undefined) break;
            const document = await cursor.next();
            if (document === null) break;
            failures = 0;
            if (place.alreadyHandedOut(document._id)) continue;
            place.handOut(document._id);
            const handedOut = Date.now();
            // The driver asks for the next batch only once the one it holds is used up.
            yield { document, endsServerBatch: cursor.bufferedCount() === 0 };
            // The caller kept this document long (PostgreSQL down, writes queued): the server
            // may have dropped the cursor meanwhile, so go on with a new one.
            if (Date.now() - handedOut > (this.options.idleReopenMs ?? IDLE_REOPEN_MS)) throw new IdleCursor();
          }
          break;
        } catch (error) {
          if (error instanceof IdleCursor) continue;
          if (!isTransientSnapshotError(error) || signal.aborted) throw error;
          await backOff(`reading ${namespace} ${describeRange(from)}`, failures, error, retry);
          failures += 1;
        } finally {
          await cursor?.close().catch(() => undefined);
        }
      }
      // An index scan's upper end is exclusive even when `max` is left open (it ends before
      // MaxKey), so for the last range of a split collection a document whose `_id` is MaxKey
      // is looked up by itself.
      if (range.lower !== undefined && range.upper === undefined && !signal.aborted) {
        const maxKey = await retrySnapshotStep(`reading ${namespace} at MaxKey`, retry, () => collection.findOne({ _id: new MaxKey() }, { ...READ_OPTIONS, ...SNAPSHOT_READ, session }));
        if (maxKey) yield { document: maxKey, endsServerBatch: true };
      }
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, `while reading _id range ${describeRange(range)}`, { range: describeRange(range) });
    } finally {
      await session.endSession().catch(() => undefined);
    }
  }

  private findOptions(range: IdRange, batchSize: number, session: ClientSession): FindOptions {
    const options: FindOptions = { hint: ID_INDEX, sort: { _id: 1 }, batchSize, ...READ_OPTIONS, ...SNAPSHOT_READ, session };
    if (range.lower !== undefined) options.min = { _id: range.lower };
    if (range.upper !== undefined) options.max = { _id: range.upper };
    return options;
  }

  private retryOf(signal: AbortSignal): SnapshotRetry {
    return { backoff: this.options.retry ?? DEFAULT_RETRY, logger: this.options.logger ?? silentLogger(), signal };
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

/** Thrown inside a range read to reopen a cursor left idle too long. */
class IdleCursor extends Error {}

/** A document as the cursor handed it out, and whether it was the last of the server's batch. */
interface ReadDocument {
  readonly document: Document;
  readonly endsServerBatch: boolean;
}

async function* documentsOf(chunks: AsyncIterable<ReadDocument[]>): AsyncGenerator<Document[]> {
  for await (const chunk of chunks) yield chunk.map((read) => read.document);
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
