/**
 * `"cast": "lenient"`: the conversions mongo-connector-postgresql's users got without asking.
 * That tool handed each value to psycopg2, which wrote Python strings as untyped SQL literals
 * (`'42'`) and numbers, booleans and datetimes as typed ones (sql.py `to_sql_value`, and
 * psycopg2's adapters in `sql_insert`); PostgreSQL then read the literal with the column type's
 * own input function, or cast it to the column's type on assignment. These are the same
 * conversions, made here, before the row is written, so that a value none of them fits still
 * goes to the dead letters on its own instead of failing its batch:
 *
 * | column type | also accepted | as PostgreSQL reads it |
 * | --- | --- | --- |
 * | smallint, integer, bigint | a string of digits with an optional sign and blanks around (`" 42"`, `"-7"`); a number with a fraction, rounded half away from zero (`2.5` → 3) | `int4in`; the `numeric` → `integer` cast |
 * | numeric | a string in decimal or exponent notation with blanks around (`"12.50"`, `"1e3"`), or `NaN` | `numeric_in` |
 * | real, double precision | the same, and `Infinity`, `-Infinity`, `inf` (any case) | `float8in` |
 * | boolean | `t`/`true`/`y`/`yes`/`on`/`1` and `f`/`false`/`n`/`no`/`off`/`0`, any case, blanks around, unique prefixes (`tr`, `of`) | `boolin` |
 * | timestamptz | an ISO 8601 date or date-time string (`2024-05-01`, `2024-05-01 12:00`, `2024-05-01T12:00:00.5+02:00`, a zone within ±15:59); no zone means UTC | `timestamptz_in` (PostgreSQL takes the session's time zone) |
 * | timestamp | the same; a zone is ignored, the wall-clock time kept | `timestamp_in` |
 * | date | the same; the date as written | `date_in` |
 * | text, varchar, char | a date as PostgreSQL writes a `timestamp`: `2024-05-01 12:00:00.5` (UTC) | the `timestamp` → `text` cast |
 * | uuid | upper case, without hyphens, in braces (`{A0EEBC99…}`); no blanks around | `uuid_in` |
 *
 * Everything else converts as the strict default does (value-coercion.ts): numbers and booleans
 * to text already, and a string a rule above does not read is rejected as before.
 */
import type { ColumnType } from "./column-type.js";
import { parseDecimal } from "./decimal-text.js";
import type { Sorted } from "./sorted-value.js";

/** The value as the column's strict conversion should see it, or the value itself when no lenient rule applies. */
export function castLeniently(sorted: Sorted, type: ColumnType): Sorted {
  switch (type.family) {
    case "smallint":
    case "integer":
    case "bigint":
      if (sorted.kind === "string") return /^[+-]?\d+$/.test(trimBlanks(sorted.value)) ? numberOf(trimBlanks(sorted.value)) : sorted;
      return sorted.kind === "number" ? roundedToWhole(sorted) : sorted;
    case "numeric":
      return sorted.kind === "string" ? (decimalText(sorted.value) ?? sorted) : sorted;
    case "real":
    case "double":
      return sorted.kind === "string" ? (decimalText(sorted.value) ?? infinity(sorted.value) ?? sorted) : sorted;
    case "boolean":
      return sorted.kind === "string" ? (booleanOf(sorted.value) ?? sorted) : sorted;
    case "timestamptz":
    case "timestamp":
    case "date":
      return sorted.kind === "string" ? (dateOf(sorted.value, type.family === "timestamptz") ?? sorted) : sorted;
    case "text":
      return sorted.kind === "date" && ordinaryYear(sorted.value) ? { kind: "string", value: timestampText(sorted.value) } : sorted;
    case "uuid":
      return sorted.kind === "string" ? (uuidOf(sorted.value) ?? sorted) : sorted;
    default:
      return sorted;
  }
}

/**
 * Blanks around a value, as PostgreSQL's input functions skip them (`isspace`): ASCII ones only.
 * JavaScript's `trim` also drops a no-break space and the like, which PostgreSQL refuses.
 */
function trimBlanks(text: string): string {
  return text.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, "");
}

function numberOf(text: string): Sorted {
  return { kind: "number", value: Number(text), text };
}

