import type { Document } from "mongodb";
import type { Position } from "../core/position.js";
import type { IdRange, SnapshotSource } from "../core/snapshot-contract.js";
import { splitNamespace } from "../core/change-event.js";
import type { MongoDeployment } from "./mongo-connection.js";
import { READ_OPTIONS } from "./read-options.js";
import { MongoSnapshotSource, snapshotError, type MongoSnapshotSourceOptions } from "./mongo-snapshot-source.js";
import { sessionReadingAfter, SNAPSHOT_READ } from "./snapshot-reads.js";

const IDS_PER_QUERY = 1_000;

/**
 * What `tributary verify` reads from MongoDB: the snapshot's collections, `_id` ranges and
 * range reads (the same {@link MongoSnapshotSource}, so verify sees a collection as a snapshot
 * would copy it), and documents by `_id` for the keys it re-checks or repairs.
 */
export class MongoVerifySource implements SnapshotSource {
  private readonly deployment: MongoDeployment;
  private readonly snapshot: MongoSnapshotSource;

  constructor(deployment: MongoDeployment, options: MongoSnapshotSourceOptions) {
    this.deployment = deployment;
    this.snapshot = new MongoSnapshotSource(deployment, options);
  }

  listCollections(): Promise<string[]> {
    return this.snapshot.listCollections();
  }

  /**
   * The cluster time now, as a position: verify compares it with the sink's position to know when
   * the sync has caught up, and a re-copy reads documents after it ({@link readIds}) and writes them as of it.
   */
  startPosition(): Promise<Position> {
    return this.snapshot.startPosition();
  }

  estimateCount(namespace: string): Promise<number> {
    return this.snapshot.estimateCount(namespace);
  }

  planRanges(namespace: string, count: number): Promise<IdRange[]> {
    return this.snapshot.planRanges(namespace, count);
  }

  readRange(namespace: string, range: IdRange, chunkSize: number, signal: AbortSignal): AsyncIterable<Document[]> {
    return this.snapshot.readRange(namespace, range, chunkSize, signal);
  }

  /**
   * The documents with these `_id`s now, `$in` a thousand at a time (`$in` matches numbers by
   * value whatever their type, as the `_id` index keys them), in groups that each end where the
   * server's batch ended: the server adds a document to a batch only while the batch stays within
   * 16 MiB, or when it is the first (`FindCommon::haveSpaceForNext`,
   * src/mongo/db/query/find_common.cpp; `kMaxBytesToReturnToClientAtOnce`), so a group
   * holds about that much however large the documents are, and a caller that handles each group
   * before asking for the next holds no more. A group is the document the cursor hands out, then
   * the rest of its batch (`readBufferedDocuments`, as the driver's own `toArray` reads a batch).
   * Read as the snapshot reads, from the primary and majority-committed whatever the connection
   * string asks for, and, when `after` is given, no older than it: a re-copy writes them as of
   * that position, so only a row written from a change of that second or later may be newer than
   * them (`Batch.keepNewer`).
   */
  async *readIds(namespace: string, ids: readonly unknown[], after?: Position): AsyncGenerator<Document[]> {
    const { db, coll } = splitNamespace(namespace);
    const collection = this.deployment.client.db(db).collection(coll);
    const session = sessionReadingAfter(this.deployment.client, after);
    try {
      for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
        const cursor = collection.find({ _id: { $in: ids.slice(start, start + IDS_PER_QUERY) } } as Document, { ...READ_OPTIONS, ...SNAPSHOT_READ, session });
        try {
          for await (const document of cursor) yield [document, ...cursor.readBufferedDocuments()];
        } finally {
          await cursor.close().catch(() => undefined);
        }
      }
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, "while reading documents by _id for verify");
    } finally {
      await session.endSession().catch(() => undefined);
    }
  }
}
