import type { TributaryConfig } from "../config/config-schema.js";
import type { VerifyConfig } from "../config/verify-schema.js";
import type { Logger } from "../core/logger.js";
import type { VerifiedCollection, VerifyBoard, VerifyRunSummary } from "../observability/verify-board.js";
import type { VerifyOutcome } from "../verify/run-verify.js";

/** How long a periodic run waits for the sync to pass the time it read differing keys, before re-checking them. */
const SETTLE_TIMEOUT_MS = 60_000;

/**
 * The periodic verify of a sync's pipeline (`verify` in the config): each run builds and opens the
 * pipeline's verifiable sinks and a MongoDB client of its own, with `verify.parallelism` ranges
 * read at once. Does nothing without `verify.interval`.
 */
export function pipelinePeriodicVerify(config: TributaryConfig, logger: Logger, board?: VerifyBoard): PeriodicVerify {
  const settings = config.verify;
  const verifyLogger = logger.child({ component: "verify" });
  const verifyOnce = async (signal: AbortSignal): Promise<VerifyOutcome> => {
    // Loaded on first use, as the sync's own drivers are.
    const { verifyPipeline } = await import("./verify-run.js");
    return verifyPipeline(config, verifyLogger, {
      settings: {
        parallelism: settings.parallelism,
        chunkSize: config.snapshot.chunkSize,
        rangeSize: config.snapshot.rangeSize,
        ...(settings.sample === undefined ? {} : { sampleRanges: settings.sample }),
        settleTimeoutMs: SETTLE_TIMEOUT_MS,
        repair: settings.repair,
        maxDifferences: settings.maxDifferences,
      },
      collections: settings.collections,
      signal,
    });
  };
  return periodicVerify(settings, verifyOnce, verifyLogger, board);
}

/** A periodic verify, told when the sync starts streaming and stopped with it. */
export interface PeriodicVerify {
  /** The sync streams: the first run is due one interval from now (later calls do nothing). */
  streaming(): void;
  /** Stops the timer, and a run in progress (it ends at its next step); resolves once it has. */
  stop(): Promise<void>;
}

/**
 * While `tributary sync` streams, verifies the copy every `verify.interval`: each run verifies as
 * `tributary verify` does (live-safe: differing keys are re-checked once the sync has passed the
 * time they were read, and repaired only with `verify.repair`), logs one line per collection that
 * differs (a warning) or one that all are equal, and hands the outcome to the status board. Runs
 * never overlap: the next is due one interval after a run ends. A failed run is logged and
 * counted; the sync goes on.
 */
export function periodicVerify(settings: VerifyConfig, verifyOnce: (signal: AbortSignal) => Promise<VerifyOutcome>, logger: Logger, board?: VerifyBoard): PeriodicVerify {
  const interval = settings.interval;
  if (interval === undefined) return { streaming: () => undefined, stop: () => Promise.resolve() };
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let begun = false;

  const runOnce = async (): Promise<void> => {
    const started = new Date();
    board?.started();
    logger.info({ collections: settings.collections.length > 0 ? settings.collections : "all", sample: settings.sample ?? "every range", repair: settings.repair }, "periodic verify started");
    let summary: VerifyRunSummary;
    try {
      const outcome = await verifyOnce(stopping.signal);
      // Stopped with the sync: a run cut short proves nothing either way.
      if (stopping.signal.aborted) return;
      summary = summarize(outcome, started);
      logOutcome(summary, logger);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      summary = { startedAt: started.toISOString(), finishedAt: new Date().toISOString(), durationMs: Date.now() - started.getTime(), result: "failed", error: message, collections: [] };
      logger.warn({ err: message }, "periodic verify failed; the next run is due in one interval");
    }
    board?.finished(summary);
  };

  const schedule = (): void => {
    if (stopping.signal.aborted) return;
    board?.scheduled(interval, new Date(Date.now() + interval));
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined;
        schedule();
      });
    }, interval);
    timer.unref();
  };

  return {
    streaming() {
      if (begun) return;
      begun = true;
      schedule();
    },
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

function summarize(outcome: VerifyOutcome, started: Date): VerifyRunSummary {
  const collections: VerifiedCollection[] = outcome.collections.map((each) => ({
    namespace: each.namespace,
    sink: each.sink,
    equal: each.equal,
    documents: each.documents,
    differences: each.differenceCount,
    differenceCounts: each.differenceCounts,
    expectedMissing: each.expectedMissingCount,
    rechecked: each.recheck?.keys ?? 0,
    resolved: each.recheck?.resolved.length ?? 0,
    ...(each.recheck?.skipped === undefined ? {} : { recheckSkipped: each.recheck.skipped }),
    ...(each.repair ? { repaired: each.repair.keys } : {}),
  }));
  const finished = new Date();
  return { startedAt: started.toISOString(), finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime(), result: outcome.equal ? "equal" : "different", collections };
}

function logOutcome(summary: VerifyRunSummary, logger: Logger): void {
  const differing = summary.collections.filter((each) => !each.equal);
  for (const each of differing) {
    logger.warn(
      { collection: each.namespace, sink: each.sink, ...each.differenceCounts, rechecked: each.rechecked, ...(each.recheckSkipped ? { recheckSkipped: each.recheckSkipped } : {}), ...(each.repaired === undefined ? {} : { repaired: each.repaired }) },
      `periodic verify: ${each.differences} key(s) of ${each.namespace} differ from MongoDB in ${each.sink}; tributary verify --config … lists them`,
    );
  }
  if (differing.length === 0) logger.info({ collections: summary.collections.length, durationMs: summary.durationMs }, "periodic verify: every verified collection is equal to MongoDB");
}
