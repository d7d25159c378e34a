import { Long } from "bson";
import { describe, expect, it } from "vitest";
import { longText } from "../../../src/codec/long-text.js";

/** What bson itself writes: the 64 bits read as signed. */
function bsonText(long: Long): string {
  return (long.unsigned ? long.toSigned() : long).toString();
}

describe("longText", () => {
  it.each([
    ["zero", Long.ZERO],
    ["minus one", Long.fromInt(-1)],
    ["2^53 - 1", Long.fromString("9007199254740991")],
    ["2^53", Long.fromString("9007199254740992")],
    ["-2^53", Long.fromString("-9007199254740992")],
    ["-2^53 - 1", Long.fromString("-9007199254740993")],
    ["the largest", Long.MAX_VALUE],
    ["the smallest", Long.MIN_VALUE],
    ["an unsigned Long with the top bit set", Long.fromString("18446744073709551615", true)],
    ["an unsigned small Long", Long.fromNumber(42, true)],
    ["a low half with its top bit set", Long.fromBits(-1, 0)],
  ])("writes %s as bson does", (_label, long) => {
    expect(longText(long)).toBe(bsonText(long));
  });

  it("writes random Longs of every magnitude as bson does", () => {
    for (let i = 0; i < 20_000; i += 1) {
      const long = Long.fromBits((Math.random() * 2 ** 32) | 0, (Math.random() * 2 ** (1 + (i % 32))) | 0, i % 7 === 0);
      expect(longText(long)).toBe(bsonText(long));
    }
  });
});
