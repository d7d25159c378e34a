import type { ChangeOp } from "../core/change-event.js";

/**
 * Warnings for an `operations` filter that probably misses changes its author meant to see.
 * MongoDB reports a whole-document replacement (`replaceOne`, `findOneAndReplace`, an update
 * with a replacement document, a `save`) as `replace`, not `update`, where oplog tailers
 * (mongo-connector, gtm, mongowatch) saw both as updates; a filter ported as `["update"]` then
 * misses every replace, and `["replace"]` every partial update.
 */
export function operationsWarnings(operations: readonly ChangeOp[] | undefined, setting = "operations"): string[] {
  if (operations === undefined) return [];
  const has = (op: ChangeOp): boolean => operations.includes(op);
  if (has("update") && !has("replace")) {
    return [`${setting} lists "update" but not "replace": whole-document replacements (replaceOne, findOneAndReplace) are "replace" events and will be left out; list both to see every change to a document`];
  }
  if (has("replace") && !has("update")) {
    return [`${setting} lists "replace" but not "update": partial updates ($set, $inc, …) are "update" events and will be left out; list both to see every change to a document`];
  }
  return [];
}
