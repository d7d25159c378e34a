import type { Binary, BSONRegExp, Code, DBRef, Decimal128, Document, Long, ObjectId, Timestamp } from "bson";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";

/**
 * The rank of each BSON type in MongoDB's comparison order (the server's canonical types):
 * values of different ranks compare by rank alone; all numeric types share one rank, as do
 * strings and symbols.
 */
const Rank = Object.freeze({
  minKey: 0,
  undefined: 1,
  null: 2,
  number: 3,
  string: 4,
  object: 5,
  array: 6,
  binary: 7,
  objectId: 8,
  boolean: 9,
  date: 10,
  timestamp: 11,
  regExp: 12,
  code: 13,
  codeWithScope: 14,
  maxKey: 15,
});

type Rank = (typeof Rank)[keyof typeof Rank];

/**
 * MongoDB's order of two BSON values (negative, zero or positive), as the `_id` index and
 * `$sort` order them with the simple collation: MinKey < undefined < null < numbers < strings
 * < documents < arrays < binary < ObjectId < booleans < dates < timestamps < regular expressions
 * < code < MaxKey. Values are taken as the driver decodes them, with or without type wrappers
 * (`Int32`, `Double`, `Long`, `Decimal128`, plain `number` and `bigint`).
 *
 * - Numbers compare by exact value whatever their types, as the index (KeyString) does:
 *   `Long(2^53 + 1)` is above `Double(2^53)`, `Decimal128("0.1")` is not the Double `0.1`,
 *   `-0` equals `0`, and NaN is below every other number (and equal to NaN).
 * - Strings compare by their UTF-8 bytes ("Z" < "a" < "z" < "é").
 * - Documents compare field by field: type rank of the value, then field name, then value; a
 *   document that is a prefix of another is smaller. Arrays compare element by element.
 * - Binary compares by length, then subtype, then bytes; regular expressions by pattern, then flags.
 *
 * A plain JavaScript object lists integer-like keys first, whatever their stored order, so a
 * sub-document with such field names may compare differently than on the server.
 * @throws TributaryError when a value is not a BSON value (a function, a symbol, an unknown wrapper).
 */
export function compareBsonValues(a: unknown, b: unknown): number {
  const rankA = rankOf(a);
  const rankB = rankOf(b);
  if (rankA !== rankB) return rankA < rankB ? -1 : 1;
  switch (rankA) {
    case Rank.minKey:
    case Rank.maxKey:
    case Rank.undefined:
    case Rank.null:
      return 0;
    case Rank.number:
      return compareNumbers(a, b);
    case Rank.string:
      return compareStrings(stringOf(a), stringOf(b));
    case Rank.object:
      return compareEntries(Object.entries(documentOf(a)), Object.entries(documentOf(b)));
    case Rank.array:
      return compareEntries(Object.entries(a as unknown[]), Object.entries(b as unknown[]));
    case Rank.binary:
      return compareBinaries(a, b);
    case Rank.objectId:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case Rank.boolean:
      return Number(a) - Number(b);
    case Rank.date:
      return sign((a as Date).getTime() - (b as Date).getTime());
    case Rank.timestamp:
      return sign((a as Timestamp).t - (b as Timestamp).t) || sign((a as Timestamp).i - (b as Timestamp).i);
    case Rank.regExp:
      return compareRegExps(a, b);
    case Rank.code:
      return compareStrings((a as Code).code, (b as Code).code);
    case Rank.codeWithScope:
      return compareStrings((a as Code).code, (b as Code).code) || compareBsonValues((a as Code).scope, (b as Code).scope);
  }
}

function rankOf(value: unknown): Rank {
  switch (typeof value) {
    case "undefined":
      return Rank.undefined;
    case "number":
    case "bigint":
      return Rank.number;
    case "string":
      return Rank.string;
    case "boolean":
      return Rank.boolean;
    case "object":
      return value === null ? Rank.null : objectRank(value);
    default:
      throw notBson(value);
  }
}

function objectRank(value: object): Rank {
  const tag = (value as { _bsontype?: unknown })._bsontype;
  switch (tag) {
    case undefined:
      if (Array.isArray(value)) return Rank.array;
      if (value instanceof Date) return Rank.date;
      if (value instanceof Uint8Array) return Rank.binary;
      if (value instanceof RegExp) return Rank.regExp;
      return Rank.object;
    case "MinKey":
      return Rank.minKey;
    case "MaxKey":
      return Rank.maxKey;
    case "Int32":
    case "Double":
    case "Long":
    case "Decimal128":
      return Rank.number;
    case "BSONSymbol":
      return Rank.string;
    // A DBRef is stored as the document { $ref, $id, $db? }.
    case "DBRef":
      return Rank.object;
    case "Binary":
      return Rank.binary;
    case "ObjectId":
      return Rank.objectId;
    case "Timestamp":
      return Rank.timestamp;
    case "BSONRegExp":
      return Rank.regExp;
    case "Code":
      return (value as Code).scope ? Rank.codeWithScope : Rank.code;
    default:
      throw notBson(value);
  }
}

function notBson(value: unknown): TributaryError {
  const kind = typeof value === "object" && value !== null ? String((value as { _bsontype?: unknown })._bsontype ?? value.constructor.name) : typeof value;
  return new TributaryError(ErrorCode.SnapshotFailed, `Cannot order a value of type ${kind}: it is not a BSON value MongoDB stores`);
}

function sign(difference: number): number {
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}

/** An exact number: NaN, an infinity, or the fraction `numerator / denominator` (denominator > 0). */
type Exact = { readonly nan: true } | { readonly infinity: 1 | -1 } | { readonly numerator: bigint; readonly denominator: bigint };

