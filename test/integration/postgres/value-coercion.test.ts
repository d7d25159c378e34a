// Proves that the JSON values coerceValue produces load through jsonb_to_recordset into columns of
// each type, as PostgreSQL reads them, and that what it rejects PostgreSQL would refuse too.

import { Binary, Decimal128, Double, Int32, Long, Timestamp } from "mongodb";
import { beforeAll, describe, expect, it } from "vitest";
import type { JsonValue } from "../../../src/codec/document-codec.js";
import { parseColumnType, type ColumnType } from "../../../src/sinks/postgres/mapping/column-type.js";
import { coerceValue } from "../../../src/sinks/postgres/mapping/value-coercion.js";
import { COERCION_CASES, UUID_TEXT } from "../../support/coercion-cases.js";
import { query } from "../../support/postgres-sink-fixture.js";
import { postgresUrlInUtc } from "../../support/requirements.js";


/** The shared database, with sessions in UTC so timestamptz text does not depend on the server. */
let url: string;

beforeAll(() => {
  url = postgresUrlInUtc();
});

function type(text: string): ColumnType {
  const parsed = parseColumnType(text);
  if (parsed === undefined) throw new Error(`not a column type: ${text}`);
  return parsed;
}

function coerced(value: unknown, columnType: ColumnType): JsonValue {
  const result = coerceValue(value, columnType);
  if (!result.ok) throw new Error(`coerceValue rejected the value: ${result.reason}`);
  return result.value;
}

/** The text PostgreSQL gives for each column of one row loaded from `rows`. */
async function load(columns: readonly string[], rows: readonly Record<string, JsonValue>[]): Promise<Record<string, string | null>[]> {
  const list = columns.map((sql, i) => `c${i} ${sql}`).join(", ");
  const select = columns.map((_, i) => `(r.c${i})::text AS c${i}`).join(", ");
  return query(url, `SELECT ${select} FROM jsonb_to_recordset($1::jsonb) AS r(${list})`, [JSON.stringify(rows)]);
}

describe("coerceValue with jsonb_to_recordset", () => {
  const named = COERCION_CASES.map(([label, value, sql, text]) => ({ label, value, sql, text }));

  it.each(named)("loads $label into $sql", async ({ value, sql, text }) => {
    const columnType = type(sql);
    expect(await load([columnType.sql], [{ c0: coerced(value, columnType) }])).toEqual([{ c0: text }]);
  });

  it("loads a row with a column of every family, and a row of NULLs, in one recordset", async () => {
    const columns = ["text", "smallint", "integer", "bigint", "numeric(10,2)", "real", "double precision", "boolean"]
      .concat(["timestamptz", "timestamp", "date", "jsonb", "json", "uuid", "bytea", "text[]"])
      .map(type);
    const values = [
      "x",
      new Int32(1),
      new Int32(2),
      Long.fromString("9007199254740993"),
      Decimal128.fromString("12345678.90"),
      new Double(1.5),
      new Double(2.5),
      true,
      new Date("2024-01-02T03:04:05.006Z"),
      new Timestamp({ t: 0, i: 1 }),
      new Date("2024-01-02T03:04:05.006Z"),
      { k: [true] },
      [],
      UUID_TEXT,
      new Binary(Buffer.from("hi"), 0),
      ["y"],
    ];
    const full: Record<string, JsonValue> = {};
    const empty: Record<string, JsonValue> = {};
    columns.forEach((column, i) => {
      full[`c${i}`] = coerced(values[i], column);
      empty[`c${i}`] = coerced(undefined, column);
    });
    const expected = ["x", "1", "2", "9007199254740993", "12345678.90", "1.5", "2.5", "true"]
      .concat(["2024-01-02 03:04:05.006+00", "1970-01-01 00:00:00", "2024-01-02", '{"k": [true]}', "[]", UUID_TEXT, "\\x6869", "{y}"]);
    expect(await load(columns.map((column) => column.sql), [full, empty])).toEqual([
      Object.fromEntries(expected.map((text, i) => [`c${i}`, text])),
      Object.fromEntries(expected.map((_, i) => [`c${i}`, null])),
    ]);
  });

  // What PostgreSQL would do with the value coerceValue refuses: fail the whole recordset, so the
  // value must be rejected (and dead-lettered) before it is sent.
  it.each<[label: string, value: unknown, type: string, sent: JsonValue, error: string]>([
    ["a string longer than varchar(3)", "abcd", "varchar(3)", "abcd", "value too long for type character varying(3)"],
    ["a string longer than char(3)", "abcd", "char(3)", "abcd", "value too long for type character(3)"],
    ["an Int32 beyond smallint", new Int32(40000), "smallint", 40000, 'value "40000" is out of range for type smallint'],
    ["a Long beyond integer", Long.MAX_VALUE, "integer", "9223372036854775807", 'value "9223372036854775807" is out of range for type integer'],
    ["a fraction in integer", new Double(2.5), "integer", 2.5, 'invalid input syntax for type integer: "2.5"'],
    ["a value that rounds out of numeric(4,1)", 999.95, "numeric(4,1)", "999.95", "numeric field overflow"],
    ["a Double beyond real", new Double(1e300), "real", 1e300, "is out of range for type real"],
    ["a Double that underflows real", new Double(1e-50), "real", 1e-50, "is out of range for type real"],
    ["a date before 4714-11-24 BC", new Date("-004713-11-23T23:59:59.999Z"), "timestamptz", "4714-11-23T23:59:59.999Z BC", "timestamp out of range"],
    ["a string in integer", "abc", "integer", "abc", 'invalid input syntax for type integer: "abc"'],
    ["a string in uuid", "abc", "uuid", "abc", 'invalid input syntax for type uuid: "abc"'],
    ["a NUL character in jsonb", { a: "x\u0000" }, "jsonb", { a: "x\u0000" }, "unsupported Unicode escape sequence"],
    ["a NUL character in text", "x\u0000", "text", "x\u0000", "unsupported Unicode escape sequence"],
  ])("rejects %s, which PostgreSQL refuses", async (_label, value, sql, sent, error) => {
    const columnType = type(sql);
    expect(coerceValue(value, columnType).ok).toBe(false);
    await expect(load([columnType.sql], [{ c0: sent }])).rejects.toThrow(error);
  });

  it("writes years past 9999 in the form PostgreSQL reads, not in toISOString's", async () => {
    const date = new Date("+010000-01-01T00:00:00.000Z");
    expect(coerceValue(date, type("timestamptz"))).toEqual({ ok: true, value: "10000-01-01T00:00:00.000Z" });
    await expect(load(["timestamptz"], [{ c0: date.toISOString() }])).rejects.toThrow("time zone displacement out of range");
  });
});
