import type { Binary, BSONRegExp, BSONSymbol, Code, DBRef, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from "../core/bson.js";
import { bsonClassType } from "./bson-class.js";
import { decimal128Text } from "./decimal128-text.js";

/**
 * How values reach code that receives documents: `"bson"` (the default) as the `mongodb` driver
 * decodes them with Tributary's lossless options — `Int32`, `Double`, `Long`, `Decimal128`,
 * `ObjectId`, `Binary`, `Timestamp`, `BSONRegExp` wrappers —, or `"plain"`: plain JavaScript
 * values, as {@link toPlainValue} describes.
 * @public
 */
export type ValueMode = "bson" | "plain";

/**
 * How {@link toPlainValue} gives an Int64 (`Long`) that a JavaScript `number` cannot hold
 * exactly (beyond ±(2^53 − 1)): a `bigint` (the default; exact, but `JSON.stringify` throws on
 * it) or its decimal text (a `string`, safe to serialize). A Long within that range is always a
 * `number`.
 * @public
 */
export type LargeLongs = "bigint" | "string";

/** Options of {@link toPlainValue}. @public */
export interface PlainValueOptions {
  /** How a Long beyond ±(2^53 − 1) is given (default `"bigint"`). */
  readonly largeLongs?: LargeLongs;
}

/** BSON binary subtype 4: a UUID in the standard (RFC 4122) byte order. */
const SUBTYPE_UUID = 4;
const UUID_BYTES = 16;
/** The flags a JavaScript RegExp shares with a BSON regular expression's options. */
const JS_REGEXP_OPTIONS = /^[imsu]*$/;

/**
 * Converts a value, as the `mongodb` driver decodes it, to plain JavaScript, recursively through
 * documents and arrays. The input is never changed; documents, arrays, dates and buffers in the
 * result are new objects.
 *
 * | BSON value (driver's wrapper)        | plain value                                                        |
 * | ------------------------------------ | ------------------------------------------------------------------ |
 * | Int32, Double                        | `number` (NaN, ±Infinity and -0 stay as they are)                  |
 * | Int64 (`Long`)                       | `number` when within ±(2^53 − 1), else `bigint` or `string` (`largeLongs`) |
 * | Decimal128                           | `string`: its digits and exponent as stored (`"1.50"`, `"-1E+400"`) |
 * | ObjectId                             | `string`: 24 lowercase hex digits                                  |
 * | Date                                 | `Date` (a copy)                                                    |
 * | Binary subtype 4 (UUID), 16 bytes    | `string`: `"0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44"`                  |
 * | Binary, any other subtype            | `Buffer` (a copy of the bytes; the subtype is not kept)            |
 * | Timestamp                            | `{ t, i }`: seconds and increment, numbers                         |
 * | regular expression                   | `RegExp` when its options are among `i`, `m`, `s`, `u`; else `{ pattern, options }` |
 * | Symbol                               | `string`                                                           |
 * | JavaScript code                      | `{ code }`, or `{ code, scope }` with the scope converted          |
 * | DBRef                                | `{ $ref, $id, $db?, …fields }`, `$id` and fields converted         |
 * | MinKey, MaxKey                       | unchanged (no JavaScript counterpart)                              |
 * | string, boolean, null, undefined     | unchanged                                                          |
 * | document, array                      | a new object or array of converted values                          |
 *
 * Values already plain pass through as they are (a `bigint` follows the Long rule), so
 * converting twice gives the same result.
 * @public
 */
export function toPlainValue(value: unknown, options: PlainValueOptions = {}): unknown {
  return new PlainConverter(options.largeLongs ?? "bigint").value(value);
}

/**
 * {@link toPlainValue} for a document: a new object with every field converted.
 * @public
 */
export function toPlainDocument(doc: Record<string, unknown>, options: PlainValueOptions = {}): Record<string, unknown> {
  return new PlainConverter(options.largeLongs ?? "bigint").object(doc);
}

class PlainConverter {
  constructor(private readonly largeLongs: LargeLongs) {}

  value(value: unknown): unknown {
    if (typeof value === "bigint") return this.integer(value);
    if (typeof value !== "object" || value === null) return value;
    const tag = bsonClassType(value);
    if (tag !== undefined) return this.bsonValue(tag, value);
    if (Array.isArray(value)) return value.map((item) => this.value(item));
    if (value instanceof Date) return new Date(value.getTime());
    if (value instanceof Uint8Array) return Buffer.from(value);
    if (value instanceof RegExp) return value;
    return this.object(value as Record<string, unknown>);
  }

  object(doc: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(doc)) setField(out, key, this.value(doc[key]));
    return out;
  }

  private bsonValue(tag: string, value: object): unknown {
    switch (tag) {
      case "Int32":
      case "Double":
        return (value as Int32 | Double).value;
      case "Long":
        return this.integer((value as Long).toBigInt());
      case "Decimal128":
        return decimal128Text(value as Decimal128);
      case "ObjectId":
        return (value as ObjectId).toHexString();
      case "Binary":
        return binaryValue(value as Binary);
      case "Timestamp":
        return { t: (value as Timestamp).t, i: (value as Timestamp).i };
      case "BSONRegExp":
        return regExpValue(value as BSONRegExp);
      case "BSONSymbol":
        return (value as BSONSymbol).valueOf();
      case "Code":
        return this.code(value as Code);
      case "DBRef":
        return this.dbRef(value as DBRef);
      default:
        // MinKey, MaxKey, and any type a later driver adds: kept as the driver gives them.
        return value;
    }
  }

  /** A 64-bit integer: a number when exact, else as `largeLongs` says. */
  private integer(value: bigint): number | bigint | string {
    const asNumber = Number(value);
    if (Number.isSafeInteger(asNumber)) return asNumber;
    return this.largeLongs === "string" ? value.toString() : value;
  }

  private code(code: Code): Record<string, unknown> {
    if (code.scope !== null && typeof code.scope === "object") return { code: code.code, scope: this.object(code.scope) };
    return { code: code.code };
  }

  /** Field order as MongoDB writes a DBRef: `$ref`, `$id`, `$db`, then the other fields. */
  private dbRef(ref: DBRef): Record<string, unknown> {
    const out: Record<string, unknown> = { $ref: ref.collection, $id: this.value(ref.oid) };
    if (ref.db != null) out.$db = ref.db;
    const fields = ref.fields as Record<string, unknown>;
    for (const key of Object.keys(fields)) setField(out, key, this.value(fields[key]));
    return out;
  }
}

function binaryValue(binary: Binary): string | Buffer {
  if (binary.sub_type === SUBTYPE_UUID && binary.length() === UUID_BYTES) return binary.toUUID().toHexString(true);
  return Buffer.from(binary.value());
}

function regExpValue(regexp: BSONRegExp): RegExp | { pattern: string; options: string } {
  if (JS_REGEXP_OPTIONS.test(regexp.options)) {
    try {
      return new RegExp(regexp.pattern, regexp.options);
    } catch {
      // A pattern JavaScript cannot compile (PCRE-only syntax) falls through to the plain form.
    }
  }
  return { pattern: regexp.pattern, options: regexp.options };
}

/** Sets a field by definition, so a field named `__proto__` stays a field and never a prototype. */
function setField(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
