import {
  Binary,
  BSON,
  BSONRegExp,
  BSONSymbol,
  Code,
  DBRef,
  Decimal128,
  Double,
  Int32,
  Long,
  MaxKey,
  MinKey,
  ObjectId,
  Timestamp,
  UUID,
  type Document,
} from "mongodb";
import { describe, expect, it } from "vitest";
import { decodeDocument, encodeDocument, encodeValue, type JsonValue } from "../../../src/codec/document-codec.js";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { TributaryError } from "../../../src/core/tributary-error.js";

const OID = "65f1c0ffee00000000abcdef";
const UUID_TEXT = "0e8c7a1c-9d3b-4b8e-8f3a-2b6f1a9e7c44";

/** Serializes as the driver would read it back, then compares bytes after a JSON text round trip. */
function roundTrip(doc: Document): void {
  const encoded = encodeDocument(doc);
  const viaText = JSON.parse(JSON.stringify(encoded)) as JsonValue;
  const original = Buffer.from(BSON.serialize(doc));
  expect(Buffer.from(BSON.serialize(decodeDocument(encoded))).toString("hex")).toBe(original.toString("hex"));
  expect(Buffer.from(BSON.serialize(decodeDocument(viaText))).toString("hex")).toBe(original.toString("hex"));
}

/** Reads `doc` the way Tributary's source reads documents from MongoDB. */
function asDriverReadsIt(doc: Document): Document {
  return BSON.deserialize(BSON.serialize(doc), {
    promoteValues: false,
    promoteLongs: false,
    promoteBuffers: false,
    bsonRegExp: true,
  });
}

