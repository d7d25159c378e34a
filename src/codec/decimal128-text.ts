import type { Decimal128 } from "bson";

/** The exponent bias of IEEE 754-2008 decimal128 (bson's `EXPONENT_BIAS`). */
const EXPONENT_BIAS = 6176;

/**
 * A Decimal128's text exactly as bson's `toString` writes it (the BSON specification's
 * "to-scientific-string"). A finite value whose coefficient is a safe integer, as prices and
 * amounts are, is written from its bits here; bson's `toString` divides its 128 bits digit by digit,
 * which cost more than the rest of a document's encoding. Other values (NaN, ±Infinity, 17 or more
 * digits) take bson's.
 */
export function decimal128Text(decimal: Decimal128): string {
  const bytes = decimal.bytes;
  // Little-endian: the low 64 bits of the coefficient, then its high bits with the exponent and sign.
  const low = word(bytes, 0) >>> 0;
  const midLow = word(bytes, 4) >>> 0;
  const midHigh = word(bytes, 8);
  const high = word(bytes, 12);
  const combination = (high >> 26) & 0x1f;
  // Special forms (NaN, Infinity, the long-coefficient encoding), or a coefficient of 2^53 or more.
  if (combination >> 3 === 3 || (high & 0x1ffff) !== 0 || midHigh !== 0 || midLow >= 0x200000) return decimal.toString();
  const exponent = ((high >> 17) & 0x3fff) - EXPONENT_BIAS;
  const digits = String(midLow * 0x1_0000_0000 + low);
  const sign = high < 0 ? "-" : "";
  const scientific = digits.length - 1 + exponent;
  if (scientific >= 34 || scientific <= -7 || exponent > 0) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mantissa}E${scientific > 0 ? "+" : ""}${scientific}`;
  }
  if (exponent === 0) return `${sign}${digits}`;
  const point = digits.length + exponent;
  return point > 0 ? `${sign}${digits.slice(0, point)}.${digits.slice(point)}` : `${sign}0.${"0".repeat(-point)}${digits}`;
}

function word(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24);
}
