import type { Binary, BSONRegExp, BSONSymbol, Code, DBRef, Decimal128, Document, Double, Int32, Long, ObjectId, Timestamp } from "../core/bson.js";
import { bsonClassType } from "./bson-class.js";
import { longText } from "./long-text.js";
import { decimal128Text } from "./decimal128-text.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";

/**
 * A JSON value as it is sent to and read back from a PostgreSQL `jsonb` column.
 * @public
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object. @public */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Where a document comes from, used to say where an encoding problem is. @public */
export interface DocumentLocation {
  /** `db.collection` */
  readonly namespace?: string;
  /** The document's key, as text (see `keyText`). */
  readonly key?: string;
}

/** Largest `Date` value (ms since the epoch) written in the relaxed ISO-8601 form: 9999-12-31T23:59:59.999Z. */
const MAX_ISO_DATE_MS = 253_402_300_799_999;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
/** @internal */
export const INT64_MIN = -(2n ** 63n);
/** @internal */
export const INT64_MAX = 2n ** 63n - 1n;
const NUL = "\u0000";
const NUL_REASON = "contains a NUL character (\\u0000), which PostgreSQL jsonb cannot store";

/**
 * Encodes a BSON document, as read by the `mongodb` driver, into the JSON stored in a PostgreSQL
 * `jsonb` column. The encoding is lossless: {@link decodeDocument} gives back the same BSON.
 *
 * The format is MongoDB Extended JSON v2 in its canonical form, with three exceptions that make the
 * common values easy to query in SQL (`(doc->>'qty')::int`, `doc->>'createdAt'`):
 *
 * | BSON type                          | JSON                                                              |
 * | ---------------------------------- | ----------------------------------------------------------------- |
 * | Int32                              | plain number: `42`                                                |
 * | Double, finite, not -0, not integral | plain number: `1.5`                                             |
 * | Double, integral, NaN, ±Infinity, -0 | `{"$numberDouble": "5.0"}`; the text is also `"1e+21"`, `"NaN"`, `"Infinity"`, `"-Infinity"`, `"-0.0"` |
 * | Int64 (Long)                       | `{"$numberLong": "9007199254740993"}`                             |
 * | Decimal128                         | `{"$numberDecimal": "1.50"}` (digits and exponent kept as given)  |
 * | String                             | string                                                            |
 * | Boolean, Null                      | `true`, `false`, `null`                                           |
 * | Undefined (deprecated; `undefined`) | `{"$undefined": true}`                                           |
 * | Document / Array                   | object / array, encoded recursively                               |
 * | ObjectId                           | `{"$oid": "<24 lowercase hex>"}`                                  |
 * | Date, years 1970..9999             | `{"$date": "2024-05-01T12:00:00.000Z"}` (ISO-8601, milliseconds, UTC) |
 * | Date, other years                  | `{"$date": {"$numberLong": "<ms since the epoch>"}}`              |
 * | Binary (UUID is subtype 4)         | `{"$binary": {"base64": "...", "subType": "04"}}` (two hex digits) |
 * | Timestamp                          | `{"$timestamp": {"t": <seconds>, "i": <increment>}}`             |
 * | Regular expression                 | `{"$regularExpression": {"pattern": "...", "options": "im"}}` (options sorted) |
 * | MinKey / MaxKey                    | `{"$minKey": 1}` / `{"$maxKey": 1}`                               |
 * | Symbol                             | `{"$symbol": "..."}`                                              |
 * | JavaScript code                    | `{"$code": "..."}`; with scope `{"$code": "...", "$scope": {...}}` |
 * | DBRef                              | `{"$ref": "coll", "$id": <encoded>, "$db": "db", ...other fields}` |
 *
 * Values a caller promoted to plain JavaScript are accepted too: a `number` that is an integer in
 * the Int32 range (and not -0) is an Int32, any other `number` a Double; a `bigint` is an Int64; a
 * `Buffer`/`Uint8Array` is Binary subtype 0; a `RegExp` is a regular expression with the options
 * the BSON serializer writes for it (`i`, `m`, and `s` for the `g` flag).
 *
 * Every plain number written is a finite double printed by JavaScript's shortest round-trip form,
 * which PostgreSQL stores exactly as `numeric` and which parses back to the same double. Integral
 * doubles keep the `$numberDouble` wrapper so they stay distinguishable from Int32.
 *
 * PostgreSQL `jsonb` does not keep object key order (it sorts keys, shorter first); the order of a
 * document's fields is therefore not preserved once stored. Everything else is.
 *
 * @param doc - the document, read with `promoteValues: false, promoteLongs: false,
 *   promoteBuffers: false, bsonRegExp: true`.
 * @param where - namespace and key of the document, used in error messages.
 * @returns the JSON object for the `jsonb` column.
 * @throws TributaryError `DocumentNotEncodable` when a string or a field name contains the NUL
 *   character U+0000 (PostgreSQL `jsonb` cannot store it), or when a value is not a BSON value
 *   (an invalid `Date`, a function, a symbol, a bigint outside the Int64 range, an unknown BSON type).
 *   The error's context names the namespace, the key and the dotted field path.
 * @public
 */
