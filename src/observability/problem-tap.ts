import type { LogFn, Logger } from "../core/logger.js";

/**
 * A logger that also hands every warning and error line to `onProblem` (message and `err`
 * field), so the status page can show the last error and count retries without each part of the
 * sync reporting to it.
 */
export function tapProblems(inner: Logger, onProblem: (message: string, level: "warn" | "error") => void): Logger {
  const tap =
    (level: "warn" | "error" | "fatal"): LogFn =>
    ((first: object | string, message?: string) => {
      if (typeof first === "string") inner[level](first);
      else inner[level](first, message);
      onProblem(describe(first, message), level === "warn" ? "warn" : "error");
    }) as LogFn;
  return {
    ...inner,
    trace: inner.trace.bind(inner),
    debug: inner.debug.bind(inner),
    info: inner.info.bind(inner),
    warn: tap("warn"),
    error: tap("error"),
    fatal: tap("fatal"),
    level: inner.level,
    isLevelEnabled: (level) => inner.isLevelEnabled?.(level) ?? true,
    child: (bindings) => tapProblems(inner.child(bindings), onProblem),
  };
}

function describe(first: object | string, message: string | undefined): string {
  if (typeof first === "string") return first;
  const err = (first as { err?: unknown }).err;
  const detail = err instanceof Error ? err.message : typeof err === "string" ? err : undefined;
  return [message, detail].filter((part) => part !== undefined && part !== "").join(": ");
}
