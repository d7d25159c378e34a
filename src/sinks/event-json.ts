import { BSON, type Document } from "../core/bson.js";
import { formatNamespace, type ChangeEvent } from "../core/change-event.js";

/** How BSON types appear in JSON: relaxed (`42`, `{"$date": "…"}`) or canonical (`{"$numberInt": "42"}`, lossless). @public */
export type ExtendedJsonFormat = "relaxed" | "canonical";

/**
 * An event as plain JSON (MongoDB Extended JSON for the BSON values), the shape the jsonl and
 * webhook sinks emit: `op`, `ns` ("db.coll"), `to` (renames), `key`, `doc`, `before`, `update`,
 * `clusterTime`, `wallTime`, `txn`, `source`, `resumeToken` (the token's `_data`) and, when the
 * token has more than `_data` (the `_typeBits` a Long, Double or Decimal128 key brings),
 * `resumeTokenDocument`: the whole token, which is what a change stream must be given to resume
 * there (`_data` alone decodes such a key as another value). Absent parts are left out.
 * @public
 */
export function eventToJson(event: ChangeEvent, format: ExtendedJsonFormat = "relaxed"): Document {
  const shape: Document = {
    op: event.op,
    ns: formatNamespace(event.ns),
    to: event.to ? formatNamespace(event.to) : undefined,
    key: event.key,
    doc: event.doc,
    before: event.before,
    update: event.update,
    clusterTime: event.clusterTime,
    wallTime: event.wallTime,
    txn: event.txn,
    source: event.source,
    resumeToken: event.position.resumeToken._data,
    resumeTokenDocument: Object.keys(event.position.resumeToken).length > 1 ? event.position.resumeToken : undefined,
  };
  for (const name of Object.keys(shape)) if (shape[name] === undefined) delete shape[name];
  return BSON.EJSON.serialize(shape, { relaxed: format === "relaxed" });
}
