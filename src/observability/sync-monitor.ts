import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { formatNamespace, type ChangeEvent } from "../core/change-event.js";
import type { StreamBatch } from "../core/sink.js";
import { redactSecrets } from "../core/redact.js";
import type { RetryTaken } from "../core/retry-observer.js";
import { RollingSeries, type SeriesPoint } from "./rolling-series.js";
import { VerifyBoard, type VerifyStatus } from "./verify-board.js";

/** One collection's snapshot figures, as the snapshot's progress reports them. */
export interface CollectionCopy {
  readonly namespace: string;
  readonly copied: number;
  readonly estimated: number;
  readonly percent: number;
  readonly done: boolean;
  readonly docsPerSecond: number | undefined;
}

/** What the monitor reads the snapshot's progress from (the CLI hands it the snapshot's progress object). */
export interface CopyProgressSource {
  snapshot(): { readonly collections: readonly CollectionCopy[] };
}

/** The `/status` document. */
export interface SyncStatus {
  readonly phase: string;
  readonly ready: boolean;
  readonly readyReason: string;
  readonly uptimeSeconds: number;
  readonly changesApplied: number;
  readonly batchesApplied: number;
  readonly lagMs: number | undefined;
  readonly lastCommitted: { readonly clusterTime: string; readonly at: string } | undefined;
  readonly snapshot: readonly CollectionCopy[];
  readonly throughput: readonly SeriesPoint[];
  readonly lag: readonly SeriesPoint[];
  readonly warnings: number;
  /** Documents set aside in the target's dead_letters table, when counted. */
  readonly deadLetters: number | undefined;
  /** How long the last committed position has before the oplog drops it (seconds), when measured. */
  readonly oplogRunwaySeconds: number | undefined;
  /** Why the oplog runway is not measured (a sharded cluster, no read access to `local`), when it is not. */
  readonly oplogRunwayUnmeasured: string | undefined;
  readonly lastError: { readonly at: string; readonly message: string } | undefined;
  /** The error the pipeline's sync last stopped on, as recorded in the target (this run or an earlier one), when read. */
  readonly recordedError: RecordedError | undefined;
  /** The periodic verify (verify.interval): its last run and the next; absent while it is off. */
  readonly verify: VerifyStatus | undefined;
}

/** An error a sync stopped on, as the target records it (sinks/postgres/sync-errors.ts). */
export interface RecordedError {
  readonly code: string;
  readonly message: string;
  readonly sink?: string;
  readonly namespace?: string;
  readonly occurredAt: string;
  /** When a later sync ran healthy; absent while unresolved. */
  readonly resolvedAt?: string;
}

export interface SyncMonitorOptions {
  /** /readyz says ready while the last applied change is at most this old (or the stream is caught up). */
  readonly readyMaxLagMs: number;
  readonly now?: () => number;
}

const BATCH_SIZES = [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10_000];
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * What the sync is doing, for the HTTP endpoint: Prometheus metrics (prom-client, in a registry
 * of its own) and the `/status` document behind the status page, with throughput and lag over
 * the last minutes. Fed by the CLI from the sync's phases, applied batches, snapshot progress and
 * warning or error log lines; everything it shows is redacted.
 */
export class SyncMonitor {
  readonly registry = new Registry();
  /** The periodic verify's runs, for /status and the tributary_verify_* metrics. */
  readonly verify = new VerifyBoard(this.registry);
  private readonly now: () => number;
  private readonly startedAt: number;
  private currentPhase = "starting";
  private changes = 0;
  private batches = 0;
  private warningCount = 0;
  private lagMs: number | undefined;
  private lastBatchAt: number | undefined;
  private committed: { clusterTime: string; at: string } | undefined;
  private committedSeconds: number | undefined;
  private runwaySeconds: number | undefined;
  private runwayUnmeasured: string | undefined;
  private deadLetterCount: number | undefined;
  private lastError: { at: string; message: string } | undefined;
  private recorded: RecordedError | undefined;
  private copies: CopyProgressSource[] = [];
  private readonly throughput: RollingSeries;
  private readonly lagSeries: RollingSeries;
  private readonly applied: Counter<"namespace" | "op">;
  private readonly read: Counter<"namespace" | "op">;
  private readonly batchesApplied: Counter;
  private readonly batchSize: Histogram;
  private readonly applySeconds: Histogram;
  private readonly lagSeconds: Histogram;
  private readonly lastClusterTime: Gauge;
  private readonly warnings: Counter;
  private readonly retries: Counter<"component" | "kind">;
  private readonly runway: Gauge;
  private readonly deadLetterGauge: Gauge;

