import type { Decimal128, Double, Int32, Long, ObjectId } from "bson";
import { encodeValue, type JsonValue } from "../../../codec/document-codec.js";
import { decimal128Text } from "../../../codec/decimal128-text.js";
import { longText } from "../../../codec/long-text.js";
import type { ColumnFamily, ColumnType } from "./column-type.js";
import { fitsPrecision, parseDecimal } from "./decimal-text.js";
import { castLeniently } from "./lenient-cast.js";
import { describe, isUuid, quote, sortValue, uuidText, type Sorted } from "./sorted-value.js";

/** The JSON value for a column, or why the value does not fit the column. @internal */
export type Coerced = { readonly ok: true; readonly value: JsonValue } | { readonly ok: false; readonly reason: string };

/**
 * Converts a field's value, as the `mongodb` driver reads it (`promoteValues: false`; plain
 * `number`, `bigint`, `Buffer` and `RegExp` values are accepted too), into the JSON value that
 * `jsonb_to_recordset($1) AS r(col <type.sql>, ...)` turns into the column's value.
 *
 * `null` and `undefined` (a missing field) are SQL NULL for every type. Otherwise:
 *
 * | Column family            | Accepted values → JSON value                                               |
 * | ------------------------ | -------------------------------------------------------------------------- |
 * | text (`varchar`, `char`) | string → itself; ObjectId → 24 hex digits; number → its decimal text (Double: JavaScript's shortest form, Long and Decimal128 exact); boolean → `"true"`/`"false"`; date → ISO-8601; UUID (Binary subtype 4) → canonical UUID text; other BSON scalars (Binary, Timestamp, regular expression, MinKey, …) → their Extended JSON as text. Documents and arrays are rejected (map them to jsonb). Text longer than `varchar(n)`/`char(n)` allows (other than trailing spaces, which PostgreSQL drops) is rejected. |
 * | smallint, integer        | whole number in the type's range (Int32, Long, Double, Decimal128, number, bigint) → JSON number |
 * | bigint                   | whole number in the 64-bit range → decimal string (keeps all 64 bits)      |
 * | numeric                  | any number → decimal string in plain notation (NaN → `"NaN"`); ±Infinity, values `numeric(p,s)` cannot hold and more digits than any numeric holds (131072 before the point, 16383 after) are rejected |
 * | real, double             | any number → JSON number (Long, Decimal128 and bigint rounded to the nearest double); NaN, ±Infinity → `"NaN"`, `"Infinity"`, `"-Infinity"`; -0 → `"-0"`; finite values the type cannot hold are rejected |
 * | boolean                  | boolean → itself                                                           |
 * | timestamptz, timestamp   | date, BSON Timestamp (its seconds) → ISO-8601 UTC text (`timestamp` keeps the UTC wall-clock time); years outside 1..9999 in the form PostgreSQL reads (`10000-01-01T…Z`, `0044-03-15T…Z BC`) |
 * | date                     | date, BSON Timestamp → the UTC date, `YYYY-MM-DD` (with ` BC` before year 1) |
 * | jsonb, json              | anything → its lossless Extended JSON encoding ({@link encodeValue})       |
 * | uuid                     | UUID (Binary subtype 4) → canonical text; a string in the `8-4-4-4-12` hex form → lower-cased |
 * | bytea                    | Binary of any subtype (or a `Uint8Array`) → `"\x"` followed by the bytes in hex |
 * | any, as an array (`[]`)  | array → JSON array of its elements, each converted as above (null elements are NULL); anything else, and arrays inside the array, are rejected |
 *
 * Everything else is rejected, with no guessing: a string is never parsed as a number or a date,
 * unless the column's `cast` is `"lenient"` (lenient-cast.ts lists what that adds).
 * Also rejected: invalid dates, dates before 4714-11-24 BC (PostgreSQL's earliest), text and JSON
 * containing the NUL character (PostgreSQL cannot store it), and values that are not BSON values.
 * The reason names the value and the type, e.g. `a string ("abc") where integer was mapped`,
 * `an array where text was mapped`, `9223372036854775807 is out of range for integer`,
 * `2.5 is not a whole number (integer)`, `element 2: a document where text was mapped`.
 *
 * @param value - the field's value.
 * @param type - the column type it is mapped to.
 * @returns the JSON value for the recordset, or the reason the value does not fit the column.
 * @internal
 */
