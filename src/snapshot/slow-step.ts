import type { Logger } from "../core/logger.js";

/**
 * After this long a snapshot step still waiting is worth a warning: a chunk is read and written
 * in well under a second, and nothing else would show that the copy is not moving (its
 * progress lines count documents copied, and a step that waits copies none).
 */
const SLOW_STEP_MS = 60_000;

/** After how long a step that waits on each side is worth a warning, in milliseconds; `Infinity` for never. */
export interface SlowStepLimits {
  /** MongoDB: the collections, the start position, a collection's count and split, a range's next chunk. */
  readonly reads: number;
  /** The target: the snapshot's stored progress loaded or recorded, a chunk written and committed. */
  readonly writes: number;
}

export const DEFAULT_SLOW_STEP_LIMITS: SlowStepLimits = Object.freeze({ reads: SLOW_STEP_MS, writes: SLOW_STEP_MS });

/** Node runs a timer of a longer delay after 1 ms: such a limit means never. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** These reads take no read concern that waits for the replica set's other members. */
const BUSY = "MongoDB has not answered: look for a server too busy to answer, or a network in the way";

/**
 * A range's reads are at read concern `majority` after the snapshot's start (`SNAPSHOT_READ`,
 * src/source/snapshot-reads.ts), and the server answers them once its majority commit point has
 * passed that time, not before, however long that takes: mongodb/mongo's jstest "causally
 * consistent majority-committed reads will wait for the majority commit point to move past
 * 'afterClusterTime'" stops replication to the secondaries and sees such a find end only by its
 * `maxTimeMS`, then succeed once replication restarts. The commit point needs a majority of the
 * voting members, and arbiters hold no data.
 */
const MAJORITY =
  "MongoDB answers a snapshot read (read concern majority) only once the snapshot's start is majority-committed, held by a majority of the replica set's voting members (arbiters hold no data): look in rs.status() for data-bearing members down or lagging that such a majority needs, or a primary too busy to answer";

const TARGET =
  "the target has not answered: with PostgreSQL most often a lock another session holds on the table (pg_stat_activity, wait_event_type 'Lock', and pg_blocking_pids), otherwise a target too busy or not answering";

/** The steps that can wait: the side each waits on, and what usually holds it up. */
const STEPS = {
  list: { side: "reads", what: "listing the collections", hint: BUSY },
  start: { side: "reads", what: "fixing the snapshot's start", hint: BUSY },
  plan: { side: "reads", what: "planning the ranges", hint: BUSY },
  read: { side: "reads", what: "reading a chunk", hint: MAJORITY },
  load: { side: "writes", what: "loading the snapshot's progress", hint: TARGET },
  record: { side: "writes", what: "recording the snapshot's progress", hint: TARGET },
  write: { side: "writes", what: "writing a chunk", hint: TARGET },
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
  if (!(afterMs < LONGEST_TIMER_MS)) return work;
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
