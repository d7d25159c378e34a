import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";

/** For repeatable options: each occurrence adds a value. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--sample <n>` and the like: a whole number of at least 1. */
export function positiveInteger(value: string, flag = "--sample"): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new TributaryError(ErrorCode.ConfigInvalid, `${flag} must be a whole number of at least 1, not ${JSON.stringify(value)}`);
  return number;
}
