import type { Decimal128, Document, Long, ObjectId } from "bson";
import { bsonClassType } from "./bson-class.js";
import { longText } from "./long-text.js";
import { decimal128Text } from "./decimal128-text.js";
import { encodeValue } from "./document-codec.js";

/**
 * The text form of a document's `_id`, used as the primary key column of a raw table. It is stable
 * (the same `_id` always gives the same text) and injective (different `_id`s give different
 * texts), and reads naturally for the common key types:
 *
 * | `_id`                                   | Text                                                     |
 * | --------------------------------------- | -------------------------------------------------------- |
 * | ObjectId                                | its 24 lowercase hex digits: `65f1c0ffee0000000000abcd`  |
 * | integral number (Int32, Long, Double, Decimal128, `number`, `bigint`) | decimal integer: `5`, `-12`, `9007199254740993` |
 * | non-integral Double                     | JavaScript's shortest round-trip form: `1.5`, `1e-7`     |
 * | NaN, ±Infinity (Double or Decimal128)   | `NaN`, `Infinity`, `-Infinity`                           |
 * | non-integral Decimal128 equal to a Double | the Double's text: `1.5`                               |
 * | other Decimal128 (`0.1`, `1E+400`)      | `{"$numberDecimal":"0.1"}`, trailing zeros removed        |
 * | String                                  | itself: `alice`, unless it could be read as another form (below) |
 * | anything else (Date, Binary, UUID, Timestamp, document, array, boolean, null, MinKey, ...) | `JSON.stringify` of its `encodeDocument` encoding: `{"$date":"2024-05-01T00:00:00.000Z"}`, `true` |
 *
 * MongoDB treats numerically equal `_id`s of different numeric types as the same key, so they get
 * the same text: `Int32(5)`, `Long(5)`, `Double(5)` and `Decimal128("5.00")` are all `5`; `-0` is
 * `0`. Numbers are compared exactly, as MongoDB does: `Decimal128("0.1")` is not the Double `0.1`.
 *
 * A string is written as `JSON.stringify(string)` (so it starts with `"`) when it is empty; is 24
 * lowercase hex digits; looks like a number (`5`, `-1.5e3`, `+7`, `NaN`, `Infinity`); starts with
 * `{`, `[` or `"`; is `true`, `false` or `null`; or contains a NUL character (which a PostgreSQL
 * text column cannot hold; JSON escapes it as `\u0000`).
 *
 * A number whose text would be 24 decimal digits (an ObjectId's shape) is written with a leading
 * `+`: `+100000000000000000000000`.
 *
 * Why it is injective: an ObjectId text is 24 hex digits; a number text is a number or starts with
 * `+` or is `{"$numberDecimal":...}`, one text per numeric value; an unescaped string is none of
 * those and starts with neither `{`, `[` nor `"`; an escaped string starts with `"`; every other
 * type is the JSON of a lossless encoding (an object, an array, `true`, `false`, `null`). A
 * sub-document of an `_id` cannot have `$`-prefixed field names, so it cannot be mistaken for a
 * type wrapper. Numbers nested inside a document or array `_id` keep their type in the text (`{"a":5}`
 * vs `{"a":{"$numberLong":"5"}}`); a stored `_id` never changes type, so a document's key text is
 * stable.
 *
 * @public
 */
export function keyText(id: unknown): string {
  switch (typeof id) {
    case "string":
      return stringText(id);
    case "number":
      return doubleText(id);
    case "bigint":
      return guardObjectIdShape(id.toString());
    case "object":
      if (id !== null) {
        const text = bsonKeyText(id as Document);
        if (text !== undefined) return text;
      }
      break;
    default:
      break;
  }
  return JSON.stringify(encodeValue(id));
}

