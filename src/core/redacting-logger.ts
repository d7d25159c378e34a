import type { LogFn, Logger } from "./logger.js";
import { redactSecrets, redactValue } from "./redact.js";

type Level = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** Marks a logger that already redacts, so wrapping it again costs nothing. */
const REDACTING = Symbol("tributary.redacting");

/**
 * Wraps any {@link Logger} so that nothing it writes carries a secret: the message and every
 * field (nested objects, errors and their causes, child bindings) go through core/redact.ts.
 * `createLogger` returns loggers wrapped this way, and `runSync` and `watch()` wrap the logger
 * they are given; wrapping one twice returns it as it is. A line below the logger's level is
 * dropped before anything is redacted.
 * @public
 */
export function redactingLogger(inner: Logger): Logger {
  if ((inner as { [REDACTING]?: true })[REDACTING]) return inner;
  const wrap = (level: Level): LogFn =>
    ((first: object | string, message?: string) => {
      if (inner.isLevelEnabled?.(level) === false) return;
      if (typeof first === "string") inner[level](redactSecrets(first));
      else inner[level](redactValue(first) as object, message === undefined ? undefined : redactSecrets(message));
    }) as LogFn;
  return {
    [REDACTING]: true,
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
  } as Logger;
}
