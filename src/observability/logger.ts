import { pino } from "pino";
import { PinoPretty } from "pino-pretty";
import type { Logger } from "../core/logger.js";
import { redactingLogger } from "../core/redacting-logger.js";

/** @internal */
export interface LoggerOptions {
  readonly level: string;
  /** Human-readable lines instead of JSON; defaults to whether stderr is a terminal. */
  readonly pretty?: boolean;
}

/**
 * Structured logs on stderr (stdout stays free for data): JSON lines for machines, or
 * readable lines on a terminal. Every line is redacted (see core/redacting-logger.ts).
 */
export function createLogger(options: LoggerOptions): Logger {
  return redactingLogger(createPinoLogger(options));
}

function createPinoLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    return pino(
      { level: options.level, base: undefined },
      PinoPretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, ignore: "pid,hostname", translateTime: "HH:MM:ss.l" }),
    );
  }
  return pino({ level: options.level, base: undefined }, pino.destination({ dest: 2, sync: true }));
}
