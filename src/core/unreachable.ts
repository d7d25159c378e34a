import { ErrorCode } from "./error-codes.js";
import type { ErrorKind } from "./retry.js";
import { TributaryError } from "./tributary-error.js";

/** The codes that say a server cannot be reached for now: waiting can cure them. */
const UNREACHABLE_CODES = new Set<string>([ErrorCode.PostgresUnreachable, ErrorCode.MongoUnreachable]);

/**
 * The classifier of errors that have already crossed a boundary (each boundary mapped its
 * driver's errors to a `TributaryError` code): `transient` when a server cannot be reached for
 * now, `permanent` for everything else (credentials rejected, a missing database or privilege, a
 * bad option, a refused write).
 */
export function classifyTributaryError(error: unknown): ErrorKind {
  return error instanceof TributaryError && UNREACHABLE_CODES.has(error.code) ? "transient" : "permanent";
}
