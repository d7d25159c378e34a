import type { ErrorCode } from "./error-codes.js";

/**
 * Where an error happened, in the terms a user knows: the namespace, the document key,
 * the field, the config path.
 * @public
 */
export interface ErrorContext {
  readonly namespace?: string;
  readonly key?: string;
  readonly field?: string;
  readonly configPath?: string;
  readonly [extra: string]: string | number | boolean | undefined;
}

/**
 * Base of every error Tributary raises on purpose: a stable `code`, a message that says what
 * happened and what to do, the context, and the underlying `cause`.
 * @public
 */
export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: { context?: ErrorContext; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "TributaryError";
    this.code = code;
    this.context = Object.freeze({ ...options.context });
  }
}

/** @public */
export function isTributaryError(error: unknown): error is TributaryError {
  return error instanceof TributaryError;
}
