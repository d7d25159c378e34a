/**
 * One level method of a {@link Logger}: a message, or fields and a message, as pino takes them.
 * @public
 */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What Tributary logs through: any logger with the usual level methods and `child` (pino,
 * bunyan, winston's child loggers, or a few lines of your own). Fields come first, then the
 * message, as pino takes them.
 * @public
 */
export interface Logger {
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  /** The lowest level written, when the logger tells (pino does). */
  readonly level?: string;
  /** Whether a level is written, when the logger tells (pino does); taken as yes otherwise. */
  isLevelEnabled?(level: string): boolean;
  /** A logger that adds these fields to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => undefined;

/** A logger that discards everything, for library use without logs. @public */
export function silentLogger(): Logger {
  const logger: Logger = { level: "silent", isLevelEnabled: () => false, trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore, fatal: ignore, child: () => logger };
  return logger;
}
