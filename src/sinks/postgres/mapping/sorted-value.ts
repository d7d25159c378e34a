import type { Binary, Decimal128, DBRef, Double, Int32, Long, ObjectId, Timestamp, BSONRegExp, BSONSymbol } from "bson";
import { longText } from "../../../codec/long-text.js";
import { decimal128Text } from "../../../codec/decimal128-text.js";

// A field's value sorted by what it is (string, number, date, ObjectId, …), with what the
// column conversions of value-coercion.ts need from it, and how reasons name it.

/** A value sorted by what it is, with what the conversions need. @internal */
export type Sorted =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "boolean"; readonly value: boolean }
  /** Any number; `text` is its exact decimal text, `value` the nearest double. */
  | { readonly kind: "number"; readonly value: number; readonly text: string }
  | { readonly kind: "date"; readonly value: Date }
  | { readonly kind: "objectId"; readonly hex: string }
  | { readonly kind: "binary"; readonly hex: string; readonly subtype: number }
  | { readonly kind: "timestamp"; readonly t: number; readonly i: number }
  | { readonly kind: "document" }
  | { readonly kind: "array" }
  | { readonly kind: "other"; readonly description: string; readonly bson: boolean };

/**
 * A JavaScript number, whose exact decimal text is `String(value)`: made only when a conversion
 * asks for it. Most do not (a `double precision` column takes the value), and the shortest text of
 * a double with a fraction costs more than the rest of sorting it.
 */
class DoubleNumber {
  readonly kind = "number";
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }

  get text(): string {
    return String(this.value);
  }
}

/** Strings in reasons are cut to this many characters. */
const QUOTE_LENGTH = 40;

export function sortValue(value: unknown): Sorted {
  switch (typeof value) {
    case "string":
      return { kind: "string", value };
    case "boolean":
      return { kind: "boolean", value };
    case "number":
      return new DoubleNumber(value);
    case "bigint":
      return { kind: "number", value: Number(value), text: value.toString() };
    case "object":
      if (value !== null) return sortObject(value);
  }
  return { kind: "other", description: `a ${value === null ? "null" : typeof value}`, bson: false };
}

function sortObject(value: object): Sorted {
  if (Array.isArray(value)) return { kind: "array" };
  if (value instanceof Date) return { kind: "date", value };
  if (value instanceof Uint8Array) {
    return { kind: "binary", hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex"), subtype: 0 };
  }
  const tag: unknown = (value as { _bsontype?: unknown })._bsontype;
  switch (tag) {
    case "Int32":
    case "Double":
      return new DoubleNumber((value as Int32 | Double).value);
    case "Long": {
      const long = value as Long;
      const text = longText(long);
      return { kind: "number", value: Number(text), text };
    }
    case "Decimal128": {
      const text = decimal128Text(value as Decimal128);
      return { kind: "number", value: Number(text), text };
    }
    case "ObjectId":
      return { kind: "objectId", hex: (value as ObjectId).toHexString() };
    case "Binary":
      return { kind: "binary", hex: (value as Binary).toString("hex"), subtype: (value as Binary).sub_type };
    case "Timestamp":
      return { kind: "timestamp", t: (value as Timestamp).t, i: (value as Timestamp).i };
    case "BSONRegExp": {
      const regexp = value as BSONRegExp;
      return other(`a regular expression (${quote(`/${regexp.pattern}/${regexp.options}`)})`);
    }
    case "BSONSymbol":
      return other(`a symbol (${quote((value as BSONSymbol).valueOf())})`);
    case "MinKey":
    case "MaxKey":
      return other(`a ${tag}`);
    case "Code":
      return other("JavaScript code");
    case "DBRef":
      return other(`a DBRef (${quote((value as DBRef).collection)})`);
  }
  if (typeof tag === "string") return { kind: "other", description: `a BSON ${tag}`, bson: false };
  if (value instanceof RegExp) return other(`a regular expression (${quote(String(value))})`);
  return { kind: "document" };
}

function other(description: string): Sorted {
  return { kind: "other", description, bson: true };
}

/** How a value is named in reasons: `a string ("abc")`, `a number (2.5)`, `a document`. */
export function describe(sorted: Sorted): string {
  switch (sorted.kind) {
    case "string":
      return `a string (${quote(sorted.value)})`;
    case "boolean":
      return `a boolean (${sorted.value})`;
    case "number":
      return `a number (${sorted.text})`;
    case "date":
      return `a date (${sorted.value.toISOString()})`;
    case "objectId":
      return `an ObjectId (${sorted.hex})`;
    case "binary":
      return isUuid(sorted)
        ? `a UUID (${uuidText(sorted.hex)})`
        : `binary data (subtype ${sorted.subtype}, ${sorted.hex.length / 2} bytes)`;
    case "timestamp":
      return `a BSON timestamp (t=${sorted.t}, i=${sorted.i})`;
    case "document":
      return "a document";
    case "array":
      return "an array";
    case "other":
      return sorted.description;
  }
}

/** `"text"`, cut to {@link QUOTE_LENGTH} characters, with control characters escaped. */
export function quote(text: string): string {
  const chars = Array.from(text);
  return JSON.stringify(chars.length > QUOTE_LENGTH ? `${chars.slice(0, QUOTE_LENGTH).join("")}...` : text);
}

export function isUuid(sorted: Extract<Sorted, { kind: "binary" }>): boolean {
  return sorted.subtype === 4 && sorted.hex.length === 32;
}

export function uuidText(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
