import { Binary, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, UUID } from "mongodb";
import { describe, expect, it } from "vitest";
import { keyText } from "../../../src/codec/key-text.js";
import { idFromKeyText } from "../../../src/codec/key-text-parse.js";
import { compareBsonValues } from "../../../src/snapshot/bson-order.js";

/** `_id`s of every kind keyText writes differently: each form of its table, and strings that look like another form. */
const IDS: unknown[] = [
  new ObjectId("65f1c0ffee0000000000abcd"),
  new Int32(5),
  Long.fromBigInt(2n ** 62n),
  Long.fromBigInt(-(2n ** 60n)),
  new Double(1.5),
  1e-7,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Decimal128.fromString("0.1"),
  Decimal128.fromString("1E+400"),
  Decimal128.fromString("123456789012345678901234567890"),
  100000000000000000000000,
  "alice",
  "",
  "5",
  "-1.5e3",
  "+7",
  "NaN",
  "65f1c0ffee0000000000abcd",
  "{not json",
  "[1",
  '"quoted"',
  "true",
  "null",
  "nul \u0000 inside",
  new Date(Date.UTC(2024, 4, 1)),
  new UUID("0f8fad5b-d9cb-469f-a165-70867728950e"),
  new Binary(Buffer.from([1, 2, 3]), 128),
  new Timestamp({ t: 1, i: 2 }),
  { a: new Int32(1), b: "x" },
  [new Int32(1), "two"],
  true,
  null,
  new MinKey(),
  new MaxKey(),
];

describe("idFromKeyText", () => {
  it.each(IDS.map((id) => [keyText(id), id]))("reads %s back as the same key, in the same place of the _id order", (text, id) => {
    const parsed = idFromKeyText(text);
    expect(keyText(parsed)).toBe(text);
    expect(compareBsonValues(parsed, id)).toBe(0);
  });
});
