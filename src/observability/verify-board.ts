import { Counter, Gauge, type Registry } from "prom-client";
import { redactSecrets } from "../core/redact.js";

/** One collection of a periodic verify run, as `/status` shows it. */
export interface VerifiedCollection {
  readonly namespace: string;
  readonly sink: string;
  readonly equal: boolean;
  readonly documents: number;
  /** Differences that remained after the re-check (and the repair), listed or not. */
  readonly differences: number;
  readonly differenceCounts: { readonly missing: number; readonly extra: number; readonly different: number };
  readonly expectedMissing: number;
  /** Keys re-checked once the sync had caught up, and how many of them were changes in flight. */
  readonly rechecked: number;
  readonly resolved: number;
  /** Why the re-check did not happen, when it did not. */
  readonly recheckSkipped?: string;
  /** With `verify.repair`: keys copied again. */
  readonly repaired?: number;
}

/** One periodic verify run. */
export interface VerifyRunSummary {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** equal: every collection equal; different: some differ; failed: the run stopped on an error. */
  readonly result: "equal" | "different" | "failed";
  readonly error?: string;
  readonly collections: readonly VerifiedCollection[];
}

/** The `verify` field of `/status`. */
export interface VerifyStatus {
  readonly intervalMs: number;
  readonly running: boolean;
  readonly nextRunAt: string | undefined;
  readonly runs: { readonly equal: number; readonly different: number; readonly failed: number };
  readonly lastRun: VerifyRunSummary | undefined;
}

/**
 * The periodic verify as the HTTP endpoint shows it: `tributary_verify_*` metrics (runs per
 * result, differences and expected-missing documents per collection of the last run that
 * finished, when it finished and how long it took) and the `verify` field of `/status`.
 */
export class VerifyBoard {
  private readonly runsTotal: Counter<"result">;
  private readonly differences: Gauge<"collection" | "sink">;
  private readonly expectedMissing: Gauge<"collection" | "sink">;
  private readonly lastRunAt: Gauge;
  private readonly lastRunSeconds: Gauge;
  private readonly runs = { equal: 0, different: 0, failed: 0 };
  private intervalMs: number | undefined;
  private running = false;
  private nextRunAt: string | undefined;
  private lastRun: VerifyRunSummary | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runsTotal = new Counter({ name: "tributary_verify_runs_total", help: "Periodic verify runs (verify.interval), per result: equal, different or failed", labelNames: ["result"], registers });
    this.differences = new Gauge({ name: "tributary_verify_differences", help: "Keys that differed from MongoDB in the last periodic verify run that finished, per collection and sink (after its re-check)", labelNames: ["collection", "sink"], registers });
    this.expectedMissing = new Gauge({ name: "tributary_verify_expected_missing", help: "Documents not in the copy because they are dead letters, in the last periodic verify run, per collection and sink", labelNames: ["collection", "sink"], registers });
    this.lastRunAt = new Gauge({ name: "tributary_verify_last_run_timestamp_seconds", help: "When the last periodic verify run finished, in seconds since the epoch", registers });
    this.lastRunSeconds = new Gauge({ name: "tributary_verify_last_run_duration_seconds", help: "How long the last periodic verify run took", registers });
  }

  /** The next run is due at `at` (every `intervalMs`). */
  scheduled(intervalMs: number, at: Date): void {
    this.intervalMs = intervalMs;
    this.nextRunAt = at.toISOString();
  }

  started(): void {
    this.running = true;
    this.nextRunAt = undefined;
  }

  /** A run finished (or failed): its figures replace the last run's; a failed run leaves the per-collection gauges as they were. */
  finished(run: VerifyRunSummary): void {
    this.running = false;
    this.runs[run.result] += 1;
    this.runsTotal.inc({ result: run.result });
    this.lastRun = run.error === undefined ? run : { ...run, error: redactSecrets(run.error) };
    this.lastRunAt.set(Date.parse(run.finishedAt) / 1000);
    this.lastRunSeconds.set(run.durationMs / 1000);
    if (run.result === "failed") return;
    this.differences.reset();
    this.expectedMissing.reset();
    for (const each of run.collections) {
      this.differences.set({ collection: each.namespace, sink: each.sink }, each.differences);
      this.expectedMissing.set({ collection: each.namespace, sink: each.sink }, each.expectedMissing);
    }
  }

  /** `undefined` while periodic verify is off. */
  status(): VerifyStatus | undefined {
    if (this.intervalMs === undefined) return undefined;
    return { intervalMs: this.intervalMs, running: this.running, nextRunAt: this.nextRunAt, runs: { ...this.runs }, lastRun: this.lastRun };
  }
}
