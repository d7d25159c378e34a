import type { Document, Timestamp } from "bson";

/** A method's result: plain or a promise. @public */
export type MaybePromise<T> = T | Promise<T>;

/**
 * A target written the mongo-connector way: one method per operation. `namespace` is
 * `db.coll`; `timestamp` the cluster time of the change. Only `upsert` and `remove` are
 * required; without `bulkUpsert` documents are upserted one by one, without `update` an
 * update upserts the full document, without `handleCommand` drops and renames are ignored.
 * Every write must be idempotent: after a crash, changes since the last saved position are
 * written again.
 * @public
 */
export interface DocManager {
  upsert(doc: Document, namespace: string, timestamp: Timestamp): MaybePromise<unknown>;
  bulkUpsert?(docs: Document[], namespace: string, timestamp: Timestamp): MaybePromise<unknown>;
  /**
   * Applies an update specification to the document with this id: `$set` and `$unset` of dotted
   * paths only, as mongo-connector's `DocManagerBase.apply_update` reads them (a truncated array
   * comes as `$set` of the whole array).
   */
  update?(documentId: unknown, updateSpec: Document, namespace: string, timestamp: Timestamp): MaybePromise<unknown>;
  remove(documentId: unknown, namespace: string, timestamp: Timestamp): MaybePromise<unknown>;
  /**
   * A command as the oplog spells it — `{ drop: "coll" }`, `{ renameCollection: "db.a", to:
   * "db.b" }`, `{ dropDatabase: 1 }`, `{ create: "coll" }` — on namespace `db.$cmd`.
   */
  handleCommand?(command: Document, namespace: string, timestamp: Timestamp): MaybePromise<unknown>;
  /** Makes what was written so far durable; called before every saved position. */
  commit?(): MaybePromise<unknown>;
  /** The document most recently written to the target, if the target can tell. */
  getLastDoc?(): MaybePromise<Document | null | undefined>;
  stop?(): MaybePromise<unknown>;
}

/**
 * How the adapter drives a DocManager, with mongo-connector's names and meanings.
 * @public
 */
export interface DocManagerOptions {
  /** The field that carries the document's id in the target (default `_id`): `_id` is renamed to it in upserted documents. */
  readonly uniqueKey?: string;
  /** Most documents per `bulkUpsert` call (default 500). */
  readonly chunkSize?: number;
  /**
   * Seconds between commits while writing: `0` commits after every operation; absent,
   * commits happen only before each saved position (always, whatever this says).
   */
  readonly autoCommitInterval?: number;
}
