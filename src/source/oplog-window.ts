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

/** Why the oplog was not read; `sharded` when the client talks to a mongos. */
export interface OplogUnavailable {
  readonly unavailable: string;
  readonly sharded?: true;
}

/** The server's answer through a mongos to any use of `local`: IllegalOperation "Can't use 'local' database through mongos" (s/commands/strategy.cpp). */
const ILLEGAL_OPERATION = 20;

const THROUGH_MONGOS =
  "not measured on a sharded cluster: a mongos has no oplog, each shard's replica set has its own (see each with tributary status --from <that shard's replica set URI>)";

/**
 * Reads the oplog's first and last entries (`local.oplog.rs` in natural order, as `startAt:
 * "oldest"` does) and its size and capped maximum (`$collStats` storageStats `size` and
 * `maxSize`). Asks `hello` first: a mongos says `msg: "isdbgrid"` and has no oplog (it refuses
 * `local` with IllegalOperation), a standalone has no `setName` and no oplog either. Needs read
 * access to `local`; otherwise says why it could not.
 */
export async function readOplogWindow(client: MongoClient): Promise<OplogWindow | OplogUnavailable> {
  try {
    const hello = await client.db("admin").command({ hello: 1 });
    if (hello.msg === "isdbgrid") return { unavailable: THROUGH_MONGOS, sharded: true };
    if (typeof hello.setName !== "string") return { unavailable: "not measured: a standalone server has no oplog (and no change stream)" };
    const oplog = client.db("local").collection("oplog.rs");
    const entry = (order: 1 | -1): Promise<Document | null> => oplog.find({}, { sort: { $natural: order }, limit: 1, projection: { ts: 1 }, ...LOSSLESS_BSON_OPTIONS }).next();
    const [first, last] = [await entry(1), await entry(-1)];
    const [stats] = await oplog.aggregate<{ storageStats?: { size?: unknown; maxSize?: unknown } }>([{ $collStats: { storageStats: {} } }]).toArray();
    if (!(first?.ts instanceof Timestamp) || !(last?.ts instanceof Timestamp)) return { unavailable: "not measured: local.oplog.rs holds no entry" };
    return {
      oldestSeconds: first.ts.t,
      newestSeconds: last.ts.t,
      sizeBytes: Number(stats?.storageStats?.size ?? 0),
      maxSizeBytes: Number(stats?.storageStats?.maxSize ?? 0),
    };
  } catch (error) {
    if ((error as { code?: unknown }).code === ILLEGAL_OPERATION) return { unavailable: THROUGH_MONGOS, sharded: true };
    return { unavailable: `not measured: cannot read local.oplog.rs: ${redactedMessage(error)}` };
  }
}