export function coerceValue(value: unknown, type: ColumnType): Coerced {
  if (value === null || value === undefined) return ok(null);
  if (!type.array) return coerceScalar(value, type);
  if (!Array.isArray(value)) return mismatch(sortValue(value), type);
  const element = elementType(type);
  const out: JsonValue[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const coerced: Coerced = Array.isArray(item)
      ? fail(`an array inside the array, where ${type.sql} (one dimension) was mapped`)
      : coerceValue(item, element);
    if (!coerced.ok) return fail(`element ${i}: ${coerced.reason}`);
    out.push(coerced.value);
  }
  return ok(out);
}

const elementTypes = new WeakMap<ColumnType, ColumnType>();

/** The type of an array column's elements: made once per column type, not per value. */
function elementType(type: ColumnType): ColumnType {
  let element = elementTypes.get(type);
  if (!element) elementTypes.set(type, (element = { ...type, sql: type.sql.replace(/\[\]$/, ""), array: false }));
  return element;
}

type Coercer = (sorted: Sorted, type: ColumnType, value: unknown) => Coerced;

const COERCERS: Readonly<Record<ColumnFamily, Coercer>> = {
  text: (sorted, type, value) => {
    const text = textOf(sorted, type, value);
    return text.ok && typeof text.value === "string" ? checkText(text.value, type) : text;
  },
  smallint: wholeNumber(-(2n ** 15n), 2n ** 15n - 1n, Number, zeroUnsigned),
  integer: wholeNumber(-(2n ** 31n), 2n ** 31n - 1n, Number, zeroUnsigned),
  bigint: wholeNumber(-(2n ** 63n), 2n ** 63n - 1n, String, String),
  numeric: (sorted, type) => (sorted.kind === "number" ? numeric(sorted.text, type) : mismatch(sorted, type)),
  real: (sorted, type) => (sorted.kind === "number" ? float(sorted, type, Math.fround) : mismatch(sorted, type)),
  double: (sorted, type) => (sorted.kind === "number" ? float(sorted, type, (x) => x) : mismatch(sorted, type)),
  boolean: (sorted, type) => (sorted.kind === "boolean" ? ok(sorted.value) : mismatch(sorted, type)),
  timestamptz: (sorted, type) => dateTime(sorted, type, false),
  timestamp: (sorted, type) => dateTime(sorted, type, false),
  date: (sorted, type) => dateTime(sorted, type, true),
  jsonb: (_sorted, type, value) => encodeJson(value, type),
  json: (_sorted, type, value) => encodeJson(value, type),
  uuid: (sorted, type) => {
    if (sorted.kind === "binary" && isUuid(sorted)) return ok(uuidText(sorted.hex));
    if (sorted.kind === "string" && UUID_TEXT.test(sorted.value)) return ok(sorted.value.toLowerCase());
    return mismatch(sorted, type);
  },
  bytea: (sorted, type) => (sorted.kind === "binary" ? ok(`\\x${sorted.hex}`) : mismatch(sorted, type)),
};

/** Decimal text in plain notation without leading zeros (`0.5`, `-12.30`, `7`). */
const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const NEGATIVE_ZERO = /^-0(?:\.0+)?$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** 4714-11-24 00:00 UTC BC (year -4713): the earliest `timestamp`, `timestamptz` and `date`. */
const EARLIEST_DATE_MS = Date.UTC(-4713, 10, 24);
/**
 * 0001-01-01 and 10000-01-01 00:00 UTC: between them `toISOString` writes a four-digit year, the
 * text PostgreSQL reads ({@link hasFourDigitYear}). Year 1 is set with `setUTCFullYear`, since
 * `Date.UTC` reads years 0 to 99 as 1900 to 1999.
 */
const YEAR_1_MS = new Date(0).setUTCFullYear(1, 0, 1);
const YEAR_10000_MS = Date.UTC(10000, 0, 1);

