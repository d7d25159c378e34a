import { Timestamp, type Document, type MongoClient } from "mongodb";
import { redactedMessage } from "../core/redact.js";
import { LOSSLESS_BSON_OPTIONS } from "./mongo-connection.js";

/** What the oplog of the replica set member a client reads holds. */
export interface OplogWindow {
  /** Cluster time (seconds) of the oldest and of the newest entry. */
  readonly oldestSeconds: number;
  readonly newestSeconds: number;
  /** Bytes the oplog holds now, and the most it may hold (it is a capped collection). */
  readonly sizeBytes: number;
  readonly maxSizeBytes: number;
}

/**
 * Reads the oplog's first and last entries (`local.oplog.rs` in natural order, as `startAt:
 * "oldest"` does) and its size and capped maximum (`$collStats` storageStats `size` and
 * `maxSize`). Needs a replica set member (a mongos has no oplog) and read access to `local`;
 * otherwise says why it could not.
 */
export async function readOplogWindow(client: MongoClient): Promise<OplogWindow | { readonly unavailable: string }> {
  try {
    const oplog = client.db("local").collection("oplog.rs");
    const entry = (order: 1 | -1): Promise<Document | null> => oplog.find({}, { sort: { $natural: order }, limit: 1, projection: { ts: 1 }, ...LOSSLESS_BSON_OPTIONS }).next();
    const [first, last] = [await entry(1), await entry(-1)];
    const [stats] = await oplog.aggregate<{ storageStats?: { size?: unknown; maxSize?: unknown } }>([{ $collStats: { storageStats: {} } }]).toArray();
    if (!(first?.ts instanceof Timestamp) || !(last?.ts instanceof Timestamp)) return { unavailable: "local.oplog.rs holds no entry (a mongos, or not a replica set member)" };
    return {
      oldestSeconds: first.ts.t,
      newestSeconds: last.ts.t,
      sizeBytes: Number(stats?.storageStats?.size ?? 0),
      maxSizeBytes: Number(stats?.storageStats?.maxSize ?? 0),
    };
  } catch (error) {
    return { unavailable: `cannot read local.oplog.rs: ${redactedMessage(error)}` };
  }
}
