import { createHash } from "node:crypto";

const MODULUS = 1n << 128n;

/**
 * The count and an order-independent hash of a set of documents: the sum, modulo 2^128, of the
 * first 128 bits of each canonical text's SHA-256. Adding the same documents in any order gives
 * the same tally, and one document more, less or changed changes it (but for a 2^-128 chance).
 * A sum rather than an XOR: two equal texts do not cancel out.
 */
export class RangeTally {
  count = 0;
  private sum = 0n;

  add(canonical: string): void {
    this.count += 1;
    this.sum = (this.sum + BigInt(`0x${createHash("sha256").update(canonical).digest("hex").slice(0, 32)}`)) % MODULUS;
  }

  equals(other: RangeTally): boolean {
    return this.count === other.count && this.sum === other.sum;
  }

  /** The hash as 32 hex digits, for reports. */
  hex(): string {
    return this.sum.toString(16).padStart(32, "0");
  }
}
