/** One bucket of a series: its start (epoch ms) and its value. */
export interface SeriesPoint {
  readonly at: number;
  readonly value: number;
}

export interface RollingSeriesOptions {
  readonly now: () => number;
  /** Sum the values of a bucket (throughput), or keep the latest (lag). */
  readonly sum: boolean;
  readonly bucketMs?: number;
  readonly keepMs?: number;
}

/** A time series in fixed buckets over the last minutes (5 s buckets over 10 minutes by default), for the status page's charts. */
export class RollingSeries {
  private readonly buckets: { at: number; value: number }[] = [];
  private readonly bucketMs: number;
  private readonly keepMs: number;

  constructor(private readonly options: RollingSeriesOptions) {
    this.bucketMs = options.bucketMs ?? 5_000;
    this.keepMs = options.keepMs ?? 10 * 60_000;
  }

  add(value: number): void {
    const at = Math.floor(this.options.now() / this.bucketMs) * this.bucketMs;
    const last = this.buckets.at(-1);
    if (last?.at === at) last.value = this.options.sum ? last.value + value : value;
    else this.buckets.push({ at, value });
    this.prune();
  }

  /** The buckets of the kept window; a summing series reads per second. */
  points(): SeriesPoint[] {
    this.prune();
    const perSecond = this.options.sum ? 1000 / this.bucketMs : 1;
    return this.buckets.map(({ at, value }) => ({ at, value: value * perSecond }));
  }

  private prune(): void {
    const oldest = this.options.now() - this.keepMs;
    while (this.buckets.length > 0 && (this.buckets[0]?.at ?? 0) < oldest) this.buckets.shift();
  }
}
