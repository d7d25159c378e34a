import {
  Binary,
  BSONRegExp,
  BSONSymbol,
  Code,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
} from "mongodb";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../../../../src/codec/document-codec.js";
import { parseColumnType, type ColumnType } from "../../../../../src/sinks/postgres/mapping/column-type.js";
import { coerceValue } from "../../../../../src/sinks/postgres/mapping/value-coercion.js";

const OID = "65f1c0ffee00000000abcdef";
const UUID_TEXT = "0f8fad5b-d9cb-469f-a165-70867728950e";

function type(text: string): ColumnType {
  const parsed = parseColumnType(text);
  if (parsed === undefined) throw new Error(`not a column type: ${text}`);
  return parsed;
}

type Accepted = [label: string, value: unknown, type: string, expected: JsonValue];
type Rejected = [label: string, value: unknown, type: string, reason: string];

function expectAccepted([, value, sql, expected]: Accepted): void {
  expect(coerceValue(value, type(sql))).toEqual({ ok: true, value: expected });
}

function expectRejected([, value, sql, reason]: Rejected): void {
  expect(coerceValue(value, type(sql))).toEqual({ ok: false, reason });
}

describe("coerceValue", () => {
  it.each(["text", "integer", "bigint", "numeric", "double precision", "boolean", "timestamptz", "date", "jsonb", "uuid", "bytea", "text[]"])(
    "gives NULL for null and a missing field in %s",
    (sql) => {
      expect(coerceValue(null, type(sql))).toEqual({ ok: true, value: null });
      expect(coerceValue(undefined, type(sql))).toEqual({ ok: true, value: null });
    },
  );

  describe("text", () => {
    it.each<Accepted>([
      ["a string", "héllo", "text", "héllo"],
      ["an empty string", "", "text", ""],
      ["an ObjectId", new ObjectId(OID), "text", OID],
      ["an Int32", new Int32(42), "text", "42"],
      ["a Double", new Double(2.5), "text", "2.5"],
      ["an integral Double", new Double(5), "text", "5"],
      ["a large Double", new Double(1e21), "text", "1e+21"],
      ["a Double NaN", new Double(Number.NaN), "text", "NaN"],
      ["a Long", Long.fromString("9007199254740993"), "text", "9007199254740993"],
      ["a Decimal128", Decimal128.fromString("1.50"), "text", "1.50"],
      ["a number", 0.1, "text", "0.1"],
      ["a bigint", -9007199254740993n, "text", "-9007199254740993"],
      ["true", true, "text", "true"],
      ["false", false, "text", "false"],
      ["a date", new Date("2024-02-29T12:34:56.789Z"), "text", "2024-02-29T12:34:56.789Z"],
      ["a UUID", new UUID(UUID_TEXT), "text", UUID_TEXT],
      ["a UUID as Binary", new UUID(UUID_TEXT).toBinary(), "text", UUID_TEXT],
      ["other binary", new Binary(Buffer.from([0, 1, 255]), 0), "text", '{"$binary":{"base64":"AAH/","subType":"00"}}'],
      ["a Timestamp", new Timestamp({ t: 1_700_000_000, i: 3 }), "text", '{"$timestamp":{"t":1700000000,"i":3}}'],
      ["a regular expression", new BSONRegExp("^a.c$", "mi"), "text", '{"$regularExpression":{"pattern":"^a.c$","options":"im"}}'],
      ["MinKey", new MinKey(), "text", '{"$minKey":1}'],
      ["MaxKey", new MaxKey(), "text", '{"$maxKey":1}'],
      ["a symbol", new BSONSymbol("sym"), "text", '{"$symbol":"sym"}'],
      ["code", new Code("x = 1"), "text", '{"$code":"x = 1"}'],
      ["a string that fits varchar(3)", "abc", "varchar(3)", "abc"],
      ["a string with only spaces past varchar(3)", "abc  ", "varchar(3)", "abc  "],
      ["astral characters counted as one each", "😀😀😀", "varchar(3)", "😀😀😀"],
      ["a short string in char(3)", "ab", "char(3)", "ab"],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a document", { a: 1 }, "text", "a document where text was mapped"],
      ["an array", ["a"], "text", "an array where text was mapped"],
      ["an array in varchar", [], "varchar(10)", "an array where varchar(10) was mapped"],
      ["a NUL character", "a\u0000b", "text", "the text contains a NUL character (\\u0000), which PostgreSQL cannot store in text"],
      ["a string too long", "abcd", "varchar(3)", 'the text "abcd" has 4 characters, more than varchar(3) allows'],
      ["a string too long for char", "abcd", "char(3)", 'the text "abcd" has 4 characters, more than char(3) allows'],
      ["an ObjectId too long", new ObjectId(OID), "varchar(20)", `the text "${OID}" has 24 characters, more than varchar(20) allows`],
      ["an invalid date", new Date(Number.NaN), "text", "an invalid date (its time value is NaN) cannot be stored in text"],
      ["a function", () => 1, "text", "a function is not a BSON value"],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("smallint, integer, bigint", () => {
    it.each<Accepted>([
      ["an Int32", new Int32(42), "integer", 42],
      ["a negative Int32", new Int32(-2_147_483_648), "integer", -2_147_483_648],
      ["an integral Double", new Double(7), "integer", 7],
      ["-0", new Double(-0), "integer", 0],
      ["a Long in range", Long.fromNumber(2_147_483_647), "integer", 2_147_483_647],
      ["an integral Decimal128", Decimal128.fromString("12.000"), "integer", 12],
      ["a Decimal128 with an exponent", Decimal128.fromString("1.5E+3"), "integer", 1500],
      ["a number", 300, "smallint", 300],
      ["the smallest smallint", -32768, "smallint", -32768],
      ["a bigint", 5n, "smallint", 5],
      ["a Long beyond 2^53", Long.fromString("9007199254740993"), "bigint", "9007199254740993"],
      ["the largest bigint", Long.MAX_VALUE, "bigint", "9223372036854775807"],
      ["the smallest bigint", Long.MIN_VALUE, "bigint", "-9223372036854775808"],
      ["an Int32 in bigint", new Int32(1), "bigint", "1"],
      ["a whole Decimal128 written with a point", Decimal128.fromString("5.0"), "bigint", "5"],
      ["a Decimal128 in bigint", Decimal128.fromString("-9223372036854775808"), "bigint", "-9223372036854775808"],
      ["a bigint in bigint", 9007199254740993n, "bigint", "9007199254740993"],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a string", "abc", "integer", 'a string ("abc") where integer was mapped'],
      ["a numeric string", "42", "integer", 'a string ("42") where integer was mapped'],
      ["a boolean", true, "integer", "a boolean (true) where integer was mapped"],
      ["a date", new Date("2024-01-01T00:00:00.000Z"), "bigint", "a date (2024-01-01T00:00:00.000Z) where bigint was mapped"],
      ["a document", { a: 1 }, "integer", "a document where integer was mapped"],
      ["an array", [1], "integer", "an array where integer was mapped"],
      ["an ObjectId", new ObjectId(OID), "bigint", `an ObjectId (${OID}) where bigint was mapped`],
      ["a Long beyond integer", Long.MAX_VALUE, "integer", "9223372036854775807 is out of range for integer"],
      ["an Int32 beyond smallint", new Int32(40000), "smallint", "40000 is out of range for smallint"],
      ["a Double beyond bigint", new Double(2 ** 63), "bigint", "9223372036854776000 is out of range for bigint"],
      ["a huge Decimal128", Decimal128.fromString("1E+6144"), "bigint", "1.000000000000000000000000000000000E+6144 is out of range for bigint"],
      ["a bigint beyond bigint", 2n ** 63n, "bigint", "9223372036854775808 is out of range for bigint"],
      ["a fraction", new Double(2.5), "integer", "2.5 is not a whole number (integer)"],
      ["a fractional Decimal128", Decimal128.fromString("1.01"), "bigint", "1.01 is not a whole number (bigint)"],
      ["NaN", new Double(Number.NaN), "integer", "NaN is not a whole number (integer)"],
      ["Infinity", Number.POSITIVE_INFINITY, "integer", "Infinity is out of range for integer"],
      ["-Infinity", Decimal128.fromString("-Infinity"), "bigint", "-Infinity is out of range for bigint"],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("numeric", () => {
    it.each<Accepted>([
      ["an Int32", new Int32(-7), "numeric", "-7"],
      ["a Double", new Double(0.1), "numeric", "0.1"],
      ["a large Double in plain notation", new Double(1e21), "numeric", "1000000000000000000000"],
      ["a small Double in plain notation", new Double(1.5e-7), "numeric", "0.00000015"],
      ["NaN", new Double(Number.NaN), "numeric", "NaN"],
      ["-0", new Double(-0), "numeric", "0"],
      ["a Long", Long.fromString("-9007199254740993"), "numeric", "-9007199254740993"],
      ["a Decimal128, keeping its scale", Decimal128.fromString("1.50"), "numeric", "1.50"],
      ["a Decimal128 with a positive exponent", Decimal128.fromString("1.50E+3"), "numeric", "1500"],
      ["a Decimal128 with a negative exponent", Decimal128.fromString("-12E-5"), "numeric", "-0.00012"],
      ["a zero Decimal128 with a scale", Decimal128.fromString("0E-3"), "numeric", "0.000"],
      ["a negative zero Decimal128 with a scale", Decimal128.fromString("-0.00"), "numeric", "0.00"],
      ["34 digits", Decimal128.fromString("1234567890.123456789012345678901234"), "numeric", "1234567890.123456789012345678901234"],
      ["a bigint", 2n ** 64n, "numeric", "18446744073709551616"],
      ["a number that fits numeric(4,1)", 999.94, "numeric(4,1)", "999.94"],
      ["a number that rounds into numeric(4,1)", -999.949, "numeric(4,1)", "-999.949"],
      ["an integer in numeric(3)", 999, "numeric(3)", "999"],
      ["NaN in numeric(4,1)", Number.NaN, "numeric(4,1)", "NaN"],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a string", "1.5", "numeric", 'a string ("1.5") where numeric was mapped'],
      ["a boolean", false, "numeric", "a boolean (false) where numeric was mapped"],
      ["Infinity", new Double(Number.POSITIVE_INFINITY), "numeric", "Infinity is out of range for numeric"],
      ["-Infinity", Decimal128.fromString("-Infinity"), "numeric", "-Infinity is out of range for numeric"],
      ["a number that rounds out of numeric(4,1)", 999.95, "numeric(4,1)", "999.95 is out of range for numeric(4,1)"],
      ["a number too large for numeric(3)", 1000, "numeric(3)", "1000 is out of range for numeric(3)"],
      ["a Long too large for numeric(10,2)", Long.fromString("123456789012"), "numeric(10,2)", "123456789012 is out of range for numeric(10,2)"],
      ["a number with more digits than numeric holds", 10n ** 131_072n, "numeric", "10000000000000000000… (131073 characters) is out of range for numeric (at most 131072 digits before the point and 16383 after)"],
    ])("rejects %s", (...row) => expectRejected(row));

    it("accepts the most digits numeric holds, before the point and after", () => {
      const whole = 10n ** 131_071n;
      expect(coerceValue(whole, parseColumnType("numeric") as ColumnType)).toEqual({ ok: true, value: whole.toString() });
      expect(coerceValue(-whole, parseColumnType("numeric") as ColumnType)).toEqual({ ok: true, value: `-${whole}` });
      // Digits after the point come only from a string cast leniently.
      const lenient: ColumnType = { ...(parseColumnType("numeric") as ColumnType), cast: "lenient" };
      expect(coerceValue("1e-16383", lenient)).toEqual({ ok: true, value: `0.${"0".repeat(16_382)}1` });
      expect(coerceValue("1e-16384", lenient)).toEqual({ ok: false, reason: "1e-16384 is out of range for numeric (at most 131072 digits before the point and 16383 after)" });
    });
  });

  describe("real, double precision", () => {
    it.each<Accepted>([
      ["an Int32", new Int32(3), "double precision", 3],
      ["a Double", new Double(0.1), "double precision", 0.1],
      ["a number", 1.5, "real", 1.5],
      ["the smallest double", Number.MIN_VALUE, "double precision", Number.MIN_VALUE],
      ["NaN", new Double(Number.NaN), "double precision", "NaN"],
      ["Infinity", new Double(Number.POSITIVE_INFINITY), "real", "Infinity"],
      ["-Infinity", Number.NEGATIVE_INFINITY, "double precision", "-Infinity"],
      ["-0", new Double(-0), "double precision", "-0"],
      ["a Long, rounded", Long.fromString("9007199254740993"), "double precision", 9007199254740992],
      ["a Decimal128, rounded", Decimal128.fromString("1.50"), "double precision", 1.5],
      ["a Decimal128 NaN", Decimal128.fromString("NaN"), "double precision", "NaN"],
      ["a bigint, rounded", 2n ** 64n + 1n, "real", 18446744073709552000],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a string", "1.5", "double precision", 'a string ("1.5") where double precision was mapped'],
      ["a date", new Date(0), "real", "a date (1970-01-01T00:00:00.000Z) where real was mapped"],
      ["a Double beyond real", new Double(1e300), "real", "1e+300 is out of range for real"],
      ["a Double that underflows real", new Double(1e-50), "real", "1e-50 is out of range for real"],
      ["a Decimal128 beyond double", Decimal128.fromString("1E+400"), "double precision", "1E+400 is out of range for double precision"],
      ["a Decimal128 that underflows double", Decimal128.fromString("1E-400"), "double precision", "1E-400 is out of range for double precision"],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("boolean", () => {
    it.each<Accepted>([
      ["true", true, "boolean", true],
      ["false", false, "boolean", false],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a string", "true", "boolean", 'a string ("true") where boolean was mapped'],
      ["a number", new Int32(1), "boolean", "a number (1) where boolean was mapped"],
      ["a document", {}, "boolean", "a document where boolean was mapped"],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("timestamptz, timestamp, date", () => {
    const date = new Date("2024-02-29T12:34:56.789Z");
    it.each<Accepted>([
      ["a date", date, "timestamptz", "2024-02-29T12:34:56.789Z"],
      ["a date in timestamp", date, "timestamp", "2024-02-29T12:34:56.789Z"],
      ["a date in date", date, "date", "2024-02-29"],
      ["a Timestamp", new Timestamp({ t: 1_700_000_000, i: 3 }), "timestamptz", "2023-11-14T22:13:20.000Z"],
      ["a Timestamp in date", new Timestamp({ t: 1_700_000_000, i: 3 }), "date", "2023-11-14"],
      ["a date before 1970", new Date("1969-07-20T20:17:40.000Z"), "timestamptz", "1969-07-20T20:17:40.000Z"],
      ["a date after 9999", new Date("+010000-01-01T00:00:00.000Z"), "timestamptz", "10000-01-01T00:00:00.000Z"],
      ["the latest date", new Date(8.64e15), "date", "275760-09-13"],
      ["year 0, which is 1 BC", new Date("0000-06-01T00:00:00.000Z"), "timestamp", "0001-06-01T00:00:00.000Z BC"],
      ["a date BC", new Date("-000043-03-15T12:00:00.000Z"), "timestamptz", "0044-03-15T12:00:00.000Z BC"],
      ["a date BC in date", new Date("-000043-03-15T12:00:00.000Z"), "date", "0044-03-15 BC"],
      ["the earliest date", new Date("-004713-11-24T00:00:00.000Z"), "timestamptz", "4714-11-24T00:00:00.000Z BC"],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["an ISO string", "2024-02-29T12:34:56.789Z", "timestamptz", 'a string ("2024-02-29T12:34:56.789Z") where timestamptz was mapped'],
      ["a number", 1_700_000_000_000, "timestamp", "a number (1700000000000) where timestamp was mapped"],
      ["an ObjectId", new ObjectId(OID), "date", `an ObjectId (${OID}) where date was mapped`],
      ["an invalid date", new Date("nope"), "timestamptz", "an invalid date (its time value is NaN) cannot be stored in timestamptz"],
      [
        "a date before 4714-11-24 BC",
        new Date("-004713-11-23T23:59:59.999Z"),
        "timestamptz",
        "a date (-004713-11-23T23:59:59.999Z) is out of range for timestamptz (earliest 4714-11-24 BC)",
      ],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("jsonb, json", () => {
    it.each<Accepted>([
      ["a document", { a: new Int32(1), b: [new Double(2), "x"] }, "jsonb", { a: 1, b: [{ $numberDouble: "2.0" }, "x"] }],
      ["an array", [1, "a"], "jsonb", [1, "a"]],
      ["a string", "abc", "jsonb", "abc"],
      ["a Long", Long.fromString("9007199254740993"), "json", { $numberLong: "9007199254740993" }],
      ["an ObjectId", new ObjectId(OID), "json", { $oid: OID }],
      ["a date", new Date("2024-02-29T12:34:56.789Z"), "jsonb", { $date: "2024-02-29T12:34:56.789Z" }],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a NUL character in a string", { a: "x\u0000" }, "jsonb", "the value contains a NUL character (\\u0000), which PostgreSQL cannot store in jsonb"],
      ["a NUL character in a field name", { "a\u0000": 1 }, "json", "the value contains a NUL character (\\u0000), which PostgreSQL cannot store in json"],
      ["an invalid date", new Date(Number.NaN), "jsonb", "an invalid date (its time value is NaN) cannot be stored in jsonb"],
    ])("rejects %s", (...row) => expectRejected(row));

    it("rejects a document holding a value that is not BSON, saying where", () => {
      const result = coerceValue({ a: { b: new Date(Number.NaN) } }, type("jsonb"));
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toContain('the value cannot be encoded as JSON: Document: field "a.b" cannot be encoded: the date is invalid');
    });
  });

  describe("uuid", () => {
    it.each<Accepted>([
      ["a UUID", new UUID(UUID_TEXT), "uuid", UUID_TEXT],
      ["Binary subtype 4", new Binary(Buffer.from(UUID_TEXT.replaceAll("-", ""), "hex"), 4), "uuid", UUID_TEXT],
      ["a UUID string", UUID_TEXT, "uuid", UUID_TEXT],
      ["an upper-case UUID string", UUID_TEXT.toUpperCase(), "uuid", UUID_TEXT],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a string without hyphens", UUID_TEXT.replaceAll("-", ""), "uuid", 'a string ("0f8fad5bd9cb469fa16570867728950e") where uuid was mapped'],
      ["a string in braces", `{${UUID_TEXT}}`, "uuid", `a string ("{${UUID_TEXT}}") where uuid was mapped`],
      ["binary subtype 3", new Binary(Buffer.alloc(16), 3), "uuid", "binary data (subtype 3, 16 bytes) where uuid was mapped"],
      ["binary subtype 4 of 15 bytes", new Binary(Buffer.alloc(15), 4), "uuid", "binary data (subtype 4, 15 bytes) where uuid was mapped"],
      ["an ObjectId", new ObjectId(OID), "uuid", `an ObjectId (${OID}) where uuid was mapped`],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("bytea", () => {
    it.each<Accepted>([
      ["binary", new Binary(Buffer.from([0, 1, 255]), 0), "bytea", "\\x0001ff"],
      ["binary of another subtype", new Binary(Buffer.from([0xab]), 0x80), "bytea", "\\xab"],
      ["empty binary", new Binary(Buffer.alloc(0), 0), "bytea", "\\x"],
      ["a UUID", new UUID(UUID_TEXT), "bytea", "\\x0f8fad5bd9cb469fa16570867728950e"],
      ["a Buffer", Buffer.from([1, 2]), "bytea", "\\x0102"],
      ["a Uint8Array view", new Uint8Array([9, 8, 7, 6]).subarray(1, 3), "bytea", "\\x0807"],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a string", "\\x00", "bytea", 'a string ("\\\\x00") where bytea was mapped'],
      ["an array of bytes", [1, 2], "bytea", "an array where bytea was mapped"],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("arrays", () => {
    it.each<Accepted>([
      ["strings", ["a", "b,c", null, undefined], "text[]", ["a", "b,c", null, null]],
      ["an empty array", [], "integer[]", []],
      ["numbers", [new Int32(1), new Double(2), Long.fromNumber(3)], "integer[]", [1, 2, 3]],
      ["Longs", [Long.fromString("9007199254740993")], "bigint[]", ["9007199254740993"]],
      ["documents", [{ a: 1 }, "x"], "jsonb[]", [{ a: 1 }, "x"]],
      ["dates", [new Date(0)], "timestamptz[]", ["1970-01-01T00:00:00.000Z"]],
      ["UUIDs", [new UUID(UUID_TEXT)], "uuid[]", [UUID_TEXT]],
    ])("accepts %s", (...row) => expectAccepted(row));

    it.each<Rejected>([
      ["a scalar", "a", "text[]", 'a string ("a") where text[] was mapped'],
      ["a document", { a: 1 }, "integer[]", "a document where integer[] was mapped"],
      ["a bad element", [new Int32(1), "x"], "integer[]", 'element 1: a string ("x") where integer was mapped'],
      ["an element out of range", [Long.MAX_VALUE], "integer[]", "element 0: 9223372036854775807 is out of range for integer"],
      ["a document element", ["a", { b: 1 }], "text[]", "element 1: a document where text was mapped"],
      ["an element too long", ["abcd"], "varchar(3)[]", 'element 0: the text "abcd" has 4 characters, more than varchar(3) allows'],
      ["nested arrays", [[1], [2]], "integer[]", "element 0: an array inside the array, where integer[] (one dimension) was mapped"],
      ["nested arrays in jsonb[]", [{}, [1]], "jsonb[]", "element 1: an array inside the array, where jsonb[] (one dimension) was mapped"],
    ])("rejects %s", (...row) => expectRejected(row));
  });

  describe("reasons", () => {
    it("cuts long strings to 40 characters", () => {
      expect(coerceValue("x".repeat(100), type("integer"))).toEqual({
        ok: false,
        reason: `a string ("${"x".repeat(40)}...") where integer was mapped`,
      });
    });

    it("escapes control characters in strings", () => {
      expect(coerceValue("a\u0000\n", type("bigint"))).toEqual({ ok: false, reason: 'a string ("a\\u0000\\n") where bigint was mapped' });
    });

    it.each<Rejected>([
      ["a Timestamp", new Timestamp({ t: 5, i: 1 }), "integer", "a BSON timestamp (t=5, i=1) where integer was mapped"],
      ["a regular expression", new BSONRegExp("a+", "i"), "boolean", 'a regular expression ("/a+/i") where boolean was mapped'],
      ["a JavaScript RegExp", /a+/g, "uuid", 'a regular expression ("/a+/g") where uuid was mapped'],
      ["MinKey", new MinKey(), "date", "a MinKey where date was mapped"],
      ["a symbol", new BSONSymbol("s"), "numeric", 'a symbol ("s") where numeric was mapped'],
      ["code", new Code("f()"), "bytea", "JavaScript code where bytea was mapped"],
      ["a Decimal128", Decimal128.fromString("1.50"), "uuid", "a number (1.50) where uuid was mapped"],
      ["a UUID", new UUID(UUID_TEXT), "integer", `a UUID (${UUID_TEXT}) where integer was mapped`],
      ["a JavaScript symbol", Symbol("s"), "jsonb", "a symbol is not a BSON value"],
    ])("describe %s", (...row) => expectRejected(row));
  });
});