export function encodeDocument(doc: Document, where?: DocumentLocation): JsonObject {
  return new Encoder(true, where).object(doc, []);
}

/**
 * Encodes any BSON value with the encoding of {@link encodeDocument}, without rejecting NUL
 * characters: for callers that store the result as text via `JSON.stringify`, which escapes NUL
 * as `\u0000` (used for the text form of document keys).
 * @internal
 */
export function encodeValue(value: unknown): JsonValue {
  return new Encoder(false, undefined).value(value, []);
}

class Encoder {
  constructor(
    private readonly checkNul: boolean,
    private readonly where: DocumentLocation | undefined,
  ) {}

  /** Encodes a document; `path` holds the field names leading to it and is restored on return. */
  object(doc: Document, path: string[]): JsonObject {
    const out: JsonObject = {};
    if (doc instanceof Map) {
      for (const [key, value] of doc as Map<unknown, unknown>) {
        this.field(out, String(key), value, path);
      }
      return out;
    }
    for (const key of Object.keys(doc)) {
      this.field(out, key, doc[key], path);
    }
    return out;
  }

  private field(out: JsonObject, key: string, value: unknown, path: string[]): void {
    path.push(key);
    if (this.checkNul && key.includes(NUL)) this.nulError(path);
    setProperty(out, key, this.value(value, path));
    path.pop();
  }

  value(value: unknown, path: string[]): JsonValue {
    switch (typeof value) {
      case "string":
        return this.string(value, path);
      case "number":
        return isInt32Number(value) ? value : encodeDouble(value);
      case "boolean":
        return value;
      case "bigint":
        if (value < INT64_MIN || value > INT64_MAX) {
          this.notBson(path, `the integer ${value} is outside the 64-bit range`);
        }
        return { $numberLong: value.toString() };
      case "undefined":
        return { $undefined: true };
      case "object":
        return value === null ? null : this.objectValue(value as Document, path);
      default:
        return this.notBson(path, `a ${typeof value} is not a BSON value`);
    }
  }

  private string(value: string, path: string[]): string {
    if (this.checkNul && value.includes(NUL)) this.nulError(path);
    return value;
  }

  private objectValue(value: Document, path: string[]): JsonValue {
    const tag = bsonClassType(value);
    if (tag !== undefined) return this.bsonValue(tag, value, path);
    if (Array.isArray(value)) {
      const out: JsonValue[] = new Array<JsonValue>(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(String(i));
        out[i] = this.value(value[i], path);
        path.pop();
      }
      return out;
    }
    if (value instanceof Date) return this.date(value, path);
    if (value instanceof Uint8Array) return encodeBinary(bytesToBase64(value), 0);
    if (value instanceof RegExp) {
      let options = "";
      if (value.ignoreCase) options += "i";
      if (value.multiline) options += "m";
      if (value.global) options += "s";
      return { $regularExpression: { pattern: this.string(value.source, path), options } };
    }
    return this.object(value, path);
  }

