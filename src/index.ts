// "tributary": watch() and runSync(), their options and results, errors, the resume point stores
// that need no PostgreSQL, and the event types. Nothing here may load `pg`: the PostgreSQL sink
// is "tributary/postgres", the sink plugin API "tributary/sink". See docs/library.md.

export { watch } from "./watch/watch.js";
export { runSync } from "./runtime/sync-runner.js";
export { validateConfig } from "./config/load-config.js";
export { ErrorCode } from "./core/error-codes.js";
export { TributaryError, isTributaryError } from "./core/tributary-error.js";
export { FileResumePointStore } from "./checkpoint/file-resume-point-store.js";
export { MongoResumePointStore } from "./checkpoint/mongodb-resume-point-store.js";
export { enableChangeStreamImages, changeStreamImagesEnabled } from "./source/change-stream-images.js";
export { silentLogger } from "./core/logger.js";
export { redactingLogger } from "./core/redacting-logger.js";
export { toPlainDocument, toPlainValue } from "./codec/plain-values.js";

export type { ChangeWatcher, ChangeHandler, BatchHandler, ErrorHandler, StopHandler, StopInfo, CopiedHandler } from "./watch/change-watcher.js";
export type { WatchOptions, WatchHandlerRetry, WatchCopy } from "./watch/watch-options.js";
export type { DeadLetter, DeadLetterHandler } from "./watch/handler-retry.js";
export type { CopyOutcome } from "./watch/initial-copy.js";
export type { WatchStart } from "./core/position.js";
export type { WatchScope } from "./source/watch-scope.js";
export type { IdBatch, IdGroup, IdBatchLimits } from "./watch/id-batcher.js";
export type { PipelineStatsSnapshot as WatchStatsSnapshot, OperationCounts } from "./pipeline/pipeline-stats.js";
export type { EventPredicate } from "./pipeline/event-selector.js";
export type { SaveEvery } from "./pipeline/resume-cadence.js";
export type { RunSyncOptions, SyncPhase } from "./runtime/sync-runner.js";
export type { StartupWaitNotice } from "./runtime/wait-at-startup.js";
export { observeRetries, type RetryObserver, type RetryTaken } from "./core/retry-observer.js";
export type { SnapshotObserver } from "./runtime/snapshot-phase.js";
export type { SnapshotProgress } from "./snapshot/snapshot-progress.js";
export type { ProgressReporter } from "./snapshot/progress-log.js";
export type { PipelineStats } from "./pipeline/pipeline-stats.js";
export type { TributaryConfig, TributaryConfigInput, SinkConfig, PositionsConfig } from "./config/config-schema.js";
export type { ErrorContext } from "./core/tributary-error.js";
export type { ChangeEvent, ChangeOp, CommandOp, DataOp, Namespace, TransactionId, UpdateDescription } from "./core/change-event.js";
export type { Position, ResumeToken } from "./core/position.js";
export type { ResumePointStore } from "./core/resume-point-store.js";
export type { MongoResumePointStoreOptions } from "./checkpoint/mongodb-resume-point-store.js";
export type { BackoffOptions } from "./core/retry.js";
export type { Logger, LogFn } from "./core/logger.js";
export type { ValueMode, LargeLongs, PlainValueOptions } from "./codec/plain-values.js";