describe("encodeDocument", () => {
  it.each<[string, unknown, JsonValue]>([
    ["ObjectId", new ObjectId(OID), { $oid: OID }],
    ["Int32", new Int32(42), 42],
    ["negative Int32", new Int32(-2147483648), -2147483648],
    ["Long", Long.fromString("9007199254740993"), { $numberLong: "9007199254740993" }],
    ["negative Long", Long.fromString("-9223372036854775808"), { $numberLong: "-9223372036854775808" }],
    ["Decimal128", Decimal128.fromString("1.50"), { $numberDecimal: "1.50" }],
    ["Decimal128 exponent", Decimal128.fromString("-1E+400"), { $numberDecimal: "-1E+400" }],
    ["non-integral Double", new Double(1.5), 1.5],
    ["small Double", new Double(1e-7), 1e-7],
    ["integral Double", new Double(5), { $numberDouble: "5.0" }],
    ["large integral Double", new Double(1e21), { $numberDouble: "1e+21" }],
    ["Double NaN", new Double(Number.NaN), { $numberDouble: "NaN" }],
    ["Double Infinity", new Double(Infinity), { $numberDouble: "Infinity" }],
    ["Double -Infinity", new Double(-Infinity), { $numberDouble: "-Infinity" }],
    ["Double -0", new Double(-0), { $numberDouble: "-0.0" }],
    ["Double 0", new Double(0), { $numberDouble: "0.0" }],
    ["true", true, true],
    ["false", false, false],
    ["string", "héllo ✓", "héllo ✓"],
    ["null", null, null],
    ["undefined", undefined, { $undefined: true }],
    ["Date epoch", new Date(0), { $date: "1970-01-01T00:00:00.000Z" }],
    ["Date in range", new Date("2024-05-01T12:34:56.789Z"), { $date: "2024-05-01T12:34:56.789Z" }],
    ["Date last ISO ms", new Date(253402300799999), { $date: "9999-12-31T23:59:59.999Z" }],
    ["Date year 10000", new Date(253402300800000), { $date: { $numberLong: "253402300800000" } }],
    ["Date before 1970", new Date(-1), { $date: { $numberLong: "-1" } }],
    ["Date 1900", new Date("1900-01-01T00:00:00Z"), { $date: { $numberLong: "-2208988800000" } }],
    ["Binary", new Binary(Buffer.from([1, 2, 3, 255]), 0), { $binary: { base64: "AQID/w==", subType: "00" } }],
    ["Binary user subtype", new Binary(Buffer.from("hi"), 0x80), { $binary: { base64: "aGk=", subType: "80" } }],
    ["UUID", new UUID(UUID_TEXT), { $binary: { base64: "Dox6HJ07S46POitvGp58RA==", subType: "04" } }],
    ["Timestamp", new Timestamp({ t: 1700000000, i: 7 }), { $timestamp: { t: 1700000000, i: 7 } }],
    ["BSONRegExp", new BSONRegExp("^a.c$", "mi"), { $regularExpression: { pattern: "^a.c$", options: "im" } }],
    ["MinKey", new MinKey(), { $minKey: 1 }],
    ["MaxKey", new MaxKey(), { $maxKey: 1 }],
    ["Symbol", new BSONSymbol("sym"), { $symbol: "sym" }],
    ["Code", new Code("return 1"), { $code: "return 1" }],
    ["Code with scope", new Code("return x", { x: new Int32(1) }), { $code: "return x", $scope: { x: 1 } }],
    [
      "DBRef",
      new DBRef("users", new ObjectId(OID), "shop", { extra: new Int32(1) }),
      { $ref: "users", $id: { $oid: OID }, $db: "shop", extra: 1 },
    ],
    // Values a caller promoted to plain JavaScript.
    ["plain int32 number", 7, 7],
    ["plain number beyond int32", 2147483648, { $numberDouble: "2147483648.0" }],
    ["plain non-integral number", 0.1, 0.1],
    ["plain -0", -0, { $numberDouble: "-0.0" }],
    ["plain NaN", Number.NaN, { $numberDouble: "NaN" }],
    ["bigint", -5n, { $numberLong: "-5" }],
    ["Buffer", Buffer.from([0, 1]), { $binary: { base64: "AAE=", subType: "00" } }],
    ["RegExp", /a+b/gim, { $regularExpression: { pattern: "a+b", options: "ims" } }],
  ])("encodes %s", (_name, value, expected) => {
    const encoded = encodeDocument({ v: value });
    expect(encoded).toStrictEqual({ v: expected });
    expect(JSON.stringify(encoded)).toBe(JSON.stringify({ v: expected }));
  });

  it("encodes nested arrays of documents of arrays", () => {
    const doc = {
      _id: new ObjectId(OID),
      items: [
        { sku: "a", qty: new Int32(2), tags: [["x", new Long(1, 0)], []], price: new Double(9.99) },
        [{ deep: [new Double(3), null] }],
      ],
      meta: { created: new Date("2024-01-02T03:04:05.006Z"), empty: {} },
    };
    expect(JSON.stringify(encodeDocument(doc))).toBe(
      '{"_id":{"$oid":"65f1c0ffee00000000abcdef"},' +
        '"items":[{"sku":"a","qty":2,"tags":[["x",{"$numberLong":"1"}],[]],"price":9.99},' +
        '[{"deep":[{"$numberDouble":"3.0"},null]}]],' +
        '"meta":{"created":{"$date":"2024-01-02T03:04:05.006Z"},"empty":{}}}',
    );
  });

  it("matches canonical Extended JSON for the types it does not relax", () => {
    const doc = asDriverReadsIt({
      oid: new ObjectId(OID),
      long: Long.fromNumber(-3),
      dec: Decimal128.fromString("0.0010"),
      bin: new UUID(UUID_TEXT),
      ts: new Timestamp({ t: 1, i: 2 }),
      re: new BSONRegExp("x", "six"),
      min: new MinKey(),
      old: new Date(-5000),
      d: new Double(4),
    });
    expect(encodeDocument(doc)).toStrictEqual(BSON.EJSON.serialize(doc, { relaxed: false }));
  });

  it("keeps a field named __proto__ as an own property", () => {
    const doc = JSON.parse('{"__proto__": {"x": "y"}}') as Document;
    const encoded = encodeDocument(doc);
    expect(Object.keys(encoded)).toStrictEqual(["__proto__"]);
    expect(JSON.stringify(encoded)).toBe('{"__proto__":{"x":"y"}}');
    expect(Object.getPrototypeOf(encoded)).toBe(Object.prototype);
  });

  it("rejects a NUL character in a value, naming namespace, key and field", () => {
    const doc = { a: { b: "x\u0000y" } };
    let error: unknown;
    try {
      encodeDocument(doc, { namespace: "shop.orders", key: "42" });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TributaryError);
    const tributaryError = error as TributaryError;
    expect(tributaryError.code).toBe(ErrorCode.DocumentNotEncodable);
    expect(tributaryError.message).toBe(
      'Document key 42 in shop.orders: field "a.b" contains a NUL character (\\u0000), which PostgreSQL jsonb ' +
        "cannot store. Remove the NUL character from the document in MongoDB, or exclude the collection from replication.",
    );
    expect(tributaryError.context).toStrictEqual({ namespace: "shop.orders", key: "42", field: "a.b", reason: "contains a NUL character (\\u0000), which PostgreSQL jsonb cannot store" });
  });

  it("rejects a NUL character inside an array element with the array index in the path", () => {
    expect(() => encodeDocument({ items: [{ name: "ok" }, { name: "\u0000" }] }, { namespace: "db.c" })).toThrow(
      'Document in db.c: field "items.1.name" contains a NUL character (\\u0000)',
    );
  });

  it("rejects a NUL character in a field name and shows it escaped", () => {
    let error: TributaryError | undefined;
    try {
      encodeDocument({ a: { "b\u0000c": 1 } }, { key: "k" });
    } catch (caught) {
      error = caught as TributaryError;
    }
    expect(error?.message.startsWith('Document key k: field "a.b\\u0000c" contains a NUL character (\\u0000)')).toBe(
      true,
    );
    expect(error?.context).toStrictEqual({ key: "k", field: "a.b\\u0000c", reason: "contains a NUL character (\\u0000), which PostgreSQL jsonb cannot store" });
  });

  it("rejects a NUL character in a regular expression pattern, a symbol and code", () => {
    expect(() => encodeDocument({ s: new BSONSymbol("a\u0000") })).toThrow('Document: field "s" contains a NUL');
    expect(() => encodeDocument({ c: new Code("x", { v: "\u0000" }) })).toThrow('field "c.$scope.v" contains a NUL');
  });

  it("rejects values that are not BSON", () => {
    expect(() => encodeDocument({ d: new Date(Number.NaN) }, { namespace: "a.b", key: "1" })).toThrow(
      'Document key 1 in a.b: field "d" cannot be encoded: the date is invalid (its time value is NaN).',
    );
    expect(() => encodeDocument({ f: () => 1 })).toThrow('field "f" cannot be encoded: a function is not a BSON value');
    expect(() => encodeDocument({ n: 2n ** 63n })).toThrow("outside the 64-bit range");
  });

  it("encodes a value without checking NUL characters via encodeValue", () => {
    expect(encodeValue({ a: "\u0000" })).toStrictEqual({ a: "\u0000" });
    expect(encodeValue(new Int32(3))).toBe(3);
  });
});