/** Whether a date's year is 1 to 9999 (UTC): the dates `toISOString` writes as PostgreSQL reads them. */
function hasFourDigitYear(date: Date): boolean {
  const time = date.getTime();
  return time >= YEAR_1_MS && time < YEAR_10000_MS;
}

function coerceScalar(value: unknown, type: ColumnType): Coerced {
  // The most common cases, without sorting the value first: a string into text (as `textOf`
  // takes it), a date of years 1 to 9999 into a timestamp (as `dateTime` writes it), a BSON number
  // or ObjectId into the column its kind is mapped to most (see `commonBsonValue`).
  if (type.cast !== "lenient") {
    if (typeof value === "string" && type.family === "text") return checkText(value, type);
    if (value instanceof Date && (type.family === "timestamptz" || type.family === "timestamp")) {
      if (hasFourDigitYear(value)) return ok(value.toISOString());
    }
    if (typeof value === "object" && value !== null) {
      const coerced = commonBsonValue(value, type);
      if (coerced !== undefined) return coerced;
    }
  }
  const sorted = type.cast === "lenient" ? castLeniently(sortValue(value), type) : sortValue(value);
  if (sorted.kind === "other" && !sorted.bson) return fail(`${sorted.description} is not a BSON value`);
  if (sorted.kind === "date" && Number.isNaN(sorted.value.getTime())) {
    return fail(`an invalid date (its time value is NaN) cannot be stored in ${type.sql}`);
  }
  return COERCERS[type.family](sorted, type, value);
}

/**
 * What the family's coercer makes of an Int32 in an integer or bigint column, a finite non-zero
 * Double in a double precision column, a Long in a bigint column, a Decimal128 in a numeric
 * column, an ObjectId in a text column, without the `Sorted` value each would be made into first
 * (a quarter of a document's allocations with the bench's mapping file); undefined for anything
 * else. Each is that coercer's first case for such a value: an Int32 is a safe integer of the
 * integer range whose text is `String`'s; a Long's text (`longText`) is canonical and always
 * within bigint's range.
 */
function commonBsonValue(value: object, type: ColumnType): Coerced | undefined {
  switch ((value as { _bsontype?: unknown })._bsontype) {
    case "Int32": {
      const int = (value as Int32).value;
      if (type.family === "integer") return ok(zeroUnsigned(int));
      return type.family === "bigint" ? ok(String(int)) : undefined;
    }
    case "Double": {
      const double = (value as Double).value;
      return type.family === "double" && Number.isFinite(double) && double !== 0 ? ok(double) : undefined;
    }
    case "Long":
      return type.family === "bigint" ? ok(longText(value as Long)) : undefined;
    case "Decimal128":
      return type.family === "numeric" ? numeric(decimal128Text(value as Decimal128), type) : undefined;
    case "ObjectId":
      return type.family === "text" ? checkText((value as ObjectId).toHexString(), type) : undefined;
  }
  return undefined;
}

function ok(value: JsonValue): Coerced {
  return { ok: true, value };
}

function fail(reason: string): Coerced {
  return { ok: false, reason };
}

function mismatch(sorted: Sorted, type: ColumnType): Coerced {
  return fail(`${describe(sorted)} where ${type.sql} was mapped`);
}

const modifiers = new Map<string, Readonly<{ first?: number; second?: number }>>();

/** The `(n)` or `(p,s)` numbers at the end of a normalized SQL type, if any; read once per type. */
function typeModifiers(sql: string): Readonly<{ first?: number; second?: number }> {
  let found = modifiers.get(sql);
  if (!found) {
    const match = /\((\d+)(?:,(\d+))?\)$/.exec(sql);
    found = match === null ? {} : { first: Number(match[1]), ...(match[2] !== undefined ? { second: Number(match[2]) } : {}) };
    modifiers.set(sql, found);
  }
  return found;
}

function textOf(sorted: Sorted, type: ColumnType, value: unknown): Coerced {
  switch (sorted.kind) {
    case "string":
      return ok(sorted.value);
    case "number":
      return ok(sorted.text);
    case "boolean":
      return ok(String(sorted.value));
    case "date":
      return ok(sorted.value.toISOString());
    case "objectId":
      return ok(sorted.hex);
    case "binary":
    case "timestamp":
    case "other": {
      if (sorted.kind === "binary" && isUuid(sorted)) return ok(uuidText(sorted.hex));
      const json = encodeJson(value, undefined);
      return json.ok ? ok(JSON.stringify(json.value)) : json;
    }
    case "document":
    case "array":
      return mismatch(sorted, type);
  }
}

