import type { Logger } from "../core/logger.js";
import { comparePositions, positionDate, type Position } from "../core/position.js";
import { runParallel } from "./run-parallel.js";
import { snapshotEvents } from "./snapshot-events.js";
import type { CollectionSnapshotState, IdRange, SnapshotChunk, SnapshotSource, SnapshotTarget } from "../core/snapshot-contract.js";
import { selectSnapshotWork, type SnapshotMode } from "./snapshot-mode.js";
import type { SnapshotProgress } from "./snapshot-progress.js";
import { DEFAULT_SLOW_STEP_LIMITS, watchSlowItems, watchSlowStep, type SlowStepLimits, type SnapshotStep } from "./slow-step.js";

/** @internal */
export interface SnapshotSettings {
  readonly mode: SnapshotMode;
  /** Ranges copied at once, across all collections. */
  readonly parallelism: number;
  /** Documents per chunk: read in one go, written and committed in one transaction. */
  readonly chunkSize: number;
  /** About this many documents per `_id` range; a collection gets `estimated / rangeSize` ranges. */
  readonly rangeSize: number;
}

/** @internal */
export interface SnapshotRunOptions extends SnapshotSettings {
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly progress?: SnapshotProgress;
  /**
   * After how long a step still waiting on MongoDB or on the target is worth a warning
   * ({@link DEFAULT_SLOW_STEP_LIMITS} by default); a target that is a consumer setting its own
   * pace (a watch's handler) gives `writes: Infinity`.
   */
  readonly slowSteps?: SlowStepLimits;
}

/** What a snapshot run did. @internal */
export interface SnapshotOutcome {
  /** Collections whose snapshot completed in this run. */
  readonly copied: readonly string[];
  /** Documents written in this run. */
  readonly documents: number;
  /** False when the run was stopped (by the signal) before every collection was complete. */
  readonly complete: boolean;
  /**
   * The earliest position a snapshot of an included collection started at: where streaming
   * must take over when the pipeline has no stream position of its own yet.
   */
  readonly handover: Position | undefined;
}

/** One range to copy: where it starts again (a resumed range continues after its committed chunks). */
interface RangeWork {
  readonly namespace: string;
  readonly rangeNo: number;
  readonly range: IdRange;
  readonly startedAt: Position;
}

const MAX_RANGES_PER_COLLECTION = 1_000;

/**
 * Copies the collections that the mode selects from `source` into `target`. Before anything is
 * read, the position to stream from afterwards is fixed; each collection is split into `_id`
 * ranges chosen from the data, the ranges of all collections are copied `parallelism` at a time,
 * and a range's progress is committed with its rows, so a restart continues with what is left.
 * Changes made while the snapshot runs are applied by the stream afterwards (applies are
 * idempotent by key, so the overlap is harmless).
 * @internal
 */
export async function runSnapshot(source: SnapshotSource, target: SnapshotTarget, options: SnapshotRunOptions): Promise<SnapshotOutcome> {
  const included = await watched(source.listCollections(), { kind: "list" }, options);
  const stored = await watched(target.loadSnapshots(), { kind: "load" }, options);
  const work = selectSnapshotWork(options.mode, included, stored);
  let startedAt: Position | undefined;
  const ranges: RangeWork[][] = [];
  for (const each of work) {
    if (each.kind === "resume") {
      ranges.push(resumeRanges(each.state, options));
      continue;
    }
    // Fixed before anything is read: every change after it reaches the target through the stream.
    startedAt ??= await watched(source.startPosition(), { kind: "start" }, options);
    ranges.push(await startRanges(each.namespace, startedAt, source, target, options));
  }
  if (work.length > 0) {
    options.logger.info(
      { collections: work.length, resumed: work.filter((each) => each.kind === "resume").length, startedAt: startedAt ? positionDate(startedAt).toISOString() : undefined, parallelism: options.parallelism },
      "snapshot starting",
    );
  }
  const copied = new Set<string>();
  // A collection is finished as soon as its last range commits, not when every collection is.
  const finish = async (namespace: string): Promise<void> => {
    await watched(target.finishSnapshot(namespace), { kind: "record", collection: namespace }, options);
    options.progress?.finishCollection(namespace);
    options.logger.info({ collection: namespace }, "snapshot of collection complete");
    copied.add(namespace);
  };
  const rangesLeft = new Map(work.map((each, index) => [each.namespace, ranges[index]?.length ?? 0]));
  for (const [namespace, left] of rangesLeft) if (left === 0) await finish(namespace);
  const documents = await copyRanges(interleave(ranges), source, target, options, async (range) => {
    const left = (rangesLeft.get(range.namespace) ?? 1) - 1;
    rangesLeft.set(range.namespace, left);
    if (left === 0) await finish(range.namespace);
  });
  const complete = !options.signal.aborted && copied.size === work.length;
  // A collection started in this run hands over at this run's start, not at the one its
  // replaced state (loaded before) held: a re-copy after lost history must not hand over at
  // the old, lost position again.
  const startedNow = new Set(work.flatMap((each) => (each.kind === "start" ? [each.namespace] : [])));
  const starts = included.flatMap((namespace) => {
    const at = startedNow.has(namespace) ? startedAt : stored.get(namespace)?.startedAt;
    return at ? [at] : [];
  });
  const inOrder = work.flatMap((each) => (copied.has(each.namespace) ? [each.namespace] : []));
  return { copied: inOrder, documents, complete, handover: starts.sort(comparePositions)[0] };
}