describe("decodeDocument", () => {
  it("gives back BSON values of the right types", () => {
    const decoded = decodeDocument({
      i: 5,
      d: 1.5,
      dd: { $numberDouble: "5.0" },
      nan: { $numberDouble: "NaN" },
      nz: { $numberDouble: "-0.0" },
      l: { $numberLong: "9007199254740993" },
      dec: { $numberDecimal: "1.50" },
      o: { $oid: OID },
      dt: { $date: "2024-05-01T12:34:56.789Z" },
      old: { $date: { $numberLong: "-1" } },
      u: { $binary: { base64: "Dox6HJ07S46POitvGp58RA==", subType: "04" } },
      ts: { $timestamp: { t: 10, i: 3 } },
      re: { $regularExpression: { pattern: "a", options: "mi" } },
      min: { $minKey: 1 },
      max: { $maxKey: 1 },
      sym: { $symbol: "s" },
      code: { $scope: { x: 1 }, $code: "x" },
      ref: { $id: { $oid: OID }, $ref: "users" },
      s: "str",
      b: false,
      n: null,
      big: 2147483648,
    });
    expect(decoded.i).toStrictEqual(new Int32(5));
    expect(decoded.d).toStrictEqual(new Double(1.5));
    expect(decoded.dd).toStrictEqual(new Double(5));
    expect(Number.isNaN((decoded.nan as Double).value)).toBe(true);
    expect(Object.is((decoded.nz as Double).value, -0)).toBe(true);
    expect(decoded.l).toStrictEqual(Long.fromString("9007199254740993"));
    expect((decoded.dec as Decimal128).toString()).toBe("1.50");
    expect((decoded.o as ObjectId).toHexString()).toBe(OID);
    expect((decoded.dt as Date).getTime()).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 789));
    expect((decoded.old as Date).getTime()).toBe(-1);
    expect(decoded.u).toBeInstanceOf(Binary);
    expect((decoded.u as Binary).sub_type).toBe(4);
    expect((decoded.u as Binary).toUUID().toHexString()).toBe(UUID_TEXT);
    expect(decoded.ts).toStrictEqual(new Timestamp({ t: 10, i: 3 }));
    expect(decoded.re).toStrictEqual(new BSONRegExp("a", "im"));
    expect(decoded.min).toBeInstanceOf(MinKey);
    expect(decoded.max).toBeInstanceOf(MaxKey);
    expect(decoded.sym).toStrictEqual(new BSONSymbol("s"));
    expect(decoded.code).toStrictEqual(new Code("x", { x: new Int32(1) }));
    expect(decoded.ref).toStrictEqual(new DBRef("users", new ObjectId(OID)));
    expect(decoded.s).toBe("str");
    expect(decoded.b).toBe(false);
    expect(decoded.n).toBeNull();
    expect(decoded.big).toStrictEqual(new Double(2147483648));
  });

  it("reads objects that only resemble a type wrapper as plain documents", () => {
    const decoded = decodeDocument({
      a: { $oid: "not hex" },
      b: { $numberLong: "12", other: 1 },
      c: { $date: true },
      d: { $unknown: 1 },
      e: { $ref: "a.b", $id: 1 },
    });
    expect(decoded.a).toStrictEqual({ $oid: "not hex" });
    expect(decoded.b).toStrictEqual({ $numberLong: "12", other: new Int32(1) });
    expect(decoded.c).toStrictEqual({ $date: true });
    expect(decoded.d).toStrictEqual({ $unknown: new Int32(1) });
    expect(decoded.e).toStrictEqual({ $ref: "a.b", $id: new Int32(1) });
  });

  it("keeps the root a plain document", () => {
    expect(decodeDocument({ $oid: OID })).toStrictEqual({ $oid: OID });
  });

  it("rejects JSON that is not an object", () => {
    expect(() => decodeDocument([1])).toThrow(
      "Cannot decode a stored document: expected a JSON object but got an array. The column does not hold a document written by Tributary.",
    );
    expect(() => decodeDocument(null)).toThrow(TributaryError);
  });
});

