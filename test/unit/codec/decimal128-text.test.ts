import { Decimal128 } from "bson";
import { describe, expect, it } from "vitest";
import { decimal128Text } from "../../../src/codec/decimal128-text.js";

describe("decimal128Text", () => {
  it.each([
    "0", "-0", "0E-3", "-0.00", "0E+3", "1.50", "-12E-5", "1.50E+3", "5421.07", "123456789012345678", "9007199254740991", "9007199254740992",
    "-9007199254740991.5", "1E-6", "1E-7", "0.000001", "0.0000001", "12345E-10", "1E+33", "1E+34", "1234567890123456E+18", "1E-6176", "9E+6111",
    "NaN", "Infinity", "-Infinity", "1234567890.123456789012345678901234", "1E+400", "0.1",
  ])("writes %s as bson does", (text) => {
    const decimal = Decimal128.fromString(text);
    expect(decimal128Text(decimal)).toBe(decimal.toString());
  });

  it("writes random decimals of every magnitude and scale as bson does", () => {
    for (let i = 0; i < 20_000; i += 1) {
      const digits = String(Math.floor(Math.random() * 10 ** (1 + (i % 17)))).slice(0, 1 + (i % 19));
      const exponent = Math.floor(Math.random() * 80) - 40;
      const decimal = Decimal128.fromString(`${i % 3 === 0 ? "-" : ""}${digits}E${exponent}`);
      expect(decimal128Text(decimal)).toBe(decimal.toString());
    }
  });
});
