import { BSON } from "../core/bson.js";

const { EJSON } = BSON;

/**
 * The stored text of an `_id` range bound: canonical Extended JSON, which keeps the exact BSON
 * type (Int32 vs Long vs Double, ObjectId, Date, …) so that a bound read back after a restart
 * is the same index key it was.
 */
export function encodeIdBound(value: unknown): string {
  return EJSON.stringify({ v: value }, { relaxed: false });
}

/** The `_id` bound of a text written by {@link encodeIdBound}, in the driver's lossless form. */
export function decodeIdBound(text: string): unknown {
  return (EJSON.parse(text, { relaxed: false }) as { v: unknown }).v;
}
