import { ErrorCode } from "./error-codes.js";
import type { ErrorKind } from "./retry.js";
import { TributaryError } from "./tributary-error.js";

/** The codes that say a server cannot be reached for now: waiting can cure them. */
const UNREACHABLE_CODES = new Set<string>([ErrorCode.PostgresUnreachable, ErrorCode.MongoUnreachable]);

/**
 * The classifier of errors that have already crossed a boundary (each boundary mapped its
 * driver's errors to a `TributaryError` code): `unreachable` when a server cannot be reached for
 * now (so the wait is polled about every second, and work resumes soon after the server is back,
 * however long the outage), `permanent` for everything else (credentials rejected, a missing
 * database or privilege, a bad option, a refused write).
 */
export function classifyTributaryError(error: unknown): ErrorKind {
  return error instanceof TributaryError && UNREACHABLE_CODES.has(error.code) ? "unreachable" : "permanent";
}
