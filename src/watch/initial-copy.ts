import type { ChangeEvent } from "../core/change-event.js";
import type { Logger } from "../core/logger.js";
import type { Position } from "../core/position.js";
import type { SnapshotSource } from "../core/snapshot-contract.js";
import { EventSnapshotTarget } from "../snapshot/event-snapshot-target.js";
import { runSnapshot } from "../snapshot/snapshot-runner.js";
import { DEFAULT_SLOW_STEP_LIMITS } from "../snapshot/slow-step.js";
import type { WatchItem } from "./deliveries.js";

/** What the initial copy reads (`copy`, defaults applied). */
export interface CopySettings {
  /** Namespace globs of the collections to copy. */
  readonly collections: readonly string[];
  /** `_id` ranges read at once. */
  readonly parallelism: number;
  /** Documents per read. */
  readonly chunkSize: number;
}

/** What the copy did, once every copied document is handled. @public */
export interface CopyOutcome {
  /** The collections copied, `db.coll`. */
  readonly collections: readonly string[];
  /** Documents delivered. */
  readonly documents: number;
  /** True when nothing was copied because `resumePoints` held a position: an earlier watcher's copy was done. */
  readonly resumed: boolean;
}

/** Documents per `_id` range: a collection is read in `estimated / RANGE_SIZE` ranges (as the sync's default). */
const RANGE_SIZE = 100_000;

/**
 * The initial copy as watch items: every document of the chosen collections as an `insert`
 * marked `source: "snapshot"`, read by the sync's snapshot machinery (`_id` ranges in parallel,
 * each read at or after `start`), then `copied` at `start`, where the stream continues. Chunks
 * are handed over one at a time per range: a range reads on only once its chunk is taken.
 * `onCopied` is told when `copied` is passed (every copied document handled).
 */
export async function* copyItems(
  source: SnapshotSource,
  start: Position,
  settings: CopySettings,
  context: { readonly signal: AbortSignal; readonly logger: Logger; readonly onCopied: (outcome: CopyOutcome) => void },
): AsyncGenerator<WatchItem, void, undefined> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  context.signal.addEventListener("abort", onAbort, { once: true });
  const handover = new Handover<readonly ChangeEvent[]>(stop.signal);
  // The stream continues from `start`: the copy reads as of then or later, never earlier.
  const fixed: SnapshotSource = {
    listCollections: () => source.listCollections(),
    startPosition: () => Promise.resolve(start),
    estimateCount: (namespace) => source.estimateCount(namespace),
    planRanges: (namespace, count) => source.planRanges(namespace, count),
    readRange: (namespace, range, chunkSize, signal, startedAt) => source.readRange(namespace, range, chunkSize, signal, startedAt),
  };
  const run = runSnapshot(fixed, new EventSnapshotTarget((events) => handover.put(events)), {
    mode: "always",
    parallelism: settings.parallelism,
    chunkSize: settings.chunkSize,
    rangeSize: RANGE_SIZE,
    logger: context.logger,
    signal: stop.signal,
    // The copy's writes wait for the program's own handler, which sets the pace.
    slowSteps: { ...DEFAULT_SLOW_STEP_LIMITS, writes: Number.POSITIVE_INFINITY },
  }).finally(() => handover.end());
  // Its failure is thrown below; until then it must not count as unhandled.
  run.catch(() => undefined);
  try {
    for (;;) {
      const events = await handover.take();
      if (events === undefined) break;
      for (const event of events) yield { kind: "event", event };
    }
    const outcome = await run;
    if (!outcome.complete) return;
    const collections = outcome.copied;
    yield { kind: "copied", position: start, onPassed: () => context.onCopied({ collections, documents: outcome.documents, resumed: false }) };
  } finally {
    stop.abort();
    context.signal.removeEventListener("abort", onAbort);
    await run.catch(() => undefined);
  }
}

/**
 * Chunks handed from the copy's ranges to the one reader: `put` resolves once the reader has
 * taken the chunk (or the copy stops), so no range runs ahead of what is handled.
 */
class Handover<T> {
  private readonly waiting: { value: T; taken: () => void }[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener("abort", () => this.release(), { once: true });
  }

  put(value: T): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push({ value, taken: resolve });
      this.wake?.();
    });
  }

  /** The next chunk; `undefined` once the copy has ended or stopped. */
  async take(): Promise<T | undefined> {
    for (;;) {
      const next = this.waiting.shift();
      if (next !== undefined) {
        next.taken();
        return next.value;
      }
      if (this.ended || this.signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /** The copy has ended: no more chunks. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Stopping: writers go on without waiting (their ranges end at the signal), the reader stops. */
  private release(): void {
    for (const each of this.waiting.splice(0)) each.taken();
    this.wake?.();
  }
}
