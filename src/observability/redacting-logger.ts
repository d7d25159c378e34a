import type { LogFn, Logger } from "../core/logger.js";
import { redactSecrets, redactValue } from "../core/redact.js";

type Level = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/**
 * Wraps any {@link Logger} so that nothing it writes carries a secret: the message and every
 * field (nested objects, errors and their causes, child bindings) go through core/redact.ts.
 * `createLogger` returns loggers wrapped this way; `runSync` and `watch()` callers can wrap
 * their own.
 * @public
 */
export function redactingLogger(inner: Logger): Logger {
  const wrap = (level: Level): LogFn =>
    ((first: object | string, message?: string) => {
      if (typeof first === "string") inner[level](redactSecrets(first));
      else inner[level](redactValue(first) as object, message === undefined ? undefined : redactSecrets(message));
    }) as LogFn;
  return {
    trace: wrap("trace"),
    debug: wrap("debug"),
    info: wrap("info"),
    warn: wrap("warn"),
    error: wrap("error"),
    fatal: wrap("fatal"),
    get level() {
      return inner.level;
    },
    isLevelEnabled: (level) => inner.isLevelEnabled?.(level) ?? true,
    child: (bindings) => redactingLogger(inner.child(redactValue(bindings) as Record<string, unknown>)),
  };
}
