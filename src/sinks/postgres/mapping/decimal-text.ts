// Decimal text, read exactly (no float rounding): what numeric(p,s) columns can hold.

/** A finite decimal number: `(negative ? -1 : 1) * coefficient * 10^exponent`. */
export interface Decimal {
  readonly negative: boolean;
  readonly coefficient: bigint;
  readonly exponent: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** Reads the decimal text of a finite number; `undefined` for NaN and ±Infinity. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = "", fraction = "", exponent = "0"] = match;
  if (whole === "" && fraction === "") return undefined;
  return { negative: sign === "-", coefficient: BigInt(whole + fraction), exponent: Number(exponent) - fraction.length };
}

/** Whether the decimal, rounded to `scale` digits, has at most `precision` digits. */
export function fitsPrecision(decimal: Decimal, precision: number, scale: number): boolean {
  const shift = decimal.exponent + scale;
  let rounded: bigint;
  if (shift >= 0) {
    rounded = decimal.coefficient * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    rounded = decimal.coefficient / divisor;
    if ((decimal.coefficient % divisor) * 2n >= divisor) rounded += 1n;
  }
  return rounded < 10n ** BigInt(precision);
}
