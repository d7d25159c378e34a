import {
  BSON,
  Binary,
  BSONRegExp,
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
import { keyText } from "../../../src/codec/key-text.js";

const OID = "65f1c0ffee00000000abcdef";

describe("keyText", () => {
  it.each<[string, unknown, string]>([
    ["ObjectId", new ObjectId(OID), OID],
    ["ObjectId from upper-case hex", ObjectId.createFromHexString(OID.toUpperCase()), OID],
    ["Int32", new Int32(5), "5"],
    ["negative Int32", new Int32(-12), "-12"],
    ["Long beyond 2^53", Long.fromString("9007199254740993"), "9007199254740993"],
    ["Long min", Long.fromString("-9223372036854775808"), "-9223372036854775808"],
    ["unsigned Long", Long.fromString("18446744073709551615", true), "-1"],
    ["integral Double", new Double(5), "5"],
    ["Double -0", new Double(-0), "0"],
    ["non-integral Double", new Double(1.5), "1.5"],
    ["Double 0.1", new Double(0.1), "0.1"],
    ["tiny Double", new Double(1e-7), "1e-7"],
    ["Double 2^53", new Double(2 ** 53), "9007199254740992"],
    ["Double 1e21", new Double(1e21), "1000000000000000000000"],
    ["Double with 24 digits", new Double(2e23), "+199999999999999983222784"],
    ["Decimal128 with 24 digits", Decimal128.fromString("199999999999999983222784"), "+199999999999999983222784"],
    ["Double NaN", new Double(Number.NaN), "NaN"],
    ["Double Infinity", new Double(Infinity), "Infinity"],
    ["Double -Infinity", new Double(-Infinity), "-Infinity"],
    ["plain number", 5, "5"],
    ["plain non-integral number", -2.25, "-2.25"],
    ["bigint", 9007199254740993n, "9007199254740993"],
    ["Decimal128 5.00", Decimal128.fromString("5.00"), "5"],
    ["Decimal128 -5", Decimal128.fromString("-5"), "-5"],
    ["Decimal128 1E+3", Decimal128.fromString("1E+3"), "1000"],
    ["Decimal128 12.50E+1", Decimal128.fromString("12.50E+1"), "125"],
    ["Decimal128 -0.00", Decimal128.fromString("-0.00"), "0"],
    ["Decimal128 1.50", Decimal128.fromString("1.50"), "1.5"],
    ["Decimal128 0.1", Decimal128.fromString("0.1"), '{"$numberDecimal":"0.1"}'],
    ["Decimal128 0.10", Decimal128.fromString("0.10"), '{"$numberDecimal":"0.1"}'],
    ["Decimal128 -1.230E-9", Decimal128.fromString("-1.230E-9"), '{"$numberDecimal":"-1.23E-9"}'],
    ["Decimal128 1E+400", Decimal128.fromString("1E+400"), '{"$numberDecimal":"1E+400"}'],
    ["Decimal128 NaN", Decimal128.fromString("NaN"), "NaN"],
    ["Decimal128 -Infinity", Decimal128.fromString("-Infinity"), "-Infinity"],
    ["string", "alice", "alice"],
    ["string with spaces", "order 42", "order 42"],
    ["upper-case hex string", OID.toUpperCase(), OID.toUpperCase()],
    ["string of 23 hex digits", OID.slice(1), OID.slice(1)],
    ["empty string", "", '""'],
    ["hex string", OID, `"${OID}"`],
    ["digit string", "5", '"5"'],
    ["negative number string", "-12", '"-12"'],
    ["decimal string", "1.5", '"1.5"'],
    ["exponent string", "1e-7", '"1e-7"'],
    ["plus-signed digits", "+200000000000000000000000", '"+200000000000000000000000"'],
    ["NaN string", "NaN", '"NaN"'],
    ["Infinity string", "Infinity", '"Infinity"'],
    ["-Infinity string", "-Infinity", '"-Infinity"'],
    ["true string", "true", '"true"'],
    ["false string", "false", '"false"'],
    ["null string", "null", '"null"'],
    ["string starting with {", '{"$oid":"x"}', '"{\\"$oid\\":\\"x\\"}"'],
    ["string starting with [", "[1]", '"[1]"'],
    ["string starting with a quote", '"q"', '"\\"q\\""'],
    ["string with NUL", "a\u0000b", '"a\\u0000b"'],
    ["true", true, "true"],
    ["false", false, "false"],
    ["null", null, "null"],
    ["Date", new Date("2024-05-01T00:00:00Z"), '{"$date":"2024-05-01T00:00:00.000Z"}'],
    ["Date before 1970", new Date(-1000), '{"$date":{"$numberLong":"-1000"}}'],
    ["UUID", new UUID("0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44"), '{"$binary":{"base64":"Dox6HJ07S46POitvGp58RA==","subType":"04"}}'],
    ["Binary", new Binary(Buffer.from([1, 2]), 0), '{"$binary":{"base64":"AQI=","subType":"00"}}'],
    ["Timestamp", new Timestamp({ t: 1, i: 2 }), '{"$timestamp":{"t":1,"i":2}}'],
    ["MinKey", new MinKey(), '{"$minKey":1}'],
    ["MaxKey", new MaxKey(), '{"$maxKey":1}'],
    ["regular expression", new BSONRegExp("a", "i"), '{"$regularExpression":{"pattern":"a","options":"i"}}'],
    [
      "compound document",
      { region: "eu", n: new Int32(7), at: new Long(1, 0) },
      '{"region":"eu","n":7,"at":{"$numberLong":"1"}}',
    ],
    ["document with a NUL", { s: "\u0000" }, '{"s":"\\u0000"}'],
    ["array", [new Int32(1), "a"], '[1,"a"]'],
  ])("%s", (_name, id, expected) => {
    expect(keyText(id)).toBe(expected);
  });

  it("gives numerically equal numbers of every type the same text", () => {
    const fives = [
      new Int32(5),
      Long.fromNumber(5),
      new Double(5),
      5,
      5n,
      Decimal128.fromString("5"),
      Decimal128.fromString("5.000"),
      Decimal128.fromString("0.5E+1"),
    ];
    expect(new Set(fives.map(keyText))).toStrictEqual(new Set(["5"]));
    const halves = [new Double(2.5), 2.5, Decimal128.fromString("2.50"), Decimal128.fromString("25E-1")];
    expect(new Set(halves.map(keyText))).toStrictEqual(new Set(["2.5"]));
    expect(keyText(Long.fromString("-9007199254740993"))).toBe(keyText(Decimal128.fromString("-9007199254740993")));
    expect(keyText(Decimal128.fromString("0.000001"))).toBe('{"$numberDecimal":"0.000001"}');
    // 2^-20 is exact in both types.
    expect(keyText(Decimal128.fromString("0.00000095367431640625"))).toBe(keyText(new Double(2 ** -20)));
    expect(keyText(Decimal128.fromString("0.00000095367431640625"))).toBe("9.5367431640625e-7");
  });

  it("keeps numbers that MongoDB does not consider equal apart", () => {
    expect(keyText(Long.fromString("9007199254740993"))).not.toBe(keyText(new Double(9007199254740992)));
    expect(keyText(Decimal128.fromString("0.1"))).not.toBe(keyText(new Double(0.1)));
    expect(keyText(Decimal128.fromString("0.3"))).not.toBe(keyText(0.1 + 0.2));
  });

  it("is injective across types that could be confused", () => {
    const ids: unknown[] = [
      new ObjectId(OID),
      OID,
      `"${OID}"`,
      new Int32(5),
      "5",
      '"5"',
      new Double(1.5),
      "1.5",
      true,
      "true",
      false,
      "false",
      null,
      "null",
      "",
      '""',
      new Double(Number.NaN),
      "NaN",
      new Double(Infinity),
      "Infinity",
      new Double(2e23),
      "199999999999999983222784",
      "+199999999999999983222784",
      ObjectId.createFromHexString("199999999999999983222784"),
      Decimal128.fromString("0.1"),
      '{"$numberDecimal":"0.1"}',
      new Double(0.1),
      new Date(0),
      '{"$date":"1970-01-01T00:00:00.000Z"}',
      "1970-01-01T00:00:00.000Z",
      { a: "b" },
      '{"a":"b"}',
      [1],
      "[1]",
      new UUID("0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44"),
      new Binary(Buffer.from("0e8c7a1c9d3b4b8e8f3a2b6f1a9e7c44", "hex"), 0),
      new MinKey(),
      new MaxKey(),
      "a\u0000b",
      "a\\u0000b",
    ];
    const texts = ids.map(keyText);
    expect(new Set(texts).size).toBe(ids.length);
  });
});

describe("keyText of an _id document with a field named _bsontype", () => {
  it("spells it as the document it is (another driver may store such a field)", () => {
    // Written as another driver would store it: the bytes of { _id: { Xbsontype: "ObjectId", n: 1 } } with X made "_".
    const bytes = Buffer.from(BSON.serialize({ _id: { Xbsontype: "ObjectId", n: 1 } }));
    bytes.set(Buffer.from("_bsontype"), bytes.indexOf("Xbsontype"));
    const { _id } = BSON.deserialize(bytes, { promoteValues: false });
    expect(keyText(_id)).toBe('{"_bsontype":"ObjectId","n":1}');
  });
});
