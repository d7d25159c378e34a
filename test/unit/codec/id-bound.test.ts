import { BSON, Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, type Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { decodeIdBound, encodeIdBound, isFaithfulIdValue } from "../../../src/codec/id-bound.js";

/** A document's `_id` as the driver decodes it from these bytes (the snapshot reads with promoteValues: false). */
function decoded(bytes: Uint8Array): unknown {
  return (BSON.deserialize(bytes, { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true }) as Document)._id;
}

/** The bytes of `{_id: value}` with the `_id` element's type byte replaced (to write BSON types no JavaScript value encodes). */
function withIdType(value: unknown, type: number): Uint8Array {
  const bytes = Buffer.from(BSON.serialize({ _id: value }));
  bytes[4] = type;
  return bytes;
}

const serialized = (value: unknown): string => Buffer.from(BSON.serialize({ v: value })).toString("hex");

describe("stored _id bounds", () => {
  it("give back the very value read, every type and key order kept", () => {
    const values = [
      new Int32(5),
      Long.fromString("9007199254740993"),
      new Double(5),
      Decimal128.fromString("5.00"),
      new ObjectId("65f1c0ffee0000000000abcd"),
      "Ünïcode-7",
      new Date("2024-05-01T00:00:00Z"),
      new Binary(Buffer.from("00ff", "hex"), 4),
      new MinKey(),
      new MaxKey(),
      decoded(BSON.serialize({ _id: { b: new Int32(1), a: { z: "x", y: [new Int32(1), "two"] } } })),
    ];
    for (const value of values) expect(serialized(decodeIdBound(encodeIdBound(value)))).toBe(serialized(value));
  });

  it("read the Extended JSON that older versions stored", () => {
    expect(decodeIdBound('{"v":{"$numberInt":"5"}}')).toEqual(new Int32(5));
    expect(decodeIdBound('{"v":{"$oid":"65f1c0ffee0000000000abcd"}}')).toEqual(new ObjectId("65f1c0ffee0000000000abcd"));
  });

  it("are not taken from _ids the driver does not decode exactly, which would name another index key", () => {
    // {"10": 1, "2": 1} in this order on the server; JavaScript lists "2" first.
    const reordered = decoded(BSON.serialize({ _id: new Map<string, unknown>([["10", new Int32(1)], ["2", new Int32(1)]]) }));
    expect(Object.keys(reordered as object)).toEqual(["2", "10"]);
    // Undefined (type 0x06) and a date of 9e15 ms (type 0x09), past what a JavaScript Date holds.
    const undefinedInside = decoded(BSON.serialize({ _id: { a: 1, u: null } }).map((byte, index, bytes) => (index > 4 && byte === 0x0a && bytes[index + 1] === 0x75 ? 0x06 : byte)));
    const farDate = decoded(withIdType(Long.fromNumber(9e15), 0x09));
    const dbRef = decoded(BSON.serialize({ _id: { $id: new Int32(1), $ref: "users" } }));
    for (const value of [reordered, undefinedInside, farDate, dbRef]) {
      expect(isFaithfulIdValue(value)).toBe(false);
      expect(decodeIdBound(encodeIdBound(value))).toBeUndefined();
    }
    expect(isFaithfulIdValue({ 10: 1 })).toBe(true);
    expect(isFaithfulIdValue(new Int32(1))).toBe(true);
  });
});
