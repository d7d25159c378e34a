import type { Logger } from "../core/logger.js";
import { formatProgressTable } from "./progress-format.js";
import type { SnapshotProgress } from "../snapshot/snapshot-progress.js";
import { startProgressLog, type ProgressReporter } from "../snapshot/progress-log.js";

/** Where the live display goes: a terminal (`process.stderr`) or any stream. */
export type ProgressOutput = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

export interface ProgressReporterOptions {
  readonly output: ProgressOutput;
  /** Where progress lines go when the output is not a terminal. */
  readonly logger: Logger;
  /** Without a terminal: milliseconds between progress log lines (5 s by default). */
  readonly intervalMs?: number;
  /** On a terminal: milliseconds between redraws of the live display (0.5 s by default). */
  readonly refreshMs?: number;
  /** Whether to draw in place; by default, when the output is a terminal that understands cursor moves. */
  readonly interactive?: boolean;
}


const CLEAR_LINE = "\x1b[2K";
const CLEAR_BELOW = "\x1b[J";
const up = (lines: number): string => (lines > 0 ? `\x1b[${lines}A` : "");

/**
 * Shows a snapshot's progress until stopped. On a terminal, a live display redrawn in place:
 * per collection, documents done out of the estimate, the rate, the time left. Otherwise (logs
 * collected by a service manager, CI), a `snapshot progress` log line per collection being
 * copied every `intervalMs`, and a `snapshot summary` per collection at the end.
 */
/** The terminal display of a snapshot's progress, or its log lines away from a terminal. */
export function startProgressReporter(progress: SnapshotProgress, options: ProgressReporterOptions): ProgressReporter {
  const interactive = options.interactive ?? (options.output.isTTY === true && process.env.TERM !== "dumb");
  return interactive ? startLiveDisplay(progress, options) : startProgressLog(progress, options);
}

function startLiveDisplay(progress: SnapshotProgress, options: ProgressReporterOptions): ProgressReporter {
  const { output } = options;
  let height = 0;
  let shown: readonly string[] = [];
  let stopped = false;
  const draw = (final: boolean): void => {
    const lines = formatProgressTable(progress.snapshot(), { columns: output.columns, maxLines: output.rows === undefined ? undefined : output.rows - 1, final });
    if (lines.length === 0 || (lines.length === height && lines.every((line, index) => line === shown[index]))) return;
    // `\r` first: a stray write (the terminal's echo of ^C) may have left the cursor mid-line.
    output.write(`\r${up(height)}${lines.map((line) => `${CLEAR_LINE}${line}\n`).join("")}${CLEAR_BELOW}`);
    height = lines.length;
    shown = lines;
  };
  const aroundLine = (write: () => void): void => {
    if (stopped || height === 0) return write();
    output.write(`\r${up(height)}${CLEAR_BELOW}`);
    height = 0;
    write();
    draw(false);
  };
  const timer = setInterval(() => draw(false), options.refreshMs ?? 500);
  timer.unref();
  return {
    logger: aroundLogLines(options.logger, aroundLine),
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      draw(true);
    },
  };
}

const LEVELS: ReadonlySet<string> = new Set(["fatal", "error", "warn", "info", "debug", "trace"]);

/** `logger`, with every line it writes (its children's too) passed through `around`. */
function aroundLogLines(logger: Logger, around: (write: () => void) => void): Logger {
  return new Proxy(logger, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === "child") return (...args: unknown[]) => aroundLogLines(method.apply(target, args) as Logger, around);
      if (typeof property === "string" && LEVELS.has(property)) {
        return (...args: unknown[]): void => {
          // Disabled levels write nothing: no reason to redraw.
          if (target.isLevelEnabled?.(property) ?? true) around(() => method.apply(target, args));
        };
      }
      return value;
    },
  });
}
