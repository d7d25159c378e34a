import { Binary, BSONRegExp, BSONSymbol, Code, DBRef, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../src/core/error-codes.js";
import { compareBsonValues } from "../../../src/snapshot/bson-order.js";

const TWO_53 = 2 ** 53;

/** Asserts that `values` are strictly increasing, every pair in both directions. */
function expectAscending(values: readonly unknown[]): void {
  for (let i = 0; i < values.length; i += 1) {
    for (let j = 0; j < values.length; j += 1) {
      const expected = Math.sign(i - j);
      const actual = Math.sign(compareBsonValues(values[i], values[j]));
      if (actual !== expected) expect.fail(`compare(#${i} ${String(values[i])}, #${j} ${String(values[j])}) is ${actual}, expected ${expected}`);
    }
  }
}

/** Asserts that every value of `values` equals every other. */
function expectAllEqual(values: readonly unknown[]): void {
  for (const a of values) for (const b of values) expect(compareBsonValues(a, b)).toBe(0);
}

describe("compareBsonValues", () => {
  it("orders the BSON types as MongoDB does, lowest to highest", () => {
    expectAscending([
      new MinKey(),
      undefined,
      null,
      new Int32(5),
      "",
      {},
      [],
      new Binary(Buffer.from([])),
      new ObjectId("000000000000000000000000"),
      false,
      new Date(0),
      new Timestamp({ t: 0, i: 0 }),
      new BSONRegExp("", ""),
      new Code("x"),
      new Code("x", { a: 1 }),
      new MaxKey(),
    ]);
  });

  it("puts the largest number below the smallest string, and the largest string below an empty document", () => {
    expectAscending([Number.NEGATIVE_INFINITY, Decimal128.fromString("9.999999999999999999999999999999999E+6144"), "", "\u{10FFFF}".repeat(3), {}]);
  });

  it("compares numbers of every type by exact value", () => {
    expectAscending([
      Number.NaN,
      Number.NEGATIVE_INFINITY,
      Decimal128.fromString("-1E+400"),
      Long.fromBigInt(-(2n ** 63n)),
      new Int32(-2_147_483_648),
      -1.5,
      new Int32(-1),
      Decimal128.fromString("-0.1"),
      0,
      Decimal128.fromString("1E-6176"),
      new Double(5e-324),
      Decimal128.fromString("0.1"),
      0.1,
      new Double(0.5),
      new Int32(1),
      1.5,
      Decimal128.fromString("1.50000000000000000000000000000001"),
      new Int32(5),
      5.5,
      Long.fromNumber(6),
      new Double(TWO_53),
      Long.fromBigInt(2n ** 53n + 1n),
      TWO_53 + 2,
      2n ** 53n + 3n,
      Long.fromBigInt(2n ** 63n - 1n),
      2 ** 63,
      Decimal128.fromString("1E+400"),
      new Double(Number.POSITIVE_INFINITY),
    ]);
  });

  it("treats numerically equal values of different types as equal: 5, -0 and 0, NaN, infinities", () => {
    expectAllEqual([new Int32(5), Long.fromNumber(5), new Double(5), 5, 5n, Decimal128.fromString("5.000"), Decimal128.fromString("0.5E+1")]);
    expectAllEqual([0, -0, new Double(-0), new Int32(0), Long.ZERO, Decimal128.fromString("-0"), Decimal128.fromString("0E-20"), 0n]);
    expectAllEqual([Number.NaN, new Double(Number.NaN), Decimal128.fromString("NaN")]);
    expectAllEqual([Number.POSITIVE_INFINITY, Decimal128.fromString("Infinity")]);
    expectAllEqual([Number.NEGATIVE_INFINITY, new Double(Number.NEGATIVE_INFINITY), Decimal128.fromString("-Infinity")]);
    expectAllEqual([new Double(TWO_53), Long.fromBigInt(2n ** 53n), Decimal128.fromString("9007199254740992")]);
  });

  it("compares a Long near 2^53 with a Double exactly, where converting to a JavaScript number would not", () => {
    const long = Long.fromBigInt(2n ** 53n + 1n);
    expect(Number(long.toBigInt())).toBe(TWO_53); // the lossy conversion this must not use
    expect(compareBsonValues(long, new Double(TWO_53))).toBeGreaterThan(0);
    expect(compareBsonValues(new Double(TWO_53), long)).toBeLessThan(0);
    expect(compareBsonValues(Long.fromBigInt(2n ** 53n - 1n), new Double(TWO_53 - 1))).toBe(0);
    expect(compareBsonValues(Long.fromBigInt(2n ** 60n + 1n), 2 ** 60)).toBeGreaterThan(0);
  });

  it("reads a Long as signed 64 bits, as BSON stores it", () => {
    expect(compareBsonValues(Long.fromBigInt(2n ** 64n - 1n, true), new Int32(-1))).toBe(0);
  });

  it("orders strings and symbols by UTF-8 bytes", () => {
    expectAscending(["", "A", "Z", "a", "a\u0000", "ab", "b", "z", "é", "\u{FFFD}", "\u{1F600}", "\u{1F601}"]);
    expect(compareBsonValues("Z", "a")).toBeLessThan(0);
    expect(compareBsonValues("é", "z")).toBeGreaterThan(0);
    // U+FFFD is one UTF-16 unit above the surrogates of U+1F600, but below it in UTF-8.
    expect(compareBsonValues("\u{FFFD}", "\u{1F600}")).toBeLessThan(0);
    expect(compareBsonValues(new BSONSymbol("b"), "a")).toBeGreaterThan(0);
    expect(compareBsonValues(new BSONSymbol("a"), "a")).toBe(0);
  });

  it("compares documents field by field: value type, then name, then value; a prefix first", () => {
    expectAscending([
      {},
      { a: null },
      { b: null },
      { a: 1 },
      { a: 1, b: 1 },
      { a: 1, b: "x" },
      { a: 2 },
      { b: 1 },
      { a: "x" },
      { a: { b: 1 } },
      { a: { b: 1, c: 1 } },
      { a: { c: 0 } },
      { a: [] },
      { a: new ObjectId("000000000000000000000001") },
    ]);
    expect(compareBsonValues({ a: new Int32(1), b: 2 }, { a: 1.0, b: Long.fromNumber(2) })).toBe(0);
    expect(compareBsonValues(new DBRef("users", new ObjectId("000000000000000000000001")), { $ref: "users", $id: new ObjectId("000000000000000000000001") })).toBe(0);
  });

  it("compares arrays element by element, a prefix first", () => {
    expectAscending([[], [null], [1], [1, 1], [1, "a"], [2], ["a"], [{}], [[1]]]);
  });

  it("compares binary data by length, then subtype, then bytes", () => {
    expectAscending([
      new Binary(Buffer.from([9])),
      new Binary(Buffer.from([1]), 4),
      new Binary(Buffer.from([0, 0])),
      new Binary(Buffer.from([0, 1])),
      new Binary(Buffer.from([1, 0])),
      new Binary(Buffer.from([0, 0]), 3),
      new Binary(Buffer.from([0, 0, 0])),
    ]);
    expect(compareBsonValues(new Uint8Array([1, 2]), new Binary(Buffer.from([1, 2])))).toBe(0);
  });

  it("orders ObjectIds by bytes, booleans false first, dates and timestamps by time", () => {
    expectAscending([new ObjectId("000000000000000000000000"), new ObjectId("00000000000000000000ffff"), new ObjectId("650000000000000000000000"), new ObjectId("ffffffffffffffffffffffff")]);
    expectAscending([false, true]);
    expectAscending([new Date(-86_400_000), new Date(0), new Date(1), new Date(Date.UTC(2030, 0, 1))]);
    expectAscending([new Timestamp({ t: 1, i: 5 }), new Timestamp({ t: 2, i: 0 }), new Timestamp({ t: 2, i: 1 }), new Timestamp({ t: 4_294_967_295, i: 0 })]);
  });

  it("orders regular expressions by pattern, then flags", () => {
    expectAscending([new BSONRegExp("a", ""), new BSONRegExp("a", "i"), new BSONRegExp("a", "im"), new BSONRegExp("b", "")]);
    expect(compareBsonValues(/a/im, new BSONRegExp("a", "im"))).toBe(0);
  });

  it("keeps MinKey and MaxKey at the ends, equal to themselves", () => {
    const everything = [null, 1, "x", {}, [], new ObjectId(), true, new Date(), new Timestamp({ t: 1, i: 1 })];
    for (const value of everything) {
      expect(compareBsonValues(new MinKey(), value)).toBeLessThan(0);
      expect(compareBsonValues(new MaxKey(), value)).toBeGreaterThan(0);
    }
    expect(compareBsonValues(new MinKey(), new MinKey())).toBe(0);
    expect(compareBsonValues(new MaxKey(), new MaxKey())).toBe(0);
  });

  it("sorts a mixed list into MongoDB's order", () => {
    const id = new ObjectId("65f1c0ffee0000000000abcd");
    const sorted = [true, "b", id, new Int32(5), { a: 1 }, null, 5.5, "a", new Date(0), Long.fromNumber(-3)].sort(compareBsonValues);
    expect(sorted).toEqual([null, Long.fromNumber(-3), new Int32(5), 5.5, "a", "b", { a: 1 }, id, true, new Date(0)]);
  });

  it("refuses values that are not BSON", () => {
    let caught: unknown;
    try {
      compareBsonValues(() => 1, 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: ErrorCode.SnapshotFailed, message: "Cannot order a value of type function: it is not a BSON value MongoDB stores" });
  });
});
