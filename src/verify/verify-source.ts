import type { Document } from "../core/bson.js";
import type { Position } from "../core/position.js";
import type { SnapshotSource } from "../core/snapshot-contract.js";

/** Where `tributary verify` reads the source: the snapshot's reading, and documents by `_id`. */
export interface VerifySource extends SnapshotSource {
  /** The documents that have these `_id`s now, no older than `after` when given; ids no document has are left out. */
  readIds(namespace: string, ids: readonly unknown[], after?: Position): Promise<Document[]>;
}
