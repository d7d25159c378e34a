import type { JsonValue } from "../../../codec/document-codec.js";
import type { BinaryCopyWriter } from "../copy-binary.js";
import { parseColumnType, type ColumnFamily } from "../mapping/column-type.js";
import { CLUSTER_TIME_COLUMN } from "./relational-ddl.js";
import type { RowColumn } from "./relational-columns.js";
import type { Row } from "./row-extractor.js";

/**
 * Rows in `COPY`'s binary format: each value as its column's receive function reads it, from the
 * JSON value `coerceValue` made of it, so that PostgreSQL stores what `jsonb_to_recordset` would
 * store of the same value. Against the text format, PostgreSQL parses no numbers, dates or
 * array literals, and the process writes no decimal text of a double (each took 0.4 µs of the
 * bench's orders): docs/benchmarks.md, sixteenth pass.
 *
 * The binary format leaves no room for a column of another type than the one sent: the tables
 * are Tributary's own or adopted with exactly these types (adoption-plan.ts).
 */

/** Writes a value that is not null into the writer. */
type BinaryField = (value: JsonValue, out: BinaryCopyWriter) => void;

/** Writes a value of a column type, alone or as an array's element (not null: an array writes its NULLs), and bounds the bytes that takes. */
interface ElementCodec {
  readonly oid: number;
  /** Turns a value into what `maxBytes` and `write` take, once per value: jsonb's JSON text. */
  readonly encode?: (value: JsonValue) => JsonValue;
  /** At most this many bytes for the element's field, its length word included. */
  readonly maxBytes: (value: JsonValue) => number;
  readonly write: BinaryField;
}

const SECONDS_PER_DAY = 86_400;

/**
 * Whether rows of these columns are sent in the binary format. `real` is not: PostgreSQL rounds
 * a decimal text to the nearest float4, and rounding the double that `coerceValue` gives (a
 * rounded value already) can differ from that in the last bit. Nor is `json`, which COPY does not
 * load as `jsonb_to_recordset` does at all (`copiesExactly`).
 */
export function copiesInBinary(columns: readonly RowColumn[]): boolean {
  // The cluster time's column is carried as double precision, which has a codec.
  return columns.every((column) => codecOf(column.sql) !== undefined);
}

/** Writes rows of these columns (for which {@link copiesInBinary}) into a {@link BinaryCopyWriter}. */
export function binaryRowWriter(columns: readonly RowColumn[]): (row: Row, out: BinaryCopyWriter) => void {
  const names = columns.map((column) => column.name);
  const fields = columns.map((column): BinaryField => {
    // The cluster time is carried as whole seconds, and stored as a timestamp.
    if (column.name === CLUSTER_TIME_COLUMN) return (value, out) => out.timestamp(value as number);
    const codec = codecOf(column.sql);
    if (codec === undefined) throw new Error(`binaryRowWriter: no binary form for ${column.sql}`);
    const { element } = codec;
    if (codec.array) return arrayField(element);
    const encode = element.encode;
    return encode === undefined ? element.write : (value, out) => element.write(encode(value), out);
  });
  return (row, out) => {
    out.row(names.length);
    for (let index = 0; index < names.length; index += 1) {
      const value = row[names[index] as string];
      if (value === null || value === undefined) out.null();
      else (fields[index] as BinaryField)(value, out);
    }
  };
}

const codecs = new Map<string, { array: boolean; element: ElementCodec } | undefined>();

/** A column type's binary codec (of its elements, for an array type); undefined for the types sent as text. */
function codecOf(sql: string): { array: boolean; element: ElementCodec } | undefined {
  if (codecs.has(sql)) return codecs.get(sql);
  const type = parseColumnType(sql);
  const element = type === undefined ? undefined : elementCodec(type.family, type.sql);
  const codec = type === undefined || element === undefined ? undefined : { array: type.array, element };
  codecs.set(sql, codec);
  return codec;
}

/** The element OIDs of `pg_type` (src/include/catalog/pg_type.dat): an array's elements must name their column's. */
const OIDS = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, text: 25, float8: 701, bpchar: 1042, varchar: 1043, date: 1082, timestamp: 1114, timestamptz: 1184, numeric: 1700, uuid: 2950, jsonb: 3802 };

function fixedSize(oid: number, bytes: number, write: BinaryField): ElementCodec {
  return { oid, maxBytes: () => 4 + bytes, write };
}

