import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";

/** The figures of one collection (or of all of them together), as a progress display shows them. */
export interface CopyFigures {
  /** Documents committed, including those an earlier run committed before this one resumed. */
  readonly copied: number;
  /** Of `copied`, those an earlier run committed: they do not count toward the rate. */
  readonly alreadyCopied: number;
  /**
   * The estimated size, never below `copied` (an estimate from collection metadata can be too
   * low), and equal to `copied` once done (or too high).
   */
  readonly estimated: number;
  /** Whole percent of `estimated` copied, 0–100; 100 only once done. */
  readonly percent: number;
  /**
   * Documents per second, rounded: while copying, over the last few seconds (so it tells how fast
   * the copy goes now); once done, the average of this run. Unknown during the first second.
   */
  readonly docsPerSecond: number | undefined;
  /** Documents per second over this run, from its first chunk until done (or now), rounded; unknown during the first second. */
  readonly averageDocsPerSecond: number | undefined;
  /** Seconds left at the current rate, rounded up: 0 once done; unknown while the rate is unknown or 0. */
  readonly etaSeconds: number | undefined;
  readonly done: boolean;
  /** Milliseconds since this run committed its first chunk (until done); 0 before. */
  readonly elapsedMs: number;
}

export interface CollectionFigures extends CopyFigures {
  readonly namespace: string;
}

/** Every collection in the order added, and their sum. */
export interface ProgressFigures {
  readonly collections: readonly CollectionFigures[];
  /** The sum of every collection; done once every collection is (and there is at least one). */
  readonly total: CopyFigures;
}

export interface SnapshotProgressOptions {
  /** The clock, in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
  /** How far back the rate looks, in milliseconds (10 s by default). */
  readonly windowMs?: number;
}

const DEFAULT_WINDOW_MS = 10_000;
/** Below this span, a rate says more about when chunks happened to land than about the copy's speed. */
const MIN_RATE_SPAN_MS = 1_000;

/**
 * Documents counted over a sliding window. The first chunk only starts the clock: its
 * documents were read before it, in a time this window never saw, so counting them would make
 * the first rates far too high.
 */
class RateWindow {
  private origin: number | undefined;
  private afterOrigin = 0;
  private readonly samples: { at: number; count: number }[] = [];
  private head = 0;
  private inWindow = 0;

  constructor(private readonly windowMs: number) {}

  /** When the first chunk was recorded. */
  get startedAt(): number | undefined {
    return this.origin;
  }

  record(at: number, count: number): void {
    if (this.origin === undefined) {
      this.origin = at;
      return;
    }
    this.samples.push({ at, count });
    this.inWindow += count;
    this.afterOrigin += count;
  }

  /** Documents per second over the window ending at `now`. */
  current(now: number): number | undefined {
    if (this.origin === undefined || now - this.origin < MIN_RATE_SPAN_MS) return undefined;
    this.prune(now);
    return (this.inWindow * 1000) / Math.min(this.windowMs, now - this.origin);
  }

  /** Documents per second from the first chunk to `end`. */
  average(end: number): number | undefined {
    if (this.origin === undefined || end - this.origin < MIN_RATE_SPAN_MS) return undefined;
    return (this.afterOrigin * 1000) / (end - this.origin);
  }

  private prune(now: number): void {
    for (let sample = this.samples[this.head]; sample !== undefined && sample.at < now - this.windowMs; sample = this.samples[this.head]) {
      this.inWindow -= sample.count;
      this.head += 1;
    }
    // Drops the expired samples from the array once they are most of it: memory stays bounded by the window.
    if (this.head > 64 && this.head * 2 > this.samples.length) {
      this.samples.splice(0, this.head);
      this.head = 0;
    }
  }
}

interface CollectionEntry {
  readonly namespace: string;
  readonly estimated: number;
  readonly alreadyCopied: number;
  copiedNow: number;
  readonly rate: RateWindow;
  finishedAt: number | undefined;
}

/**
 * Counts what a snapshot copies, per collection, for a progress display: documents done out of
 * the estimate, the rate over the last seconds, the time left. Pure bookkeeping with its own
 * clock; {@link startProgressReporter} shows it.
 */
export class SnapshotProgress {
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly collections = new Map<string, CollectionEntry>();
  private readonly total: RateWindow;

