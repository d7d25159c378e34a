import { Binary, BSONRegExp, BSONSymbol, Code, DBRef, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, type Document } from "../core/bson.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import { INT64_MAX, INT64_MIN, isInt32Number, setProperty, type JsonObject, type JsonValue } from "./document-codec.js";

/**
 * Decodes the JSON written by {@link encodeDocument} back into BSON values, such that
 * `BSON.serialize(decodeDocument(encodeDocument(doc)))` is byte for byte `BSON.serialize(doc)`
 * (given the same field order; after a round trip through `jsonb` the field order is `jsonb`'s).
 *
 * | JSON                                   | Value returned                               |
 * | -------------------------------------- | -------------------------------------------- |
 * | integral number in the Int32 range     | `Int32`                                      |
 * | any other number                       | `Double`                                     |
 * | string, boolean, null                  | itself                                       |
 * | array                                  | array, decoded recursively                   |
 * | `{"$numberDouble"}`                    | `Double`                                     |
 * | `{"$numberInt"}` / `{"$numberLong"}`   | `Int32` / `Long`                             |
 * | `{"$numberDecimal"}`                   | `Decimal128`                                 |
 * | `{"$oid"}`                             | `ObjectId`                                   |
 * | `{"$date"}` (ISO string or `$numberLong`) | `Date`                                    |
 * | `{"$binary"}`                          | `Binary` with its subtype: a UUID comes back as `Binary` subtype 4, as the driver returns it (call `.toUUID()` for a `UUID`) |
 * | `{"$timestamp"}`                       | `Timestamp`                                  |
 * | `{"$regularExpression"}`               | `BSONRegExp`                                 |
 * | `{"$minKey"}` / `{"$maxKey"}`          | `MinKey` / `MaxKey`                          |
 * | `{"$symbol"}`                          | `BSONSymbol`                                 |
 * | `{"$undefined": true}`                 | `undefined`                                  |
 * | `{"$code"}` (with optional `$scope`)   | `Code`                                       |
 * | object whose `$` fields are `$ref` (string), `$id` and optional `$db` (string) | `DBRef`, as the driver returns it (a plain document when `$ref` holds exactly one dot, which `DBRef` would split) |
 * | any other object                       | plain document, decoded recursively          |
 *
 * An object is read as a type wrapper only when its keys and value types match the wrapper exactly;
 * otherwise it is a plain document. As with Extended JSON itself, a sub-document that has exactly a
 * wrapper's shape (say `{"$oid": "<24 hex>"}`, possible since MongoDB 5.0 allows `$`-prefixed
 * field names) cannot be told apart from the typed value and decodes as the typed value.
 *
 * @throws TributaryError `DocumentNotEncodable` when `json` is not a JSON object.
 * @public
 */
export function decodeDocument(json: JsonValue): Document {
  if (!isJsonObject(json)) {
    throw new TributaryError(
      ErrorCode.DocumentNotEncodable,
      `Cannot decode a stored document: expected a JSON object but got ${describeJson(json)}. ` +
        "The column does not hold a document written by Tributary.",
    );
  }
  return decodeObject(json, true) as Document;
}

function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeJson(value: JsonValue): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

function decodeValue(value: JsonValue): unknown {
  switch (typeof value) {
    case "number":
      return isInt32Number(value) ? new Int32(value) : new Double(value);
    case "object":
      if (value === null) return null;
      if (Array.isArray(value)) return value.map(decodeValue);
      return decodeObject(value);
    default:
      return value;
  }
}

/**
 * Decodes an object: a type wrapper, a DBRef, or a plain document. A document that cannot be
 * anything else (the root, a code scope) is always read as a plain document.
 */
function decodeObject(json: JsonObject, root = false): unknown {
  const keys = Object.keys(json);
  const first = keys[0];
  if (!root && first !== undefined && keys.length <= 2 && first.charCodeAt(0) === 0x24 /* $ */) {
    if (first === "$undefined" && keys.length === 1 && json.$undefined === true) return undefined;
    const typed = decodeWrapper(json, keys);
    if (typed !== undefined) return typed;
  }
  const out: Document = {};
  let dollarKeys = 0;
  for (const key of keys) {
    if (key.charCodeAt(0) === 0x24 /* $ */) dollarKeys++;
    setProperty(out, key, decodeValue(json[key] as JsonValue));
  }
  return !root && dollarKeys > 0 && isDbRefShaped(out, dollarKeys) ? toDbRef(out) : out;
}

/**
 * The driver returns a sub-document whose `$`-prefixed fields are `$ref` (a string), `$id` and
 * optionally `$db` (a string) as a `DBRef`; so does this decoder, except when `$ref` holds exactly
 * one dot, which the `DBRef` constructor would split into database and collection.
 */
