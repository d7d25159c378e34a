import type { Document } from "../core/bson.js";
import type { Position } from "../core/position.js";
import type { SnapshotSource } from "../core/snapshot-contract.js";

/** Where `tributary verify` reads the source: the snapshot's reading, and documents by `_id`. */
export interface VerifySource extends SnapshotSource {
  /**
   * The documents that have these `_id`s now, no older than `after` when given; ids no document
   * has are left out. In groups of about 16 MiB of BSON at most (MongoDB's batches), so that a
   * caller that handles each group before asking for the next holds no more than that.
   */
  readIds(namespace: string, ids: readonly unknown[], after?: Position): AsyncIterable<Document[]>;
}