/** `numeric` → `integer` in PostgreSQL: half away from zero. */
function roundedToWhole(sorted: Extract<Sorted, { kind: "number" }>): Sorted {
  const decimal = parseDecimal(sorted.text);
  if (decimal === undefined || decimal.exponent >= 0) return sorted;
  const divisor = 10n ** BigInt(-decimal.exponent);
  let whole = decimal.coefficient / divisor;
  if ((decimal.coefficient % divisor) * 2n >= divisor) whole += 1n;
  return numberOf(`${decimal.negative && whole !== 0n ? "-" : ""}${whole}`);
}

function decimalText(text: string): Sorted | undefined {
  const trimmed = trimBlanks(text);
  if (/^nan$/i.test(trimmed)) return numberOf("NaN");
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i.test(trimmed) && parseDecimal(trimmed) !== undefined ? numberOf(trimmed) : undefined;
}

function infinity(text: string): Sorted | undefined {
  const match = /^([+-]?)inf(?:inity)?$/i.exec(trimBlanks(text));
  if (!match) return undefined;
  const negative = match[1] === "-";
  return { kind: "number", value: negative ? -Infinity : Infinity, text: negative ? "-Infinity" : "Infinity" };
}

/** PostgreSQL's `parse_bool`: the words, or a unique prefix of them (`o` alone is neither on nor off). */
function booleanOf(text: string): Sorted | undefined {
  const word = trimBlanks(text).toLowerCase();
  if (word === "") return undefined;
  const isPrefix = (of: string, min = 1): boolean => word.length >= min && of.startsWith(word);
  if (isPrefix("true") || isPrefix("yes") || isPrefix("on", 2) || word === "1") return { kind: "boolean", value: true };
  if (isPrefix("false") || isPrefix("no") || isPrefix("off", 2) || word === "0") return { kind: "boolean", value: false };
  return undefined;
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?[ \t\n\v\f\r]*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
/** PostgreSQL's limit on a zone's offset (`MAX_TZDISP_HOUR`); minutes are below 60. */
const LARGEST_OFFSET_HOURS = 15;

/** An ISO 8601 date or date-time; with `zoned`, at the instant its zone says (UTC without one), else at its wall-clock time. */
function dateOf(text: string, zoned: boolean): Sorted | undefined {
  const match = ISO_DATE_TIME.exec(trimBlanks(text));
  if (!match) return undefined;
  const [, year = "", month = "", day = "", hour = "0", minute = "0", second = "0", fraction = "", zone] = match;
  const fields = [Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)] as const;
  const date = new Date(0);
  date.setUTCFullYear(fields[0], fields[1], fields[2]);
  date.setUTCHours(fields[3], fields[4], fields[5], Math.round(Number(`0.${fraction || "0"}`) * 1000));
  // setUTCFullYear rolls 2024-02-30 over into March: a date that does not exist is not read.
  const exists = fields[0] >= 1 && date.getUTCMonth() === fields[1] % 12 && fields[1] < 12 && date.getUTCDate() === fields[2];
  if (!exists || fields[3] > 23 || fields[4] > 59 || fields[5] > 59 || (zone !== undefined && !offsetInRange(zone))) return undefined;
  return { kind: "date", value: new Date(zoned && zone ? date.getTime() - offsetMs(zone) : date.getTime()) };
}

/** PostgreSQL refuses `+16:00` and `+05:60` (`time zone displacement out of range`), for `timestamp` and `date` too. */
function offsetInRange(zone: string): boolean {
  if (zone.toUpperCase() === "Z") return true;
  const digits = zone.slice(1).replace(":", "");
  return Number(digits.slice(0, 2)) <= LARGEST_OFFSET_HOURS && Number(digits.slice(2) || "0") < 60;
}

function offsetMs(zone: string): number {
  if (zone.toUpperCase() === "Z") return 0;
  const digits = zone.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
  return (zone.startsWith("-") ? -1 : 1) * minutes * 60_000;
}

/** Years 1 to 9999 (an invalid date is none): the others keep the strict ISO-8601 text. */
function ordinaryYear(date: Date): boolean {
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999;
}

/** `2024-05-01 12:00:00.5`: PostgreSQL's text of a `timestamp` (ISO DateStyle), in UTC. */
function timestampText(date: Date): string {
  const iso = date.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, "");
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ""}`;
}

function uuidOf(text: string): Sorted | undefined {
  // uuid_in skips no blanks.
  const inner = text.startsWith("{") && text.endsWith("}") ? text.slice(1, -1) : text;
  if (!/^[0-9a-f]{4}(?:-?[0-9a-f]{4}){7}$/i.test(inner)) return undefined;
  const hex = inner.replaceAll("-", "").toLowerCase();
  return { kind: "string", value: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
}
