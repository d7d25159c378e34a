import type { Long } from "bson";

/** `high` of the Longs whose value is a safe integer (|value| < 2^53): -2^21 ≤ high < 2^21. */
const SAFE_HIGH = 0x200000;

/**
 * A Long's value as signed decimal text (an unsigned Long's 64 bits read as signed, as MongoDB
 * stores it). Most Longs are safe integers, whose text is the number's: bson's `toString` divides
 * digit by digit, which cost more than the rest of a document's encoding.
 */
export function longText(long: Long): string {
  // `high` and `low` hold the 64 bits as two signed 32-bit halves, for signed and unsigned Longs alike.
  if (long.high >= -SAFE_HIGH && long.high < SAFE_HIGH) return String(long.high * 0x1_0000_0000 + (long.low >>> 0));
  return (long.unsigned ? long.toSigned() : long).toString();
}