  constructor(private readonly options: SyncMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.throughput = new RollingSeries({ now: this.now, sum: true });
    this.lagSeries = new RollingSeries({ now: this.now, sum: false });
    const registers = [this.registry];
    this.read = new Counter({ name: "tributary_events_read_total", help: "Change events read from the change stream, before the pipeline's filters, per namespace and operation", labelNames: ["namespace", "op"], registers });
    this.applied = new Counter({ name: "tributary_events_applied_total", help: "Change events applied to every sink, per namespace and operation", labelNames: ["namespace", "op"], registers });
    this.batchesApplied = new Counter({ name: "tributary_batches_applied_total", help: "Batches applied", registers });
    this.batchSize = new Histogram({ name: "tributary_batch_size_events", help: "Events per applied batch", buckets: BATCH_SIZES, registers });
    this.applySeconds = new Histogram({ name: "tributary_apply_duration_seconds", help: "Time to apply a batch to every sink, commit included", buckets: SECONDS, registers });
    this.lagSeconds = new Histogram({ name: "tributary_end_to_end_lag_seconds", help: "From a change in MongoDB (its wall time, else its cluster time) to its commit in the sinks", buckets: SECONDS, registers });
    this.lastClusterTime = new Gauge({ name: "tributary_last_committed_cluster_time_seconds", help: "Cluster time of the last committed position, in seconds since the epoch", registers });
    this.warnings = new Counter({ name: "tributary_warnings_total", help: "Warning and error log lines (retries, reconnections, failures)", registers });
    this.retries = new Counter({
      name: "tributary_retries_total",
      help: "Retries: work tried again after an error that may pass (transient) or while a server is unreachable, per component (postgres, change stream, startup, snapshot read, webhook, …)",
      labelNames: ["component", "kind"],
      registers,
    });
    this.runway = new Gauge({ name: "tributary_oplog_runway_seconds", help: "How long the last committed position has before the oplog no longer holds it, at the oplog's current write rate", registers });
    this.deadLetterGauge = new Gauge({ name: "tributary_dead_letters", help: "Documents of this pipeline set aside in the target's dead_letters table", registers });
    const copies = (): CollectionCopy[] => this.snapshotFigures();
    new Gauge({
      name: "tributary_snapshot_documents_copied",
      help: "Documents copied by the initial snapshot, per collection",
      labelNames: ["collection"],
      registers,
      collect() {
        this.reset();
        for (const copy of copies()) this.set({ collection: copy.namespace }, copy.copied);
      },
    });
    new Gauge({
      name: "tributary_snapshot_documents_estimated",
      help: "Documents the initial snapshot expects to copy, per collection",
      labelNames: ["collection"],
      registers,
      collect() {
        this.reset();
        for (const copy of copies()) this.set({ collection: copy.namespace }, copy.estimated);
      },
    });
    const ready = (): boolean => this.readiness().ready;
    new Gauge({
      name: "tributary_ready",
      help: "1 when /readyz says ready: streaming, and caught up within the configured lag",
      registers,
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
  }

  /** The sync entered a phase (`connecting to MongoDB`, `snapshot`, `streaming`, …). */
  phase(phase: string): void {
    this.currentPhase = phase;
  }

  /** The snapshot's progress, to show per collection. */
  watchSnapshot(progress: CopyProgressSource): void {
    this.copies.push(progress);
  }

  /** An event was read from the change stream (before the filters). */
  eventRead(event: ChangeEvent): void {
    this.read.inc({ namespace: formatNamespace(event.ns), op: event.op });
  }

  /** A batch of the stream was applied to every sink in `applyMs`. */
  batchApplied(batch: StreamBatch, applyMs: number): void {
    const now = this.now();
    this.changes += batch.events.length;
    this.batches += 1;
    this.batchesApplied.inc();
    this.lastBatchAt = now;
    this.batchSize.observe(batch.events.length);
    this.applySeconds.observe(applyMs / 1000);
    for (const event of batch.events) {
      this.applied.inc({ namespace: formatNamespace(event.ns), op: event.op });
      const happened = event.wallTime ? event.wallTime.getTime() : event.clusterTime.t * 1000;
      this.lagSeconds.observe(Math.max(0, now - happened) / 1000);
    }
    const clusterTime = batch.position.clusterTime;
    this.lagMs = Math.max(0, now - clusterTime.t * 1000);
    this.lastClusterTime.set(clusterTime.t);
    this.committedSeconds = clusterTime.t;
    this.committed = { clusterTime: `${clusterTime.t}.${clusterTime.i}`, at: new Date(clusterTime.t * 1000).toISOString() };
    this.throughput.add(batch.events.length);
    this.lagSeries.add(this.lagMs);
  }

  /** The cluster time (seconds) of the last committed position, once a batch was applied. */
  lastCommittedSeconds(): number | undefined {
    return this.committedSeconds;
  }

  /** The oplog runway of the last committed position, as measured now. */
  oplogRunway(seconds: number): void {
    this.runwaySeconds = seconds;
    this.runwayUnmeasured = undefined;
    this.runway.set(seconds);
  }

  /** The oplog runway cannot be measured, and why. */
  oplogRunwayUnmeasured(reason: string): void {
    this.runwayUnmeasured = reason;
  }

  /** The pipeline's dead letters, as counted now. */
  deadLetters(count: number): void {
    this.deadLetterCount = count;
    this.deadLetterGauge.set(count);
  }

  /** The error the target records for this pipeline (or none), as read now. */
  recordedError(error: RecordedError | undefined): void {
    this.recorded = error === undefined ? undefined : { ...error, message: redactSecrets(error.message) };
  }

  /** The sync is about to wait and try again. */
  retried(retry: RetryTaken): void {
    this.retries.inc({ component: retry.component, kind: retry.kind });
  }

  /** A warning or error line was logged: counted, and the last one shown (redacted). */
  problem(message: string, level: "warn" | "error"): void {
    this.warningCount += 1;
    this.warnings.inc();
    if (level === "error" || this.lastError === undefined || this.now() - Date.parse(this.lastError.at) > 60_000) {
      this.lastError = { at: new Date(this.now()).toISOString(), message: redactSecrets(message) };
    }
  }

  /** Ready: streaming, and the last committed change is recent enough (or the stream has been quiet). */
  readiness(): { ready: boolean; reason: string } {
    if (this.currentPhase !== "streaming") return { ready: false, reason: `not streaming yet (${this.currentPhase})` };
    if (this.lagMs === undefined || this.lastBatchAt === undefined) return { ready: true, reason: "streaming" };
    // A quiet stream commits its position now and then: the lag measured then is the lag now.
    if (this.lagMs > this.options.readyMaxLagMs) return { ready: false, reason: `lag ${Math.round(this.lagMs / 1000)} s is above ${Math.round(this.options.readyMaxLagMs / 1000)} s` };
    return { ready: true, reason: "caught up" };
  }

  status(): SyncStatus {
    const { ready, reason } = this.readiness();
    return {
      phase: this.currentPhase,
      ready,
      readyReason: reason,
      uptimeSeconds: Math.round((this.now() - this.startedAt) / 1000),
      changesApplied: this.changes,
      batchesApplied: this.batches,
      lagMs: this.lagMs,
      lastCommitted: this.committed,
      snapshot: this.snapshotFigures(),
      throughput: this.throughput.points(),
      lag: this.lagSeries.points(),
      warnings: this.warningCount,
      oplogRunwaySeconds: this.runwaySeconds,
      oplogRunwayUnmeasured: this.runwayUnmeasured,
      deadLetters: this.deadLetterCount,
      lastError: this.lastError,
      recordedError: this.recorded,
      verify: this.verify.status(),
    };
  }

  /** The metrics in Prometheus' text format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private snapshotFigures(): CollectionCopy[] {
    return this.copies.flatMap((progress) =>
      progress.snapshot().collections.map(({ namespace, copied, estimated, percent, done, docsPerSecond }) => ({ namespace, copied, estimated, percent, done, docsPerSecond })),
    );
  }
}
