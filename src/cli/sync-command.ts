import type { Command } from "commander";
import type { TributaryConfig } from "../config/config-schema.js";
import type { Logger } from "../core/logger.js";
import type { StreamBatch } from "../core/sink.js";
import type { ChangeEvent } from "../core/change-event.js";
import { redactSecrets } from "../core/redact.js";
import { observeRetries } from "../core/retry-observer.js";
import { startHttpEndpoint, type HttpEndpoint } from "../observability/http-endpoint.js";
import { createLogger } from "../observability/logger.js";
import { tapProblems } from "../observability/problem-tap.js";
import { SyncMonitor } from "../observability/sync-monitor.js";
import { CommittedTime, watchOplogRunway } from "./runway-watch.js";
import { watchDeadLetters } from "./dead-letter-watch.js";
import { pipelinePeriodicVerify, type PeriodicVerify } from "./verify-watch.js";
import { ErrorCode } from "../core/error-codes.js";
import { TributaryError } from "../core/tributary-error.js";
import type { SyncPhase } from "../runtime/sync-runner.js";
import type { StartupWaitNotice } from "../runtime/wait-at-startup.js";
import type { SnapshotProgress } from "../snapshot/snapshot-progress.js";
import { checkBeforeConnecting, logWarnings, pipelineCommand } from "./pipeline-command.js";
import { configFromFlags, type SyncFlags } from "./sync-options.js";

/** What a running command shares with main(): the stop signal, and where to report the sync's phase. */
export interface RunContext {
  readonly signal: AbortSignal;
  readonly enter: (phase: SyncPhase) => void;
}

/** `tributary sync` and `tributary snapshot`. */
export function syncCommands(context: RunContext): Command[] {
  const sync = pipelineCommand(
    "sync",
    "Copy the collections not yet copied (see --snapshot), then follow MongoDB's change stream and apply every change to PostgreSQL and the sinks until SIGINT/SIGTERM; " +
      "then apply and commit the batch in flight and exit 0. Resumes from the position stored in PostgreSQL. A signal during start-up exits at once (130/143).",
    {
      examples: [
        "tributary sync --from 'mongodb://localhost:27017/?replicaSet=rs0' --to postgres://app@localhost/analytics --include 'shop.*'",
        "tributary sync --config tributary.yml --log-level debug",
        "TRIBUTARY_POSTGRES_URL_FILE=/run/secrets/pg tributary sync --from \"$MONGODB_URI\" --mapping mappings.json",
      ],
      exitCodes: ["130/143  stopped by SIGINT/SIGTERM during start-up, or by a second signal"],
    },
  ).action(async (flags: SyncFlags) => runPipeline(flags, context));
  const snapshot = pipelineCommand(
    "snapshot",
    "Copy the collections not yet copied into PostgreSQL and the sinks, then exit 0 (the same as sync --snapshot only). A later sync streams from the moment the copy started. " +
      "Stopped or killed, it continues where it was on the next start.",
    {
      examples: ["tributary snapshot --from 'mongodb://localhost:27017/?replicaSet=rs0' --to postgres://app@localhost/analytics", "tributary snapshot --config tributary.yml --sink jsonl > dump.jsonl"],
      exitCodes: ["130/143  stopped by SIGINT/SIGTERM during start-up, or by a second signal"],
    },
  ).action(async (flags: SyncFlags) => runPipeline({ ...flags, snapshot: "only" }, context));
  return [sync, snapshot];
}

