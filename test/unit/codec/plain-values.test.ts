import { Binary, BSONRegExp, BSONSymbol, Code, DBRef, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, UUID, type Document } from "mongodb";
import * as EsmBson from "bson";
import { describe, expect, it } from "vitest";
import { toPlainDocument, toPlainValue } from "../../../src/codec/plain-values.js";
import { BSON } from "../../../src/core/bson.js";
import { LOSSLESS_BSON_OPTIONS } from "../../../src/source/mongo-connection.js";

const OID = "65f1c0ffee00000000abcdef";
const UUID_TEXT = "0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44";

/** `value` as the field `v` of a document the driver decoded, with the options the source reads with. */
function decoded(value: unknown): unknown {
  return BSON.deserialize(BSON.serialize({ v: value }), LOSSLESS_BSON_OPTIONS).v;
}

describe("toPlainValue on values decoded by the driver", () => {
  it("gets the BSON wrappers the driver gives, so the tests below convert real input", () => {
    expect(decoded(new Int32(5))).toBeInstanceOf(Int32);
    expect(decoded(new Double(5))).toBeInstanceOf(Double);
    expect(decoded(Long.fromNumber(5))).toBeInstanceOf(Long);
    expect(decoded(new UUID(UUID_TEXT))).toBeInstanceOf(Binary);
    expect(decoded(/a/i)).toBeInstanceOf(BSONRegExp);
  });

  it.each<[string, unknown, unknown]>([
    ["Int32", new Int32(5), 5],
    ["negative Int32", new Int32(-2147483648), -2147483648],
    ["Double", new Double(1.5), 1.5],
    ["integral Double", new Double(5), 5],
    ["Double NaN", new Double(Number.NaN), Number.NaN],
    ["Double -Infinity", new Double(-Infinity), -Infinity],
    ["small Long", Long.fromNumber(42), 42],
    ["Long at 2^53-1", Long.fromString("9007199254740991"), 9007199254740991],
    ["Long at -(2^53-1)", Long.fromString("-9007199254740991"), -9007199254740991],
    ["Decimal128", Decimal128.fromString("1.50"), "1.50"],
    ["Decimal128 with exponent", Decimal128.fromString("-1E+400"), "-1E+400"],
    ["ObjectId", new ObjectId(OID), OID],
    ["UUID (subtype 4)", new UUID(UUID_TEXT), UUID_TEXT],
    ["Timestamp", new Timestamp({ t: 1714564800, i: 7 }), { t: 1714564800, i: 7 }],
    ["Symbol", new BSONSymbol("sym"), "sym"],
    ["Code", new Code("return 1"), { code: "return 1" }],
    ["Code with scope", new Code("return x", { x: new Int32(1) }), { code: "return x", scope: { x: 1 } }],
    ["string", "text", "text"],
    ["boolean", true, true],
    ["null", null, null],
  ])("%s", (_name, value, expected) => {
    expect(toPlainValue(decoded(value))).toStrictEqual(expected);
  });

  it("keeps -0 of a Double", () => {
    expect(Object.is(toPlainValue(decoded(new Double(-0))), -0)).toBe(true);
  });

  it("gives a Long beyond 2^53-1 as a bigint by default, as text when asked", () => {
    const big = decoded(Long.fromString("9007199254740993"));
    const mostNegative = decoded(Long.fromString("-9223372036854775808"));
    expect(toPlainValue(big)).toBe(9007199254740993n);
    expect(toPlainValue(mostNegative)).toBe(-9223372036854775808n);
    expect(toPlainValue(big, { largeLongs: "string" })).toBe("9007199254740993");
    expect(toPlainValue(mostNegative, { largeLongs: "string" })).toBe("-9223372036854775808");
    expect(toPlainValue(decoded(Long.fromNumber(7)), { largeLongs: "string" })).toBe(7);
  });

  it("gives a Date as a new Date of the same instant", () => {
    const input = decoded(new Date("2024-05-01T12:00:00.123Z"));
    const plain = toPlainValue(input);
    expect(plain).toBeInstanceOf(Date);
    expect(plain).toStrictEqual(new Date("2024-05-01T12:00:00.123Z"));
    expect(plain).not.toBe(input);
  });

  it("gives other binary subtypes as a Buffer of their bytes", () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    for (const subtype of [0, 3, 5, 128]) {
      const plain = toPlainValue(decoded(new Binary(bytes, subtype)));
      expect(Buffer.isBuffer(plain)).toBe(true);
      expect((plain as Buffer).equals(bytes)).toBe(true);
    }
  });

  it("gives a regular expression as a RegExp when JavaScript has its flags, else as pattern and options", () => {
    const ims = toPlainValue(decoded(new BSONRegExp("^a.b$", "ims")));
    expect(ims).toBeInstanceOf(RegExp);
    expect((ims as RegExp).source).toBe("^a.b$");
    expect((ims as RegExp).flags).toBe("ims");
    expect(toPlainValue(decoded(new BSONRegExp("a b # comment", "ix")))).toStrictEqual({ pattern: "a b # comment", options: "ix" });
    expect(toPlainValue(decoded(new BSONRegExp("(?<=a)b(?i)c", "")))).toStrictEqual({ pattern: "(?<=a)b(?i)c", options: "" });
  });

  it("gives a DBRef as its fields, converted", () => {
    const ref = decoded(new DBRef("users", new ObjectId(OID), "app", { extra: new Int32(3) }));
    expect(toPlainValue(ref)).toStrictEqual({ $ref: "users", $id: OID, $db: "app", extra: 3 });
  });

  it("keeps MinKey and MaxKey as the driver gives them", () => {
    expect(toPlainValue(decoded(new MinKey()))).toBeInstanceOf(MinKey);
    expect(toPlainValue(decoded(new MaxKey()))).toBeInstanceOf(MaxKey);
  });
});