function bsonKeyText(id: Document): string | undefined {
  switch (bsonClassType(id)) {
    case "ObjectId":
      return (id as ObjectId).toHexString();
    case "Int32":
    case "Double":
      return doubleText(id.value as number);
    case "Long": {
      const long = id as Long;
      return guardObjectIdShape(longText(long));
    }
    case "Decimal128":
      return decimalText(decimal128Text(id as Decimal128));
    default:
      return undefined;
  }
}

const HEX24 = /^[0-9a-f]{24}$/;
const DIGITS24 = /^\d{24}$/;
const NUMBER_LIKE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:NaN|Infinity)$/;

function stringText(value: string): string {
  if (
    value === "" ||
    value === "true" ||
    value === "false" ||
    value === "null" ||
    value[0] === "{" ||
    value[0] === "[" ||
    value[0] === '"' ||
    HEX24.test(value) ||
    NUMBER_LIKE.test(value) ||
    value.includes("\u0000")
  ) {
    return JSON.stringify(value);
  }
  return value;
}

/** An integer text of 24 digits would read as an ObjectId. */
function guardObjectIdShape(integerText: string): string {
  return DIGITS24.test(integerText) ? `+${integerText}` : integerText;
}

function doubleText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Number.isInteger(value)) return guardObjectIdShape(BigInt(value).toString());
  return String(value);
}

/** Significant digits of the largest finite Double (about 1.8e308): larger integers are no Double. */
const MAX_DOUBLE_INTEGER_DIGITS = 309;
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:E([+-]\d+))?$/;

/**
 * The key text of a Decimal128 from its string form: the integer text when integral, the Double's
 * text when exactly equal to a Double, else the JSON of the encoding with trailing zeros removed.
 */
function decimalText(text: string): string {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) {
    if (text === "NaN" || text === "-NaN") return "NaN";
    if (text === "Infinity" || text === "-Infinity") return text;
    return JSON.stringify({ $numberDecimal: text });
  }
  const negative = match[1] === "-";
  const fraction = match[3] ?? "";
  let digits = (match[2] ?? "") + fraction;
  let exponent = Number(match[4] ?? "0") - fraction.length;
  digits = digits.replace(/^0+/, "");
  if (digits === "") return "0";
  const trailingZeros = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trailingZeros);
  exponent += trailingZeros;
  const sign = negative ? "-" : "";

  if (exponent >= 0) {
    if (digits.length + exponent <= MAX_DOUBLE_INTEGER_DIGITS) {
      return guardObjectIdShape(sign + digits + "0".repeat(exponent));
    }
  } else {
    const double = Number(`${sign}${digits}e${exponent}`);
    if (equalsDecimal(double, negative, BigInt(digits), -exponent)) return String(double);
  }
  return JSON.stringify({ $numberDecimal: sign + formatDecimal(digits, exponent) });
}

/**
 * Whether the non-integral `double` is exactly `(negative ? -1 : 1) * coefficient / 10^scale`. A
 * non-integral double is `m / 2^k` exactly, that is `m * 5^k / 10^k`.
 */
function equalsDecimal(double: number, negative: boolean, coefficient: bigint, scale: number): boolean {
  if (!Number.isFinite(double) || Number.isInteger(double) || double < 0 !== negative) return false;
  let mantissa = Math.abs(double);
  let k = 0;
  while (!Number.isInteger(mantissa)) {
    mantissa *= 2;
    k++;
  }
  return BigInt(mantissa) * 5n ** BigInt(k) * 10n ** BigInt(scale) === coefficient * 10n ** BigInt(k);
}

/** Decimal128's own layout for a coefficient without trailing zeros and its exponent. */
function formatDecimal(digits: string, exponent: number): string {
  const adjusted = digits.length - 1 + exponent;
  if (exponent <= 0 && adjusted >= -6) {
    const point = digits.length + exponent;
    return point > 0
      ? `${digits.slice(0, point)}.${digits.slice(point)}`
      : `0.${"0".repeat(-point)}${digits}`;
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mantissa}E${adjusted >= 0 ? "+" : ""}${adjusted}`;
}