/** Plans a new snapshot of a collection from its data and records it; returns its ranges. */
async function startRanges(namespace: string, startedAt: Position, source: SnapshotSource, target: SnapshotTarget, options: SnapshotRunOptions): Promise<RangeWork[]> {
  const planning: SnapshotStep = { kind: "plan", collection: namespace };
  const estimated = await watched(source.estimateCount(namespace), planning, options);
  const count = Math.min(MAX_RANGES_PER_COLLECTION, Math.max(1, Math.ceil(estimated / options.rangeSize)));
  const planned = count > 1 ? await watched(source.planRanges(namespace, count), planning, options) : [{}];
  await watched(target.startSnapshot({ namespace, startedAt, estimated, ranges: planned }), { kind: "record", collection: namespace }, options);
  options.progress?.addCollection(namespace, { estimated, alreadyCopied: 0 });
  options.logger.info({ collection: namespace, estimated, ranges: planned.length }, "snapshot of collection planned");
  return planned.map((range, rangeNo) => ({ namespace, rangeNo, range, startedAt }));
}

/** The unfinished ranges of a snapshot cut short, each from its last committed chunk. */
function resumeRanges(state: CollectionSnapshotState, options: SnapshotRunOptions): RangeWork[] {
  const copied = state.ranges.reduce((sum, range) => sum + range.copied, 0);
  options.progress?.addCollection(state.namespace, { estimated: state.estimated, alreadyCopied: copied });
  const left = state.ranges.filter((range) => !range.done);
  options.logger.info({ collection: state.namespace, copied, rangesLeft: left.length, ranges: state.ranges.length }, "snapshot of collection continues");
  return left.map((range) => ({
    namespace: state.namespace,
    rangeNo: range.rangeNo,
    range: range.resumeFrom === undefined ? range.range : { ...range.range, lower: range.resumeFrom },
    startedAt: state.startedAt,
  }));
}

/** Copies the ranges, `parallelism` at a time, calling `onRangeDone` as each completes; returns the documents written. */
async function copyRanges(ranges: readonly RangeWork[], source: SnapshotSource, target: SnapshotTarget, options: SnapshotRunOptions, onRangeDone: (range: RangeWork) => Promise<void>): Promise<number> {
  let documents = 0;
  await runParallel(
    ranges,
    options.parallelism,
    async (range, signal) => {
      const where = { collection: range.namespace, rangeNo: range.rangeNo };
      const chunks = watchSlowItems(source.readRange(range.namespace, range.range, options.chunkSize, signal, range.startedAt), { kind: "read", ...where }, limitsOf(options), options.logger);
      const write = (chunk: SnapshotChunk): Promise<void> => watched(target.writeChunk(chunk), { kind: "write", ...where }, options);
      for await (const chunk of chunks) {
        await write({ namespace: range.namespace, rangeNo: range.rangeNo, events: snapshotEvents(range.namespace, chunk, range.startedAt), last: false, startedAt: range.startedAt });
        documents += chunk.length;
        options.progress?.recordCopied(range.namespace, chunk.length);
        // A stop lets the chunk in hand commit, then leaves the rest of the range for the next start.
        if (signal.aborted) return;
      }
      if (signal.aborted) return;
      await write({ namespace: range.namespace, rangeNo: range.rangeNo, events: [], last: true, startedAt: range.startedAt });
      await onRangeDone(range);
    },
    options.signal,
  );
  if (ranges.length > 0) options.logger.info({ documents, stopped: options.signal.aborted }, "snapshot copy ended");
  return documents;
}

function limitsOf(options: SnapshotRunOptions): SlowStepLimits {
  return options.slowSteps ?? DEFAULT_SLOW_STEP_LIMITS;
}

/** `work`, with a warning should it wait long ({@link watchSlowStep}). */
function watched<T>(work: Promise<T>, step: SnapshotStep, options: SnapshotRunOptions): Promise<T> {
  return watchSlowStep(work, step, limitsOf(options), options.logger);
}

/** The ranges of all collections taken in turn, so that several collections are copied at once. */
function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const result: T[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let index = 0; index < longest; index += 1) for (const list of lists) if (index < list.length) result.push(list[index] as T);
  return result;
}
