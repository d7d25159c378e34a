import { Decimal128, ObjectId } from "../core/bson.js";
import { decodeDocument } from "./document-decode.js";
import type { JsonValue } from "./document-codec.js";

const OBJECT_ID = /^[0-9a-f]{24}$/;
const INTEGER = /^-?\d+$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * An `_id` that gives this `keyText` (the inverse of {@link keyText} up to MongoDB's numeric
 * equality: `5` gives the number 5 whether the `_id` was an Int32, a Long or a Double, which the
 * `_id` index orders, and keys, as one value). `tributary verify` places a row read back from a
 * target into its `_id` range with it.
 */
export function idFromKeyText(text: string): unknown {
  const first = text[0];
  if (first === '"') return JSON.parse(text) as string;
  if (OBJECT_ID.test(text)) return new ObjectId(text);
  if (first === "+" && INTEGER.test(text.slice(1))) return integer(text.slice(1));
  if (text === "NaN" || text === "Infinity" || text === "-Infinity") return Number(text);
  if (INTEGER.test(text)) return integer(text);
  if (NUMBER.test(text)) return Number(text);
  if (first === "{" || first === "[" || text === "true" || text === "false" || text === "null") {
    return decodeDocument({ v: JSON.parse(text) as JsonValue }).v as unknown;
  }
  return text;
}

/** A whole number exactly: a plain number while it is one, else a Decimal128 (which the index orders by value too). */
function integer(digits: string): unknown {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : Decimal128.fromString(digits);
}