function compareNumbers(a: unknown, b: unknown): number {
  const x = plainNumber(a);
  const y = plainNumber(b);
  // Doubles and Int32s compare exactly as JavaScript numbers (-0 equals 0); only NaN needs care.
  if (typeof x === "number" && typeof y === "number") {
    if (Number.isNaN(x) || Number.isNaN(y)) return Number(Number.isNaN(y)) - Number(Number.isNaN(x));
    return sign(x - y);
  }
  if (typeof x === "bigint" && typeof y === "bigint") return x < y ? -1 : x > y ? 1 : 0;
  return compareExact(exactOf(x), exactOf(y));
}

/** A number as a JavaScript `number` (when exact), a `bigint` (a Long) or a Decimal128. */
function plainNumber(value: unknown): number | bigint | Decimal128 {
  if (typeof value === "number" || typeof value === "bigint") return value;
  const wrapper = value as { _bsontype: string; value?: unknown };
  switch (wrapper._bsontype) {
    case "Long": {
      // BSON's int64 is signed, whatever the wrapper says.
      const long = value as Long;
      return (long.unsigned ? long.toSigned() : long).toBigInt();
    }
    case "Decimal128":
      return value as Decimal128;
    default:
      return wrapper.value as number;
  }
}

const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:E([+-]\d+))?$/;

function exactOf(value: number | bigint | Decimal128): Exact {
  if (typeof value === "bigint") return { numerator: value, denominator: 1n };
  if (typeof value === "number") {
    if (Number.isNaN(value)) return { nan: true };
    if (!Number.isFinite(value)) return { infinity: value > 0 ? 1 : -1 };
    // A finite double is m / 2^k exactly: doubling until integral is exact and ends within 1074 steps.
    let scaled = value;
    let k = 0n;
    while (!Number.isInteger(scaled)) {
      scaled *= 2;
      k += 1n;
    }
    return { numerator: BigInt(scaled), denominator: 2n ** k };
  }
  const text = value.toString();
  const match = DECIMAL_TEXT.exec(text);
  if (!match) return /NaN/.test(text) ? { nan: true } : { infinity: text.startsWith("-") ? -1 : 1 };
  const fraction = match[3] ?? "";
  const coefficient = BigInt((match[2] ?? "0") + fraction) * (match[1] === "-" ? -1n : 1n);
  const exponent = Number(match[4] ?? "0") - fraction.length;
  return exponent >= 0 ? { numerator: coefficient * 10n ** BigInt(exponent), denominator: 1n } : { numerator: coefficient, denominator: 10n ** BigInt(-exponent) };
}

function compareExact(x: Exact, y: Exact): number {
  const orderX = specialOrder(x);
  const orderY = specialOrder(y);
  if (orderX !== 0 || orderY !== 0 || !("numerator" in x) || !("numerator" in y)) return sign(orderX - orderY);
  const left = x.numerator * y.denominator;
  const right = y.numerator * x.denominator;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** NaN below -Infinity below every finite number (0) below Infinity. */
function specialOrder(value: Exact): number {
  return "nan" in value ? -2 : "infinity" in value ? value.infinity : 0;
}

function stringOf(value: unknown): string {
  return typeof value === "string" ? value : String((value as { value: unknown }).value);
}

/**
 * UTF-8 byte order is code point order. UTF-16 code units agree with it except that surrogates
 * (U+D800–U+DFFF, which encode code points above U+FFFF) must come after U+E000–U+FFFF.
 */
function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return sign(codePointOrder(x) - codePointOrder(y));
  }
  return sign(a.length - b.length);
}

function codePointOrder(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

function documentOf(value: unknown): Document {
  if ((value as { _bsontype?: unknown })._bsontype !== "DBRef") return value as Document;
  const ref = value as DBRef;
  return { $ref: ref.collection, $id: ref.oid, ...(ref.db ? { $db: ref.db } : {}), ...ref.fields };
}

/** Documents (and arrays, whose field names are their indexes) field by field; a prefix comes first. */
function compareEntries(a: readonly [string, unknown][], b: readonly [string, unknown][]): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const [nameA, valueA] = a[index] as [string, unknown];
    const [nameB, valueB] = b[index] as [string, unknown];
    const byType = rankOf(valueA) - rankOf(valueB);
    if (byType !== 0) return sign(byType);
    const byName = compareStrings(nameA, nameB);
    if (byName !== 0) return byName;
    const byValue = compareBsonValues(valueA, valueB);
    if (byValue !== 0) return byValue;
  }
  return sign(a.length - b.length);
}

function binaryParts(value: unknown): { subtype: number; bytes: Uint8Array } {
  if (value instanceof Uint8Array) return { subtype: 0, bytes: value };
  const binary = value as Binary;
  return { subtype: binary.sub_type, bytes: binary.buffer.subarray(0, binary.position) };
}

function compareBinaries(a: unknown, b: unknown): number {
  const x = binaryParts(a);
  const y = binaryParts(b);
  return sign(x.bytes.length - y.bytes.length) || sign(x.subtype - y.subtype) || compareBytes(x.bytes, y.bytes);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const difference = (a[index] as number) - (b[index] as number);
    if (difference !== 0) return sign(difference);
  }
  return sign(a.length - b.length);
}

function regExpParts(value: unknown): { pattern: string; flags: string } {
  if (value instanceof RegExp) return { pattern: value.source, flags: [...value.flags].sort().join("") };
  const regExp = value as BSONRegExp;
  return { pattern: regExp.pattern, flags: regExp.options };
}

function compareRegExps(a: unknown, b: unknown): number {
  const x = regExpParts(a);
  const y = regExpParts(b);
  return compareStrings(x.pattern, y.pattern) || compareStrings(x.flags, y.flags);
}
