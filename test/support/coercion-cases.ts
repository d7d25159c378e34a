// Values of every column family, as coerceValue converts them, with the text PostgreSQL prints
// for each once loaded: shared by the tests of the two ways rows are loaded (jsonb_to_recordset
// and COPY).

import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, UUID } from "mongodb";

export const OID = "65f1c0ffee00000000abcdef";
export const UUID_TEXT = "0f8fad5b-d9cb-469f-a165-70867728950e";

/** [label, value, column type, the column's value as PostgreSQL prints it] */
export type CoercionCase = [label: string, value: unknown, type: string, text: string | null];

export const COERCION_CASES: CoercionCase[] = [
  ["a string", "héllo \"quoted\" \\ back", "text", "héllo \"quoted\" \\ back"],
  ["an ObjectId", new ObjectId(OID), "text", OID],
  ["a Long as text", Long.fromString("9007199254740993"), "text", "9007199254740993"],
  ["a date as text", new Date("2024-02-29T12:34:56.789Z"), "text", "2024-02-29T12:34:56.789Z"],
  ["trailing spaces past varchar(3)", "abc  ", "varchar(3)", "abc"],
  ["a short string in char(3)", "ab", "char(3)", "ab"],
  ["an Int32", new Int32(-32768), "smallint", "-32768"],
  ["an integral Double", new Double(2_147_483_647), "integer", "2147483647"],
  ["a Long beyond 2^53", Long.fromString("9007199254740993"), "bigint", "9007199254740993"],
  ["the smallest bigint", Long.MIN_VALUE, "bigint", "-9223372036854775808"],
  ["an integral Decimal128", Decimal128.fromString("1.5E+3"), "bigint", "1500"],
  ["a Decimal128", Decimal128.fromString("1234567890.123456789012345678901234"), "numeric", "1234567890.123456789012345678901234"],
  ["a Decimal128 keeping its scale", Decimal128.fromString("1.50"), "numeric", "1.50"],
  ["a large Double", new Double(1e21), "numeric", "1000000000000000000000"],
  ["a small Double", new Double(1.5e-7), "numeric", "0.00000015"],
  ["the largest Decimal128", Decimal128.fromString("1E+6144"), "numeric", `1${"0".repeat(6144)}`],
  ["the smallest Decimal128", Decimal128.fromString("1E-6176"), "numeric", `0.${"0".repeat(6175)}1`],
  ["NaN", new Double(Number.NaN), "numeric", "NaN"],
  ["a value rounded by numeric(4,1)", 999.94, "numeric(4,1)", "999.9"],
  ["a Double", new Double(0.1), "real", "0.1"],
  ["the smallest real", 1e-45, "real", "1e-45"],
  ["Infinity", Number.POSITIVE_INFINITY, "real", "Infinity"],
  ["a Double", new Double(0.1), "double precision", "0.1"],
  ["the smallest double", Number.MIN_VALUE, "double precision", "5e-324"],
  ["-0", new Double(-0), "double precision", "-0"],
  ["-Infinity", new Double(Number.NEGATIVE_INFINITY), "double precision", "-Infinity"],
  ["a Long, rounded", Long.fromString("9007199254740993"), "double precision", "9.007199254740992e+15"],
  ["true", true, "boolean", "true"],
  ["false", false, "boolean", "false"],
  ["a date", new Date("2024-02-29T12:34:56.789Z"), "timestamptz", "2024-02-29 12:34:56.789+00"],
  ["a Timestamp", new Timestamp({ t: 1_700_000_000, i: 3 }), "timestamptz", "2023-11-14 22:13:20+00"],
  ["a date after 9999", new Date("+010000-01-01T00:00:00.000Z"), "timestamptz", "10000-01-01 00:00:00+00"],
  ["the last moment of year 9999", new Date("9999-12-31T23:59:59.999Z"), "timestamptz", "9999-12-31 23:59:59.999+00"],
  ["the first moment of year 1", new Date("0001-01-01T00:00:00.000Z"), "timestamptz", "0001-01-01 00:00:00+00"],
  ["the last moment of year 0 (1 BC)", new Date("0000-12-31T23:59:59.999Z"), "timestamptz", "0001-12-31 23:59:59.999+00 BC"],
  ["a date BC", new Date("-000043-03-15T12:00:00.000Z"), "timestamptz", "0044-03-15 12:00:00+00 BC"],
  ["the earliest date", new Date("-004713-11-24T00:00:00.000Z"), "timestamptz", "4714-11-24 00:00:00+00 BC"],
  ["the latest JavaScript date", new Date(8.64e15), "timestamptz", "275760-09-13 00:00:00+00"],
  ["a date", new Date("2024-02-29T12:34:56.789Z"), "timestamp", "2024-02-29 12:34:56.789"],
  ["year 0", new Date("0000-06-01T00:00:00.000Z"), "timestamp", "0001-06-01 00:00:00 BC"],
  ["a date", new Date("2024-02-29T23:59:59.999Z"), "date", "2024-02-29"],
  ["a date BC", new Date("-000043-03-15T12:00:00.000Z"), "date", "0044-03-15 BC"],
  ["a document", { b: [new Double(2), "x"], a: new Int32(1) }, "jsonb", '{"a": 1, "b": [{"$numberDouble": "2.0"}, "x"]}'],
  ["a string", "abc", "jsonb", '"abc"'],
  ["a Long", Long.fromString("9007199254740993"), "json", '{"$numberLong": "9007199254740993"}'],
  ["an array", [new Int32(1), "a"], "json", '[1, "a"]'],
  ["a UUID", new UUID(UUID_TEXT), "uuid", UUID_TEXT],
  ["an upper-case UUID string", UUID_TEXT.toUpperCase(), "uuid", UUID_TEXT],
  ["binary", new Binary(Buffer.from([0, 1, 255]), 0), "bytea", "\\x0001ff"],
  ["empty binary", new Binary(Buffer.alloc(0), 0), "bytea", "\\x"],
  ["strings", ["a", "b,c", null, 'd"e'], "text[]", '{a,"b,c",NULL,"d\\"e"}'],
  ["an empty array", [], "integer[]", "{}"],
  ["Longs", [Long.fromString("9007199254740993"), Long.MIN_VALUE], "bigint[]", "{9007199254740993,-9223372036854775808}"],
  ["Decimal128s", [Decimal128.fromString("1.50"), new Double(Number.NaN)], "numeric(4,2)[]", "{1.50,NaN}"],
  ["dates", [new Date(0)], "timestamptz[]", "{\"1970-01-01 00:00:00+00\"}"],
  ["documents", [{ a: new Int32(1) }, "x"], "jsonb[]", '{"{\\"a\\": 1}","\\"x\\""}'],
  ["UUIDs", [new UUID(UUID_TEXT)], "uuid[]", `{${UUID_TEXT}}`],
  ["binaries", [new Binary(Buffer.from([0xab]), 0)], "bytea[]", '{"\\\\xab"}'],
  ["short strings", ["ab"], "varchar(3)[]", "{ab}"],
  ["null", null, "integer", null],
];
