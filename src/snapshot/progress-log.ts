import type { Logger } from "../core/logger.js";
import type { CopyFigures, SnapshotProgress } from "./snapshot-progress.js";

/** Shows a snapshot's progress until stopped. */
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

/** Where progress lines go, and how often. */
export interface ProgressLogOptions {
  readonly logger: Logger;
  /** Milliseconds between progress log lines (5 s by default). */
  readonly intervalMs?: number;
}

/**
 * A snapshot's progress as log lines: a `snapshot progress` line per collection being copied
 * every `intervalMs`, and a `snapshot summary` per collection at the end. What the library does
 * on its own; the CLI draws a live display instead on a terminal.
 */
export function startProgressLog(progress: SnapshotProgress, options: ProgressLogOptions): ProgressReporter {
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

