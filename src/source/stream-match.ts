import type { Document } from "mongodb";
import type { ChangeOp } from "../core/change-event.js";
import { namespaceMatch, type NamespaceSelection } from "./namespace-match.js";

/**
 * The server's `operationType` for each of our operation names. They are the same words today;
 * the table keeps the mapping explicit so that a renamed event type changes one line.
 */
const SERVER_OPERATION_TYPE: Readonly<Record<ChangeOp, string>> = Object.freeze({
  insert: "insert",
  update: "update",
  replace: "replace",
  delete: "delete",
  drop: "drop",
  rename: "rename",
  dropDatabase: "dropDatabase",
  create: "create",
  modify: "modify",
  createIndexes: "createIndexes",
  dropIndexes: "dropIndexes",
  shardCollection: "shardCollection",
  reshardCollection: "reshardCollection",
  refineCollectionShardKey: "refineCollectionShardKey",
  invalidate: "invalidate",
});

/** The server's `operationType` values for our operation names, without repeats, in order. */
export function serverOperationTypes(operations: readonly ChangeOp[]): string[] {
  return [...new Set(operations.map((op) => SERVER_OPERATION_TYPE[op]))];
}

/** What the server filters before sending change events. */
export interface StreamMatchOptions {
  /** Only these operations (our names). */
  readonly operations?: readonly ChangeOp[];
  /** A query on the raw change event (`{ "fullDocument.status": "active" }`). */
  readonly match?: Document;
  /** The namespaces selected (see {@link namespaceMatch}); every one when absent. */
  readonly namespaces?: NamespaceSelection;
}

/**
 * The stages placed after `$changeStream` so that the server sends only the wanted events:
 * one `$match` combining the operation list, the namespaces and the user's query. `invalidate` always passes,
 * whatever the filter says: the stream needs it to reopen after the watched collection or
 * database is dropped or renamed.
 */
export function streamMatchStages(options: StreamMatchOptions): Document[] {
  const operations = options.operations === undefined ? undefined : serverOperationTypes(options.operations);
  const userMatch = options.match !== undefined && Object.keys(options.match).length > 0 ? options.match : undefined;
  const namespaces = options.namespaces === undefined ? undefined : namespaceMatch(options.namespaces);
  const match = namespaces === undefined ? userMatch : userMatch === undefined ? namespaces : { $and: [namespaces, userMatch] };
  if (operations === undefined && match === undefined) return [];
  if (match === undefined) {
    const withInvalidate = operations?.includes("invalidate") ? operations : [...(operations ?? []), "invalidate"];
    return [{ $match: { operationType: { $in: withInvalidate } } }];
  }
  const wanted = operations === undefined ? match : { $and: [{ operationType: { $in: operations } }, match] };
  return [{ $match: { $or: [{ operationType: "invalidate" }, wanted] } }];
}
