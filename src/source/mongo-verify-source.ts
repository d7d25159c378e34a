import type { ClientSession, Collection, Document } from "mongodb";
import { keyText } from "../codec/key-text.js";
import type { Position } from "../core/position.js";
import type { IdRange, SnapshotSource } from "../core/snapshot-contract.js";
import { splitNamespace } from "../core/change-event.js";
import type { MongoDeployment } from "./mongo-connection.js";
import { READ_OPTIONS } from "./read-options.js";
import { MongoSnapshotSource, snapshotError, type MongoSnapshotSourceOptions } from "./mongo-snapshot-source.js";
import { IDLE_REOPEN_MS, sessionReadingAfter, SNAPSHOT_READ } from "./snapshot-reads.js";

const IDS_PER_QUERY = 1_000;

/**
 * What `tributary verify` reads from MongoDB: the snapshot's collections, `_id` ranges and
 * range reads (the same {@link MongoSnapshotSource}, so verify sees a collection as a snapshot
 * would copy it), and documents by `_id` for the keys it re-checks or repairs.
 */
export class MongoVerifySource implements SnapshotSource {
  private readonly deployment: MongoDeployment;
  private readonly snapshot: MongoSnapshotSource;
  private readonly idleReopenMs: number;

  constructor(deployment: MongoDeployment, options: MongoSnapshotSourceOptions) {
    this.deployment = deployment;
    this.snapshot = new MongoSnapshotSource(deployment, options);
    this.idleReopenMs = options.idleReopenMs ?? IDLE_REOPEN_MS;
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
   * before asking for the next holds no more; one that keeps a group 9 minutes or longer gets the
   * rest from a new cursor (the server drops a cursor idle for 10). Read as the snapshot reads,
   * from the primary and majority-committed whatever the connection string asks for, and, when
   * `after` is given, no older than it: a re-copy writes them as of that position, so only a row
   * written from a change of that second or later may be newer than them (`Batch.keepNewer`).
   */
  async *readIds(namespace: string, ids: readonly unknown[], after?: Position): AsyncGenerator<Document[]> {
    const { db, coll } = splitNamespace(namespace);
    const collection = this.deployment.client.db(db).collection(coll);
    const session = sessionReadingAfter(this.deployment.client, after);
    try {
      for (let start = 0; start < ids.length; start += IDS_PER_QUERY) {
        for (let wanted = ids.slice(start, start + IDS_PER_QUERY); wanted.length > 0; ) wanted = yield* this.groupsOf(collection, wanted, session);
      }
    } catch (error) {
      throw snapshotError(error, this.deployment.where, namespace, "while reading documents by _id for verify");
    } finally {
      await session.endSession().catch(() => undefined);
    }
  }

  /**
   * The documents of `ids` in groups, each the document the cursor hands out and the rest of its
   * batch (`readBufferedDocuments`, as the driver's own `toArray` reads a batch). A caller that
   * kept a group longer than the server keeps an idle cursor (a wait for the sync, a slow sink)
   * gets the rest from a new one: returns the ids not read then, none once the cursor is done.
   */
  private async *groupsOf(collection: Collection, ids: readonly unknown[], session: ClientSession): AsyncGenerator<Document[], unknown[]> {
    const cursor = collection.find({ _id: { $in: ids } } as Document, { ...READ_OPTIONS, ...SNAPSHOT_READ, session });
    const read = new Set<string>();
    try {
      for await (const document of cursor) {
        const group = [document, ...cursor.readBufferedDocuments()];
        for (const each of group) read.add(keyText(each._id));
        const handedOut = Date.now();
        yield group;
        if (Date.now() - handedOut <= this.idleReopenMs) continue;
        // `$in` matches as keyText compares (numbers by value), so the ids left are the ones not read.
        const rest = ids.filter((id) => !read.has(keyText(id)));
        if (rest.length < ids.length) return rest;
      }
      return [];
    } finally {
      await cursor.close().catch(() => undefined);
    }
  }
}