/** PostgreSQL cannot store NUL, and rejects text longer than `varchar(n)`/`char(n)` unless the excess is spaces. */
function checkText(text: string, type: ColumnType): Coerced {
  if (text.includes("\u0000")) {
    return fail(`the text contains a NUL character (\\u0000), which PostgreSQL cannot store in ${type.sql}`);
  }
  const { first: length } = typeModifiers(type.sql);
  if (length !== undefined) {
    const chars = Array.from(text);
    if (chars.length > length && chars.slice(length).some((char) => char !== " ")) {
      return fail(`the text ${quote(text)} has ${chars.length} characters, more than ${type.sql} allows`);
    }
  }
  return ok(text);
}

/** A safe integer as an integer column holds it: -0 is 0. */
function zeroUnsigned(value: number): number {
  return value === 0 ? 0 : value;
}

/** `output` of a whole number; `outputSafe` the same of one that is a safe integer, without a bigint. */
function wholeNumber(min: bigint, max: bigint, output: (value: bigint) => JsonValue, outputSafe: (value: number) => JsonValue): Coercer {
  const [least, most] = [Number(min), Number(max)];
  return (sorted, type) => {
    if (sorted.kind !== "number") return mismatch(sorted, type);
    // The usual case, a whole number written as one (what parseDecimal would read the same way).
    if (Number.isSafeInteger(sorted.value) && sorted.text === String(sorted.value) && sorted.value >= least && sorted.value <= most) return ok(outputSafe(sorted.value));
    const decimal = parseDecimal(sorted.text);
    if (decimal === undefined) {
      return fail(sorted.text === "NaN" ? `NaN is not a whole number (${type.sql})` : `${sorted.text} is out of range for ${type.sql}`);
    }
    let whole: bigint;
    if (decimal.exponent >= 0) {
      whole = decimal.coefficient * 10n ** BigInt(decimal.exponent);
    } else {
      const divisor = 10n ** BigInt(-decimal.exponent);
      if (decimal.coefficient % divisor !== 0n) return fail(`${sorted.text} is not a whole number (${type.sql})`);
      whole = decimal.coefficient / divisor;
    }
    if (decimal.negative) whole = -whole;
    if (whole < min || whole > max) return fail(`${sorted.text} is out of range for ${type.sql}`);
    return ok(output(whole));
  };
}

/**
 * Plain notation (no exponent, which PostgreSQL 13 limits to ±1000), keeping the digits after the
 * point (`1.50` stays `1.50`); checked against `numeric(p,s)` the way PostgreSQL rounds (half away
 * from zero, to `s` digits, then fewer than `p - s` digits before the point).
 */
function numeric(text: string, type: ColumnType): Coerced {
  if (text === "NaN") return ok("NaN");
  // Plain notation without leading zeros or a negative zero, for a column of any precision: already what the rest makes of it.
  if (PLAIN_DECIMAL.test(text) && !NEGATIVE_ZERO.test(text) && !type.sql.endsWith(")")) return numericInRange(text, text, type);
  const decimal = parseDecimal(text);
  if (decimal === undefined) return fail(`${text} is out of range for ${type.sql}`);
  const { first: precision, second: scale = 0 } = typeModifiers(type.sql);
  if (precision !== undefined && !fitsPrecision(decimal, precision, scale)) {
    return fail(`${text} is out of range for ${type.sql}`);
  }
  const digits = decimal.coefficient.toString();
  let plain: string;
  if (decimal.exponent >= 0) {
    plain = decimal.coefficient === 0n ? "0" : digits + "0".repeat(decimal.exponent);
  } else {
    const padded = digits.padStart(1 - decimal.exponent, "0");
    const point = padded.length + decimal.exponent;
    plain = `${padded.slice(0, point)}.${padded.slice(point)}`;
  }
  return numericInRange(decimal.negative && decimal.coefficient !== 0n ? `-${plain}` : plain, text, type);
}