describe("round trip", () => {
  it("gives back the same BSON bytes for every supported type", () => {
    roundTrip(
      asDriverReadsIt({
        _id: new ObjectId(OID),
        int: new Int32(-7),
        intMax: new Int32(2147483647),
        long: Long.fromString("-9223372036854775808"),
        longSmall: Long.fromNumber(5),
        dec: Decimal128.fromString("12345678901234567890.1234567890123400"),
        decNeg: Decimal128.fromString("-0E-10"),
        decNaN: Decimal128.fromString("NaN"),
        decInf: Decimal128.fromString("-Infinity"),
        dbl: new Double(0.1),
        dblInt: new Double(42),
        dblHuge: new Double(1.7976931348623157e308),
        dblTiny: new Double(5e-324),
        dblNaN: new Double(Number.NaN),
        dblInf: new Double(Infinity),
        dblNegInf: new Double(-Infinity),
        dblNegZero: new Double(-0),
        t: true,
        f: false,
        s: "text with \"quotes\", \\ and emoji 🐟",
        empty: "",
        nil: null,
        date: new Date("2024-05-01T12:34:56.789Z"),
        epoch: new Date(0),
        past: new Date("1066-10-14T09:00:00Z"),
        future: new Date(8.64e15),
        bin: new Binary(Buffer.from([0, 1, 2, 3, 250]), 0),
        binEmpty: new Binary(Buffer.alloc(0), 0),
        binOld: new Binary(Buffer.from("old"), 2),
        md5: new Binary(Buffer.alloc(16, 7), 5),
        user: new Binary(Buffer.from("u"), 0x80),
        uuid: new UUID(UUID_TEXT),
        ts: new Timestamp({ t: 4294967295, i: 4294967295 }),
        re: new BSONRegExp("^[a-z]+\\d$", "imsx"),
        reNone: new BSONRegExp("x", ""),
        min: new MinKey(),
        max: new MaxKey(),
        sym: new BSONSymbol("symbol"),
        code: new Code("function () { return 1; }"),
        codeScope: new Code("x + y", { x: new Int32(1), y: { z: "w" } }),
        ref: new DBRef("users", new ObjectId(OID)),
        refDb: new DBRef("users", new ObjectId(OID), "other", { note: "n" }),
        nested: {
          arr: [new Int32(1), [new Double(2.5), [{ x: [new Long(3, 0), { y: [] }] }]], {}],
          doc: { a: { b: { c: [null, true, "s"] } } },
        },
        wrapperLookalike: { $id: new Int32(1), plain: "x" },
      }),
    );
  });

  it("gives back the same BSON bytes for values a caller promoted", () => {
    roundTrip({ n: 5, x: 2.5, big: 2 ** 40, nz: -0, re: /ab/i, buf: Buffer.from("zz"), l: 12n, u: undefined });
  });

  it("gives back the same values after jsonb reorders the keys", () => {
    const doc = asDriverReadsIt({
      longer_name: new Int32(1),
      a: new Double(5),
      ref: new DBRef("coll", new ObjectId(OID), "db"),
      code: new Code("c", { zz: new Int32(1), a: new Int32(2) }),
    });
    const encoded = encodeDocument(doc);
    // jsonb: shorter keys first, then bytewise.
    const reordered = JSON.parse(
      '{"a":{"$numberDouble":"5.0"},"ref":{"$db":"db","$id":{"$oid":"' +
        OID +
        '"},"$ref":"coll"},"code":{"$code":"c","$scope":{"a":2,"zz":1}},"longer_name":1}',
    ) as JsonValue;
    expect(JSON.parse(JSON.stringify(encoded))).toStrictEqual(reordered);
    const decoded = decodeDocument(reordered);
    expect(decoded.a).toStrictEqual(new Double(5));
    expect(decoded.longer_name).toStrictEqual(new Int32(1));
    expect(decoded.ref).toStrictEqual(new DBRef("coll", new ObjectId(OID), "db"));
    expect(BSON.serialize({ r: decoded.ref })).toStrictEqual(BSON.serialize({ r: doc.ref }));
  });
});

describe("a sub-document with a field named _bsontype", () => {
  it("is encoded as the document it is (another driver may store such a field; only the driver's classes are BSON values)", () => {
    // Written as another driver would store it: the bytes of { a: { Xbsontype: "Long", n: Long(7) } } with X made "_".
    const bytes = Buffer.from(BSON.serialize({ _id: 1, a: { Xbsontype: "Long", n: Long.fromNumber(7) } }));
    bytes.set(Buffer.from("_bsontype"), bytes.indexOf("Xbsontype"));
    const doc = BSON.deserialize(bytes, { useBigInt64: false, promoteLongs: false, promoteValues: false, bsonRegExp: true });
    expect(encodeDocument(doc)).toEqual({ _id: 1, a: { _bsontype: "Long", n: { $numberLong: "7" } } });
  });
});
