import { BSON } from "../core/bson.js";
import { bsonClassType } from "./bson-class.js";

const { EJSON } = BSON;

/** The stored form of a bound: its BSON bytes, base64, behind this prefix. */
const BSON_PREFIX = "bson:";
/** The stored form of a value that cannot serve as a bound (see {@link isFaithfulIdValue}): no bound. */
const NO_BOUND = "none";

/** How documents are decoded when read for a snapshot: BSON types kept, as the driver decodes them. */
const DECODE_OPTIONS = Object.freeze({ promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true });

/**
 * The stored text of an `_id` range bound: `bson:` and the base64 of the value's BSON bytes, which
 * decode to the very value the driver decoded (Int32 vs Long vs Double, key order, every type),
 * so that a bound read back after a restart serializes to the same index key it was. A value the
 * driver did not decode faithfully ({@link isFaithfulIdValue}) is stored as no bound (`none`): a
 * range resumed there starts again at its lower bound, copying some documents again, rather than
 * at a key that is not the one read.
 */
export function encodeIdBound(value: unknown): string {
  if (!isFaithfulIdValue(value)) return NO_BOUND;
  return `${BSON_PREFIX}${Buffer.from(BSON.serialize({ v: value })).toString("base64")}`;
}

/** Whether a stored text names a bound (it is not the `none` of an `_id` that cannot be one). */
export function namesBound(text: string): boolean {
  return text !== NO_BOUND;
}

/**
 * The `_id` bound of a stored text, in the driver's lossless form; `undefined` for no bound.
 * Texts of versions before the BSON form are canonical Extended JSON, and are read as such.
 */
export function decodeIdBound(text: string): unknown {
  if (text === NO_BOUND) return undefined;
  if (text.startsWith(BSON_PREFIX)) return (BSON.deserialize(Buffer.from(text.slice(BSON_PREFIX.length), "base64"), DECODE_OPTIONS) as { v: unknown }).v;
  return (EJSON.parse(text, { relaxed: false }) as { v: unknown }).v;
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Whether a decoded `_id` is the value the server holds, so that sending it back as `min`/`max`
 * names the same index key. Four shapes are not: a sub-document with an integer-like field name
 * among others (JavaScript objects list such names first, in numeric order, whatever order the
 * BSON had: `{"10": 1, "2": 1}` comes back as `{"2": 1, "10": 1}`); an `undefined` (BSON's
 * deprecated Undefined, encoded back as null); a date beyond ±8.64e15 ms (an Invalid Date in
 * JavaScript); and a DBRef-shaped document (decoded into a DBRef, re-encoded in its own field
 * order).
 */
export function isFaithfulIdValue(value: unknown): boolean {
  if (value === undefined) return false;
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  if (Array.isArray(value)) return value.every(isFaithfulIdValue);
  if (typeof value !== "object" || value === null) return true;
  const bsonType = bsonClassType(value);
  if (bsonType === "DBRef") return false;
  if (bsonType !== undefined) return true;
  const keys = Object.keys(value);
  if (keys.length > 1 && keys.some((key) => ARRAY_INDEX.test(key))) return false;
  return keys.every((key) => isFaithfulIdValue((value as Record<string, unknown>)[key]));
}