describe("toPlainValue on another copy of bson", () => {
  it("converts by BSON type, so values of the ES module build (which fail instanceof against the driver's) convert too", () => {
    const value = new EsmBson.Int32(7);
    expect(value instanceof Int32).toBe(false);
    expect(toPlainDocument({ n: value, id: new EsmBson.ObjectId(OID), big: EsmBson.Long.fromString("9007199254740993") })).toStrictEqual({ n: 7, id: OID, big: 9007199254740993n });
  });
});

describe("toPlainDocument", () => {
  const source: Document = {
    _id: new ObjectId(OID),
    qty: new Int32(5),
    price: Decimal128.fromString("9.99"),
    views: Long.fromString("12345678901234567890".slice(0, 19)),
    tags: ["a", new Int32(1), [new Double(2.5)]],
    nested: { at: new Date(0), id: new UUID(UUID_TEXT), n: Long.fromNumber(3) },
  };

  it("converts recursively through documents and arrays", () => {
    const doc = BSON.deserialize(BSON.serialize(source), LOSSLESS_BSON_OPTIONS);
    expect(toPlainDocument(doc)).toStrictEqual({
      _id: OID,
      qty: 5,
      price: "9.99",
      views: 1234567890123456789n,
      tags: ["a", 1, [2.5]],
      nested: { at: new Date(0), id: UUID_TEXT, n: 3 },
    });
    expect(JSON.stringify(toPlainDocument(doc, { largeLongs: "string" }))).toBe(
      `{"_id":"${OID}","qty":5,"price":"9.99","views":"1234567890123456789","tags":["a",1,[2.5]],"nested":{"at":"1970-01-01T00:00:00.000Z","id":"${UUID_TEXT}","n":3}}`,
    );
  });

  it("leaves its input as it was", () => {
    const doc = BSON.deserialize(BSON.serialize(source), LOSSLESS_BSON_OPTIONS);
    const before = Buffer.from(BSON.serialize(doc)).toString("hex");
    toPlainDocument(doc);
    expect(Buffer.from(BSON.serialize(doc)).toString("hex")).toBe(before);
    expect(doc.qty).toBeInstanceOf(Int32);
  });

  it("gives the same result when converting twice", () => {
    const doc = BSON.deserialize(BSON.serialize(source), LOSSLESS_BSON_OPTIONS);
    const once = toPlainDocument(doc);
    expect(toPlainDocument(once)).toStrictEqual(once);
  });

  it("keeps a field named __proto__ as a field", () => {
    const doc = BSON.deserialize(BSON.serialize({ ["__proto__"]: { n: new Int32(1) } }), LOSSLESS_BSON_OPTIONS);
    const plain = toPlainDocument(doc);
    expect(Object.keys(plain)).toStrictEqual(["__proto__"]);
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
  });
});

describe("toPlainValue on a sub-document with a field named _bsontype", () => {
  it("converts it as the document it is (another driver may store such a field; only the driver's classes are BSON values)", () => {
    // Written as another driver would store it: the bytes of { a: { Xbsontype: "Long", n: Long(7) } } with X made "_".
    const bytes = Buffer.from(BSON.serialize({ a: { Xbsontype: "Long", n: Long.fromNumber(7) } }));
    bytes.set(Buffer.from("_bsontype"), bytes.indexOf("Xbsontype"));
    const doc = BSON.deserialize(bytes, LOSSLESS_BSON_OPTIONS);
    expect(toPlainDocument(doc)).toEqual({ a: { _bsontype: "Long", n: 7 } });
  });
});