  private bsonValue(tag: string, value: Document, path: string[]): JsonValue {
    switch (tag) {
      case "Int32":
        return (value as Int32).value;
      case "Double":
        return encodeDouble((value as Double).value);
      case "Long": {
        const long = value as Long;
        return { $numberLong: longText(long) };
      }
      case "Decimal128":
        return { $numberDecimal: decimal128Text(value as Decimal128) };
      case "ObjectId":
        return { $oid: (value as ObjectId).toHexString() };
      case "Binary": {
        const binary = value as Binary;
        return encodeBinary(binary.toString("base64"), binary.sub_type);
      }
      case "Timestamp": {
        const timestamp = value as Timestamp;
        return { $timestamp: { t: timestamp.t, i: timestamp.i } };
      }
      case "BSONRegExp": {
        const regexp = value as BSONRegExp;
        const options = this.string(regexp.options, path).split("").sort().join("");
        return { $regularExpression: { pattern: this.string(regexp.pattern, path), options } };
      }
      case "MinKey":
        return { $minKey: 1 };
      case "MaxKey":
        return { $maxKey: 1 };
      case "BSONSymbol":
        return { $symbol: this.string((value as BSONSymbol).valueOf(), path) };
      case "Code": {
        const code = value as Code;
        const text = this.string(code.code, path);
        if (code.scope !== null && typeof code.scope === "object") {
          path.push("$scope");
          const scope = this.object(code.scope, path);
          path.pop();
          return { $code: text, $scope: scope };
        }
        return { $code: text };
      }
      case "DBRef":
        return this.dbRef(value as DBRef, path);
      default:
        return this.notBson(path, `the BSON type ${tag} is not supported`);
    }
  }

  /** Same field order as the BSON serializer writes a DBRef: `$ref`, `$id`, `$db`, other fields. */
  private dbRef(ref: DBRef, path: string[]): JsonObject {
    const out: JsonObject = { $ref: this.string(ref.collection, path) };
    path.push("$id");
    out.$id = this.value(ref.oid, path);
    path.pop();
    if (ref.db != null) out.$db = this.string(ref.db, path);
    const fields = ref.fields as Document;
    for (const key of Object.keys(fields)) {
      if (fields[key] !== undefined) this.field(out, key, fields[key], path);
    }
    return out;
  }

  private date(date: Date, path: string[]): JsonObject {
    const ms = date.getTime();
    if (Number.isNaN(ms)) return this.notBson(path, "the date is invalid (its time value is NaN)");
    if (ms >= 0 && ms <= MAX_ISO_DATE_MS) return { $date: date.toISOString() };
    return { $date: { $numberLong: String(ms) } };
  }

  private nulError(path: readonly string[]): never {
    const field = path.join(".");
    throw new TributaryError(
      ErrorCode.DocumentNotEncodable,
      `${this.describeDocument()}: field ${JSON.stringify(field)} ${NUL_REASON}. Remove the NUL character from the document in MongoDB, ` +
        "or exclude the collection from replication.",
      { context: { ...this.context(field), reason: NUL_REASON } },
    );
  }

  private notBson(path: readonly string[], what: string): never {
    const field = path.join(".");
    throw new TributaryError(
      ErrorCode.DocumentNotEncodable,
      `${this.describeDocument()}: field ${JSON.stringify(field)} cannot be encoded: ${what}. ` +
        "Fix the value in MongoDB, or exclude the collection from replication.",
      { context: { ...this.context(field), reason: `cannot be encoded: ${what}` } },
    );
  }

  private describeDocument(): string {
    let text = "Document";
    if (this.where?.key !== undefined) text += ` key ${this.where.key}`;
    if (this.where?.namespace !== undefined) text += ` in ${this.where.namespace}`;
    return text;
  }

  private context(field: string): { namespace?: string; key?: string; field: string } {
    return {
      ...(this.where?.namespace !== undefined ? { namespace: this.where.namespace } : {}),
      ...(this.where?.key !== undefined ? { key: this.where.key } : {}),
      field: field.replaceAll(NUL, "\\u0000"),
    };
  }
}


/** Non-integral finite doubles are plain numbers; the rest keep the canonical wrapper. */
function encodeDouble(value: number): JsonValue {
  if (Number.isFinite(value) && !Number.isInteger(value)) return value;
  if (Object.is(value, -0)) return { $numberDouble: "-0.0" };
  // Same text as canonical Extended JSON: "5.0", "1e+21", "NaN", "Infinity", "-Infinity".
  return { $numberDouble: Number.isInteger(value) ? value.toFixed(1) : String(value) };
}

function encodeBinary(base64: string, subType: number): JsonObject {
  const hex = subType.toString(16);
  return { $binary: { base64, subType: hex.length === 1 ? `0${hex}` : hex } };
}

function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export { decodeDocument } from "./document-decode.js";

/** @internal */
export function isInt32Number(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0);
}

/**
 * Sets a property even when the key is `__proto__`, which MongoDB allows as a field name.
 * @internal
 */
export function setProperty(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
