import type { Document, Timestamp } from "bson";
import type { Position } from "./position.js";

/** Operations that change documents. @internal */
export const DataOps = ["insert", "update", "replace", "delete"] as const;
/** Operations that change collections or databases. @internal */
export const CommandOps = [
  "drop",
  "rename",
  "dropDatabase",
  "create",
  "modify",
  "createIndexes",
  "dropIndexes",
  "shardCollection",
  "reshardCollection",
  "refineCollectionShardKey",
] as const;

/** @public */
export type DataOp = (typeof DataOps)[number];
/** @public */
export type CommandOp = (typeof CommandOps)[number];
/** @public */
export type ChangeOp = DataOp | CommandOp | "invalidate";

/** @public */
export interface Namespace {
  readonly db: string;
  /** Absent for database-level events such as `dropDatabase`. */
  readonly coll?: string;
}

/** @public */
export interface UpdateDescription {
  readonly updatedFields: Document;
  readonly removedFields: readonly string[];
  readonly truncatedArrays: readonly { readonly field: string; readonly newSize: number }[];
  /**
   * For each path above that dotted text cannot spell unambiguously (a field name holding a
   * dot, or a numeric field name that is not an array index), its components: strings for
   * field names, numbers for array indexes. Reported by MongoDB 6.1+ with expanded events.
   */
  readonly disambiguatedPaths?: Readonly<Record<string, readonly (string | number)[]>>;
}

/** The logical session and transaction number of a multi-document transaction. @public */
export interface TransactionId {
  readonly lsid: string;
  readonly txnNumber: string;
}

/**
 * One change, normalized. Everything after the source sees only this type.
 * @public
 */
export interface ChangeEvent {
  readonly op: ChangeOp;
  readonly ns: Namespace;
  /** The target namespace of a `rename`. */
  readonly to?: Namespace;
  /** The document key (`_id`, plus the shard key on sharded collections). */
  readonly key?: Document;
  /** The full document after the change, when known. */
  readonly doc?: Document;
  /** The document before the change (pre-image), when known. */
  readonly before?: Document;
  readonly update?: UpdateDescription;
  /**
   * The server's `operationDescription` of a command event, as it came: the index specs of
   * `createIndexes`/`dropIndexes`, the options of `create` and `modify`, the shard key of the
   * sharding events, `to` and `dropTarget` of a rename. Sent by MongoDB 6.0+ with expanded events.
   */
  readonly description?: Document;
  /** The collection's and index's options before a `modify` event (the server's `stateBeforeChange`). */
  readonly stateBeforeChange?: Document;
  readonly clusterTime: Timestamp;
  readonly wallTime?: Date;
  readonly txn?: TransactionId;
  readonly position: Position;
  readonly source: "stream" | "snapshot";
}

/** @public */
export function isDataOp(op: ChangeOp): op is DataOp {
  return (DataOps as readonly string[]).includes(op);
}

/** `db.coll`, or `db` for database-level events. @public */
export function formatNamespace(ns: Namespace): string {
  return ns.coll === undefined ? ns.db : `${ns.db}.${ns.coll}`;
}

/** `db.coll` → its parts, the inverse of {@link formatNamespace} for a collection (its name may contain dots). @public */
export function splitNamespace(namespace: string): { db: string; coll: string } {
  const dot = namespace.indexOf(".");
  return { db: namespace.slice(0, dot), coll: namespace.slice(dot + 1) };
}

/**
 * What the source yields: a change, or word that the stream is caught up (the server had
 * nothing more), with the resume point as of now so a quiet stream still advances.
 * @internal
 */
export type SourceItem =
  | { readonly kind: "event"; readonly event: ChangeEvent }
  | { readonly kind: "caughtUp"; readonly position: Position | undefined };