function isDbRefShaped(doc: Document, dollarKeys: number): boolean {
  const { $ref, $id, $db } = doc;
  if (typeof $ref !== "string" || $id === undefined || $id === null) return false;
  if ($db !== undefined && typeof $db !== "string") return false;
  if (dollarKeys !== ($db === undefined ? 2 : 3)) return false;
  return $ref.split(".").length !== 2;
}

function toDbRef(doc: Document): DBRef {
  const { $ref, $id, $db, ...fields } = doc;
  return new DBRef($ref as string, $id as ObjectId, $db as string | undefined, fields);
}

/** The typed value for an Extended JSON type wrapper, or `undefined` when `json` is not one. */
function decodeWrapper(json: JsonObject, keys: readonly string[]): unknown {
  if (keys.length === 2) {
    if (typeof json.$code === "string" && isJsonObject(json.$scope)) {
      return new Code(json.$code, decodeObject(json.$scope, true) as Document);
    }
    return undefined;
  }
  const key = keys[0] as string;
  const value = json[key];
  switch (key) {
    case "$numberDouble":
      return typeof value === "string" ? decodeDoubleText(value) : undefined;
    case "$numberInt":
      return typeof value === "string" && /^-?\d{1,10}$/.test(value) && isInt32Number(Number(value))
        ? new Int32(Number(value))
        : undefined;
    case "$numberLong":
      return typeof value === "string" ? decodeLongText(value) : undefined;
    case "$numberDecimal":
      return typeof value === "string" ? decodeDecimalText(value) : undefined;
    case "$oid":
      return typeof value === "string" && /^[0-9a-fA-F]{24}$/.test(value)
        ? ObjectId.createFromHexString(value)
        : undefined;
    case "$date":
      return decodeDate(value);
    case "$binary":
      return decodeBinary(value);
    case "$timestamp":
      return decodeTimestamp(value);
    case "$regularExpression":
      return decodeRegExp(value);
    case "$minKey":
      return value === 1 ? new MinKey() : undefined;
    case "$maxKey":
      return value === 1 ? new MaxKey() : undefined;
    case "$symbol":
      return typeof value === "string" ? new BSONSymbol(value) : undefined;
    case "$code":
      return typeof value === "string" ? new Code(value) : undefined;
    default:
      return undefined;
  }
}

const DOUBLE_TEXT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^(?:NaN|-?Infinity)$/;

function decodeDoubleText(text: string): Double | undefined {
  return DOUBLE_TEXT.test(text) ? new Double(Number(text)) : undefined;
}

function decodeLongText(text: string): Long | undefined {
  if (!/^-?\d{1,19}$/.test(text)) return undefined;
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX ? Long.fromBigInt(value) : undefined;
}

function decodeDecimalText(text: string): Decimal128 | undefined {
  try {
    return Decimal128.fromString(text);
  } catch {
    return undefined;
  }
}

function decodeDate(value: JsonValue | undefined): Date | undefined {
  let ms: number;
  if (typeof value === "string") {
    ms = Date.parse(value);
  } else if (isJsonObject(value) && Object.keys(value).length === 1 && typeof value.$numberLong === "string") {
    ms = /^-?\d{1,19}$/.test(value.$numberLong) ? Number(value.$numberLong) : Number.NaN;
  } else {
    return undefined;
  }
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function decodeBinary(value: JsonValue | undefined): Binary | undefined {
  if (!isJsonObject(value) || Object.keys(value).length !== 2) return undefined;
  const { base64, subType } = value;
  if (typeof base64 !== "string" || typeof subType !== "string" || !/^[0-9a-fA-F]{1,2}$/.test(subType)) {
    return undefined;
  }
  return new Binary(Buffer.from(base64, "base64"), Number.parseInt(subType, 16));
}

function decodeTimestamp(value: JsonValue | undefined): Timestamp | undefined {
  if (!isJsonObject(value) || Object.keys(value).length !== 2) return undefined;
  const { t, i } = value;
  if (!isUint32(t) || !isUint32(i)) return undefined;
  return new Timestamp({ t, i });
}

function isUint32(value: JsonValue | undefined): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function decodeRegExp(value: JsonValue | undefined): BSONRegExp | undefined {
  if (!isJsonObject(value) || Object.keys(value).length !== 2) return undefined;
  const { pattern, options } = value;
  if (typeof pattern !== "string" || typeof options !== "string") return undefined;
  try {
    return new BSONRegExp(pattern, options);
  } catch {
    return undefined;
  }
}
