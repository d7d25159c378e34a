import type { Logger } from "../core/logger.js";

/**
 * After this long a snapshot step still waiting is worth a warning: a chunk is read and written
 * in well under a second, and nothing else would show that the copy is not moving (its
 * progress lines count documents copied, and a step that waits copies none).
 */
export const SLOW_STEP_MS = 60_000;

/** After how long a step that waits on each side is worth a warning, in milliseconds; `Infinity` for never. */
export interface SlowStepLimits {
  /** MongoDB: the start position, a collection's count and split, a range's next chunk. */
  readonly reads: number;
  /** The target: a chunk written and committed. */
  readonly writes: number;
}

export const DEFAULT_SLOW_STEP_LIMITS: SlowStepLimits = Object.freeze({ reads: SLOW_STEP_MS, writes: SLOW_STEP_MS });

const BUSY_MONGODB = "MongoDB has not answered: look for a primary too busy to answer, or members down or lagging in rs.status()";

/**
 * The steps that can wait: the side each waits on, and what usually holds it up. A range's reads
 * are at read concern `majority` after the snapshot's start (`SNAPSHOT_READ`,
 * src/source/snapshot-reads.ts), and the server answers them once its majority commit point has
 * passed that time, not before, however long that takes: mongodb/mongo's jstests stop
 * replication to the secondaries and see such a find end only by its `maxTimeMS`, then succeed
 * once replication restarts.
 */
const STEPS = {
  start: { side: "reads", what: "fixing the snapshot's start", hint: BUSY_MONGODB },
  plan: { side: "reads", what: "planning the ranges", hint: BUSY_MONGODB },
  read: {
    side: "reads",
    what: "reading a chunk",
    hint: "MongoDB answers a snapshot read (read concern majority) only once a majority of the replica set's data-bearing members hold the snapshot's start: look for members down or lagging in rs.status(), or a primary too busy to answer",
  },
  write: {
    side: "writes",
    what: "writing a chunk",
    hint: "the target has not committed the chunk: a lock another session holds on the table (PostgreSQL: pg_stat_activity, wait_event_type 'Lock'), or a target too busy; a PostgreSQL statement is cut and retried after target.queryTimeoutMs",
  },
} as const satisfies Record<string, { side: keyof SlowStepLimits; what: string; hint: string }>;

/** A step of a snapshot that can wait, as its warning names it. */
export interface SnapshotStep {
  readonly kind: keyof typeof STEPS;
  readonly collection?: string;
  readonly rangeNo?: number;
}

/**
 * `work`, watched: once it has waited as long as `limits` allow its side without settling, a
 * warning says what waits, on which side and what usually causes it; when it settles after that,
 * a line says after how long, so the log shows when the copy moved again.
 */
export async function watchSlowStep<T>(work: Promise<T>, step: SnapshotStep, limits: SlowStepLimits, logger: Logger): Promise<T> {
  const { side, what, hint } = STEPS[step.kind];
  const afterMs = limits[side];
  if (!Number.isFinite(afterMs)) return work;
  const started = performance.now();
  const where = { ...(step.collection === undefined ? {} : { collection: step.collection }), ...(step.rangeNo === undefined ? {} : { rangeNo: step.rangeNo }) };
  const on = side === "reads" ? "MongoDB" : "the target";
  let warned = false;
  const timer = setTimeout(() => {
    warned = true;
    const seconds = Math.round(afterMs / 1000);
    logger.warn({ ...where, waitedSeconds: seconds, hint }, `snapshot: ${what} has waited ${seconds} s for ${on}`);
  }, afterMs);
  // A warning alone must not keep the process alive.
  timer.unref();
  try {
    return await work;
  } finally {
    clearTimeout(timer);
    if (warned) logger.info({ ...where, waitedSeconds: Math.round((performance.now() - started) / 1000) }, `snapshot: ${what} waited for ${on} and has ended`);
  }
}

/** `items`, each wait for the next one watched as {@link watchSlowStep} watches a step; `items` is closed when the caller leaves early. */
export async function* watchSlowItems<T>(items: AsyncIterable<T>, step: SnapshotStep, limits: SlowStepLimits, logger: Logger): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await watchSlowStep(iterator.next(), step, limits, logger).catch((error: unknown) => {
        finished = true;
        throw error;
      });
      if (next.done === true) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!finished) await iterator.return?.();
  }
}
