import type { Logger } from "../core/logger.js";
import { formatProgressTable } from "./progress-format.js";
import type { CopyFigures, SnapshotProgress } from "./snapshot-progress.js";

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

export interface ProgressReporter {
  /**
   * `options.logger`, made safe to use while the live display is drawn: each line is written
   * above the display instead of through it. Give it to whatever logs during the snapshot.
   * Its lines must be written synchronously (as `createLogger`'s are).
   */
  readonly logger: Logger;
  /** Stops reporting: leaves the final display on screen, or logs a summary line per collection. */
  stop(): void;
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

function startProgressLog(progress: SnapshotProgress, options: ProgressReporterOptions): ProgressReporter {
  const { logger } = options;
  let stopped = false;
  const report = (): void => {
    const { collections, total } = progress.snapshot();
    if (collections.every((each) => each.done)) return;
    for (const each of collections) {
      if (!each.done && each.copied > each.alreadyCopied) logger.info({ collection: each.namespace, ...progressFields(each) }, "snapshot progress");
    }
    if (collections.length > 1) {
      logger.info({ collections: collections.length, collectionsDone: collections.filter((each) => each.done).length, ...progressFields(total) }, "snapshot progress total");
    }
  };
  const timer = setInterval(report, options.intervalMs ?? 5_000);
  timer.unref();
  return {
    logger,
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      const { collections, total } = progress.snapshot();
      for (const each of collections) logger.info({ collection: each.namespace, ...summaryFields(each) }, "snapshot summary");
      if (collections.length > 1) {
        logger.info({ collections: collections.length, collectionsDone: collections.filter((each) => each.done).length, ...summaryFields(total) }, "snapshot summary total");
      }
    },
  };
}

function progressFields(figures: CopyFigures): Record<string, number | undefined> {
  const { copied, estimated, percent, docsPerSecond, etaSeconds } = figures;
  return { copied, estimated, percent, docsPerSecond, etaSeconds };
}

function summaryFields(figures: CopyFigures): Record<string, number | boolean | undefined> {
  const { done, copied, estimated, percent, alreadyCopied } = figures;
  return {
    done,
    copied,
    ...(done ? {} : { estimated, percent }),
    ...(alreadyCopied > 0 ? { alreadyCopied } : {}),
    seconds: Math.round(figures.elapsedMs / 100) / 10,
    docsPerSecond: figures.averageDocsPerSecond,
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