/**
 * PostgreSQL's `numeric` holds up to 131072 digits before the point and 16383 after (its
 * documentation, "Arbitrary Precision Numbers"); BSON numbers stay far inside, a string cast
 * leniently (`1e200000`) need not.
 */
const NUMERIC_WHOLE_DIGITS = 131_072;
const NUMERIC_SCALE = 16_383;

/** The plain decimal `plain` (of the value written `text`), unless it has more digits than a numeric holds. */
function numericInRange(plain: string, text: string, type: ColumnType): Coerced {
  const point = plain.indexOf(".");
  const whole = (point < 0 ? plain.length : point) - (plain.startsWith("-") ? 1 : 0);
  const scale = point < 0 ? 0 : plain.length - point - 1;
  if (whole <= NUMERIC_WHOLE_DIGITS && scale <= NUMERIC_SCALE) return ok(plain);
  const shown = text.length > 40 ? `${text.slice(0, 20)}… (${text.length} characters)` : text;
  return fail(`${shown} is out of range for ${type.sql} (at most ${NUMERIC_WHOLE_DIGITS} digits before the point and ${NUMERIC_SCALE} after)`);
}

/** `round` gives the value the column would hold; it must stay finite, and non-zero when the value is. */
function float(sorted: Extract<Sorted, { kind: "number" }>, type: ColumnType, round: (x: number) => number): Coerced {
  // The usual case: a finite non-zero double that stays so (the decimal text is then non-zero too).
  const rounded = round(sorted.value);
  if (Number.isFinite(rounded) && rounded !== 0 && sorted.value !== 0) return ok(sorted.value);
  const decimal = parseDecimal(sorted.text);
  if (decimal === undefined) return ok(sorted.text);
  const stored = round(sorted.value);
  if (!Number.isFinite(stored) || (stored === 0 && decimal.coefficient !== 0n)) {
    return fail(`${sorted.text} is out of range for ${type.sql}`);
  }
  return ok(Object.is(sorted.value, -0) ? "-0" : sorted.value);
}

/** ISO-8601 in UTC, with years PostgreSQL reads: 4 or more digits, ` BC` before year 1. */
function dateTime(sorted: Sorted, type: ColumnType, dateOnly: boolean): Coerced {
  let date: Date;
  if (sorted.kind === "date") date = sorted.value;
  else if (sorted.kind === "timestamp") date = new Date(sorted.t * 1000);
  else return mismatch(sorted, type);
  if (date.getTime() < EARLIEST_DATE_MS) {
    return fail(`${describe(sorted)} is out of range for ${type.sql} (earliest 4714-11-24 BC)`);
  }
  const iso = date.toISOString();
  // Years 1 to 9999: ISO-8601 as toISOString writes it is what PostgreSQL reads (a timestamp
  // column's date of these years takes `coerceScalar`'s fast path to the same text).
  if (hasFourDigitYear(date)) return ok(dateOnly ? iso.slice(0, 10) : iso);
  const year = date.getUTCFullYear();
  const day = `${String(year > 0 ? year : 1 - year).padStart(4, "0")}-${iso.slice(iso.indexOf("T") - 5, iso.indexOf("T"))}`;
  const text = dateOnly ? day : `${day}${iso.slice(iso.indexOf("T"))}`;
  return ok(year > 0 ? text : `${text} BC`);
}

/** Extended JSON; PostgreSQL `jsonb` cannot hold NUL in strings or field names. */
function encodeJson(value: unknown, type: ColumnType | undefined): Coerced {
  let json: JsonValue;
  try {
    json = encodeValue(value);
  } catch (error) {
    return fail(`the value cannot be encoded as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (type !== undefined && containsNul(json)) {
    return fail(`the value contains a NUL character (\\u0000), which PostgreSQL cannot store in ${type.sql}`);
  }
  return ok(json);
}

function containsNul(json: JsonValue): boolean {
  if (typeof json === "string") return json.includes("\u0000");
  if (json === null || typeof json !== "object") return false;
  if (Array.isArray(json)) return json.some(containsNul);
  return Object.entries(json).some(([key, item]) => key.includes("\u0000") || containsNul(item));
}