  constructor(options: SnapshotProgressOptions = {}) {
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.total = new RateWindow(this.windowMs);
  }

  /**
   * Starts counting a collection. A resumed snapshot passes what earlier runs committed as
   * `alreadyCopied`: it counts as copied, not toward the rate. Adding a collection again starts
   * its count afresh (a snapshot started over).
   */
  addCollection(namespace: string, counts: { readonly estimated: number; readonly alreadyCopied: number }): void {
    this.collections.set(namespace, {
      namespace,
      estimated: Math.max(0, counts.estimated),
      alreadyCopied: counts.alreadyCopied,
      copiedNow: 0,
      rate: new RateWindow(this.windowMs),
      finishedAt: undefined,
    });
  }

  /** Counts `count` documents of the collection as committed now. */
  recordCopied(namespace: string, count: number): void {
    if (count <= 0) return;
    const entry = this.entry(namespace);
    const at = this.now();
    entry.copiedNow += count;
    entry.rate.record(at, count);
    this.total.record(at, count);
  }

  /** Marks the collection's snapshot complete: its estimate becomes what was copied. */
  finishCollection(namespace: string): void {
    const entry = this.entry(namespace);
    entry.finishedAt ??= this.now();
  }

  /** The figures now. */
  snapshot(): ProgressFigures {
    const now = this.now();
    const entries = [...this.collections.values()];
    const collections = entries.map((entry) => ({ namespace: entry.namespace, ...collectionFigures(entry, now) }));
    const done = entries.length > 0 && entries.every((entry) => entry.finishedAt !== undefined);
    const end = done ? Math.max(...entries.map((entry) => entry.finishedAt ?? now)) : now;
    const sum = (pick: (each: CopyFigures) => number): number => collections.reduce((total, each) => total + pick(each), 0);
    const total = figures({
      copied: sum((each) => each.copied),
      alreadyCopied: sum((each) => each.alreadyCopied),
      estimated: sum((each) => each.estimated),
      done,
      rate: this.total.current(now),
      average: this.total.average(end),
      startedAt: this.total.startedAt,
      end,
    });
    return { collections, total };
  }

  private entry(namespace: string): CollectionEntry {
    const entry = this.collections.get(namespace);
    if (!entry) {
      throw new TributaryError(ErrorCode.SnapshotFailed, `snapshot progress: ${namespace} was reported before its snapshot was added`, { context: { namespace } });
    }
    return entry;
  }
}

function collectionFigures(entry: CollectionEntry, now: number): CopyFigures {
  const done = entry.finishedAt !== undefined;
  const end = entry.finishedAt ?? now;
  return figures({
    copied: entry.alreadyCopied + entry.copiedNow,
    alreadyCopied: entry.alreadyCopied,
    estimated: entry.estimated,
    done,
    rate: entry.rate.current(now),
    average: entry.rate.average(end),
    startedAt: entry.rate.startedAt,
    end,
  });
}

interface Counts {
  readonly copied: number;
  readonly alreadyCopied: number;
  readonly estimated: number;
  readonly done: boolean;
  /** Over the window. */
  readonly rate: number | undefined;
  /** Over the run. */
  readonly average: number | undefined;
  readonly startedAt: number | undefined;
  readonly end: number;
}

function figures(counts: Counts): CopyFigures {
  const { copied, done, average } = counts;
  // A finished copy's rate over the last seconds says nothing; its average does.
  const rate = done ? average : counts.rate;
  const estimated = done ? copied : Math.max(copied, counts.estimated);
  // 100% means done: an unfinished copy that reached its estimate stays at 99%.
  const percent = done ? 100 : estimated === 0 ? 0 : Math.min(99, Math.floor((copied * 100) / estimated));
  const etaSeconds = done ? 0 : rate !== undefined && rate > 0 ? Math.ceil((estimated - copied) / rate) : undefined;
  return {
    copied,
    alreadyCopied: counts.alreadyCopied,
    estimated,
    percent,
    docsPerSecond: rate === undefined ? undefined : Math.round(rate),
    averageDocsPerSecond: average === undefined ? undefined : Math.round(average),
    etaSeconds,
    done,
    elapsedMs: counts.startedAt === undefined ? 0 : Math.max(0, counts.end - counts.startedAt),
  };
}