async function runPipeline(flags: SyncFlags, context: RunContext): Promise<void> {
  const config = await configFromFlags(flags);
  const warnings = checkBeforeConnecting(config);
  const monitor = config.http.listen === undefined ? undefined : new SyncMonitor({ readyMaxLagMs: config.http.readyMaxLagMs });
  const logger = monitor ? tapProblems(createLogger(config.log), (message, level) => monitor.problem(message, level)) : createLogger(config.log);
  logWarnings(warnings, logger);
  const endpoint = monitor && config.http.listen !== undefined ? await listen(config.http.listen, monitor) : undefined;
  if (endpoint) logger.info({ url: endpoint.url, endpoints: ["/", "/healthz", "/readyz", "/metrics", "/status"] }, `status page at ${endpoint.url}/`);
  // The runway is measured (and warned about) with or without --http; the monitor keeps the committed position when there is one.
  const committed = monitor ?? new CommittedTime();
  const runway = watchOplogRunway(config.source.uri, config.source.serverSelectionTimeoutMs, committed, logger, config.http.oplogRunwayWarnMs);
  const letters = monitor && config.target ? watchDeadLetters(config.target.url, config.target.checkpointSchema, config.name, monitor) : undefined;
  const verifier = pipelinePeriodicVerify(config, logger, monitor?.verify);
  try {
    await runWithMonitor(config, logger, context, monitor, committed, verifier);
  } finally {
    await verifier.stop();
    letters?.stop();
    await runway.stop();
    await endpoint?.close();
  }
}

async function listen(address: string, monitor: SyncMonitor): Promise<HttpEndpoint> {
  try {
    return await startHttpEndpoint(address, monitor);
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "EADDRINUSE" ? "the address is in use" : (cause as Error).message;
    throw new TributaryError(ErrorCode.ConfigInvalid, `Cannot serve HTTP on ${address} (http.listen, --http): ${reason}`, { cause, context: { configPath: "http.listen" } });
  }
}

async function runWithMonitor(config: TributaryConfig, logger: Logger, context: RunContext, monitor: SyncMonitor | undefined, committed: CommittedTime | SyncMonitor, verifier: PeriodicVerify): Promise<void> {
  // Loaded on demand so that --help and usage errors do not pay for the drivers.
  const { runSync } = await import("../runtime/sync-runner.js");
  const { startProgressReporter } = await import("./progress-display.js");
  // On a terminal the snapshot's progress is a live display on stderr; elsewhere, log lines.
  const onSnapshotProgress = (progress: SnapshotProgress, sinkLogger: Logger) => {
    monitor?.watchSnapshot(progress);
    return startProgressReporter(progress, { output: process.stderr, logger: sinkLogger, intervalMs: config.snapshot.progressIntervalMs });
  };
  const onPhase = (phase: SyncPhase): void => {
    context.enter(phase);
    monitor?.phase(phase);
    logPhase(phase, config, logger);
    if (phase === "streaming") verifier.streaming();
  };
  const onBatchApplied = (batch: StreamBatch, applyMs: number): void => committed.batchApplied(batch, applyMs);
  // /readyz says what start-up waits for until the next phase begins.
  const onWaiting = (notice: StartupWaitNotice): void => monitor?.phase(`waiting for ${notice.waitingFor} (attempt ${notice.attempt}: ${notice.code})`);
  const onEventRead = monitor ? (event: ChangeEvent) => monitor.eventRead(event) : undefined;
  const options = { baseDir: process.cwd(), onSnapshotProgress, onPhase, onBatchApplied, onEventRead, onWaiting };
  // Every retry the sync makes, however deep, counts in tributary_retries_total.
  await (monitor ? observeRetries((retry) => monitor.retried(retry), () => runSync(config, logger, context.signal, options)) : runSync(config, logger, context.signal, options));
}

/** One line per start-up phase, naming what it connects to (redacted), so a slow start is never silent. */
function logPhase(phase: SyncPhase, config: TributaryConfig, logger: Logger): void {
  switch (phase) {
    case "checking":
      logger.debug({ pipeline: config.name }, "checking the mappings and sinks");
      return;
    case "opening sinks": {
      const sinks = [...(config.target ? [{ name: "postgres", use: "postgres", where: redactSecrets(config.target.url) }] : []), ...config.sinks.map(({ name, use }) => ({ name, use }))];
      logger.info({ sinks }, "opening the sinks and reading their stored positions");
      return;
    }
    case "connecting to MongoDB":
      logger.info({ mongodb: redactSecrets(config.source.uri), serverSelectionTimeoutMs: config.source.serverSelectionTimeoutMs }, "connecting to MongoDB");
      return;
    case "snapshot":
    case "streaming":
      logger.debug(`phase: ${phase}`);
  }
}
