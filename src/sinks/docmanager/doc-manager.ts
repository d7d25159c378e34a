import type { Document, Timestamp } from "bson";
import type { ChangeEvent } from "../../core/change-event.js";
import type { LargeLongs, ValueMode } from "../../codec/plain-values.js";

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
   * Every command the change stream carries, spelt as the oplog or the command spells it —
   * `{ drop: "coll" }`, `{ renameCollection: "db.a", to: "db.b" }`, `{ dropDatabase: 1 }`,
   * `{ create: "coll", … }`, `{ collMod: "coll", … }`, `{ createIndexes: "coll", indexes: […] }`,
   * `{ dropIndexes: "coll", index: [names] }`, `{ shardCollection: "db.coll", key: {…}, … }`,
   * `{ reshardCollection: … }`, `{ refineCollectionShardKey: … }` — on namespace `db.$cmd`.
   * As in mongo-connector, the command and the namespace are the source's, without the
   * `namespaces` mapping: `details.mapNamespace` maps a name. `details.event` is the change as it
   * came (its `description` is the server's `operationDescription`).
   */
  handleCommand?(command: Document, namespace: string, timestamp: Timestamp, details: CommandDetails): MaybePromise<unknown>;
  /** Makes what was written so far durable; called before every saved position. */
  commit?(): MaybePromise<unknown>;
  /** The document most recently written to the target, if the target can tell. */
  getLastDoc?(): MaybePromise<Document | null | undefined>;
  stop?(): MaybePromise<unknown>;
}

/**
 * What `handleCommand` gets besides the command, as mongo-connector's `CommandHelper` gave it.
 * @public
 */
export interface CommandDetails {
  /** The command event as it came, values as the driver decoded them whatever `values` says. */
  readonly event: ChangeEvent;
  /** The target name of a source `db.coll` under the `namespaces` option (itself when no entry matches). */
  mapNamespace(namespace: string): string;
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
  /**
   * How documents, ids, update specifications and commands reach the DocManager: `"bson"` (the
   * default) as the driver decodes them, or `"plain"` JavaScript values (`toPlainValue`). The
   * `timestamp` argument stays a BSON `Timestamp`.
   */
  readonly values?: ValueMode;
  /** With `values: "plain"`: a Long beyond ±(2^53 − 1) as a `bigint` (default) or as text. */
  readonly largeLongs?: LargeLongs;
  /**
   * Source namespace → target name, mongo-connector's `namespaces` mapping: `{ "shop.orders":
   * "archive.orders", "logs.*": "archive.logs_*" }` (one `*` on each side). The `namespace`
   * argument of upsert, bulkUpsert, update and remove is the target name; a namespace no entry
   * matches keeps its name.
   */
  readonly namespaces?: Readonly<Record<string, string>>;
}