function elementCodec(family: ColumnFamily, sql: string): ElementCodec | undefined {
  switch (family) {
    case "text": {
      const oid = sql.startsWith("varchar") ? OIDS.varchar : sql.startsWith("char") ? OIDS.bpchar : OIDS.text;
      return { oid, maxBytes: (value) => 4 + 3 * (value as string).length, write: (value, out) => out.text(value as string) };
    }
    case "smallint":
      return fixedSize(OIDS.int2, 2, (value, out) => out.int2(value as number));
    case "integer":
      return fixedSize(OIDS.int4, 4, (value, out) => out.int4(value as number));
    case "bigint":
      return fixedSize(OIDS.int8, 8, (value, out) => out.int8(value as string));
    case "double":
      // A number, or the text of one JSON has no number for: NaN, Infinity, -Infinity, -0.
      return fixedSize(OIDS.float8, 8, (value, out) => out.float8(typeof value === "number" ? value : Number(value)));
    case "boolean":
      return fixedSize(OIDS.bool, 1, (value, out) => out.bool(value as boolean));
    case "numeric":
      // Base-10000 digits: at most one per four decimal digits, and one more at either end.
      return { oid: OIDS.numeric, maxBytes: (value) => 12 + 2 * (Math.ceil((value as string).length / 4) + 2), write: (value, out) => out.numeric(value as string) };
    case "timestamptz":
    case "timestamp":
      return fixedSize(family === "timestamp" ? OIDS.timestamp : OIDS.timestamptz, 8, (value, out) => {
        const { days, seconds, micros } = dateTimeOf(value as string);
        out.timestamp(days * SECONDS_PER_DAY + seconds, micros);
      });
    case "date":
      return fixedSize(OIDS.date, 4, (value, out) => out.date(dateTimeOf(value as string).days));
    case "jsonb":
      return { oid: OIDS.jsonb, encode: (value) => JSON.stringify(value), maxBytes: (json) => 5 + 3 * (json as string).length, write: (json, out) => out.jsonb(json as string) };
    case "uuid":
      return fixedSize(OIDS.uuid, 16, (value, out) => out.hexBytes((value as string).replaceAll("-", "")));
    case "bytea":
      // `\x` and the bytes in hex.
      return { oid: OIDS.bytea, maxBytes: (value) => 4 + (value as string).length / 2, write: (value, out) => out.hexBytes((value as string).slice(2)) };
    case "real":
    case "json":
      return undefined;
  }
}

/** A one-dimensional array of the codec's elements, NULL elements included. */
function arrayField(element: ElementCodec): BinaryField {
  const encode = element.encode;
  return (value, out) => {
    const given = value as readonly JsonValue[];
    const elements = encode === undefined ? given : given.map((each) => (each === null ? null : encode(each)));
    let hasNull = false;
    let maxBytes = 0;
    for (let index = 0; index < elements.length; index += 1) {
      const each = elements[index] as JsonValue;
      if (each === null) {
        hasNull = true;
        maxBytes += 4;
      } else maxBytes += element.maxBytes(each);
    }
    out.array(element.oid, elements, hasNull, maxBytes, element.write);
  };
}

/**
 * The date and time of `coerceValue`'s text for a timestamp or a date: ISO-8601 in UTC
 * (`2024-02-29T12:34:56.789Z`, `2024-02-29`), with a year of four digits or more and ` BC` after
 * the years before 1. Days are counted from 1970-01-01 in the proleptic Gregorian calendar, as
 * PostgreSQL counts them (year 1 BC is year 0).
 */
function dateTimeOf(text: string): { days: number; seconds: number; micros: number } {
  const dash = text.indexOf("-", 4);
  let year = Number(text.slice(0, dash));
  if (text.endsWith(" BC")) year = 1 - year;
  const month = twoDigits(text, dash + 1);
  const day = twoDigits(text, dash + 4);
  const days = daysFromCivil(year, month, day);
  if (text.charCodeAt(dash + 6) !== 0x54 /* T */) return { days, seconds: 0, micros: 0 };
  const time = dash + 7;
  const seconds = twoDigits(text, time) * 3600 + twoDigits(text, time + 3) * 60 + twoDigits(text, time + 6);
  // toISOString writes milliseconds, three digits.
  const millis = Number(text.slice(time + 9, time + 12));
  return { days, seconds, micros: millis * 1000 };
}

function twoDigits(text: string, at: number): number {
  return (text.charCodeAt(at) - 0x30) * 10 + (text.charCodeAt(at + 1) - 0x30);
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
