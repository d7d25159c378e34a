// "tributary/sink": the sink contract, helpers for writing a sink, the built-in sinks other than
// PostgreSQL, and a conformance suite to run against a sink of your own. See docs/library.md.

export { atLeastOnceSink } from "./sinks/at-least-once-sink.js";
export { eventToJson } from "./sinks/event-json.js";
export { parseSinkOptions } from "./sinks/sink-options.js";
export { docManagerSink } from "./sinks/docmanager/doc-manager-sink.js";
export { createJsonlSink } from "./sinks/jsonl/jsonl-sink.js";
export { createWebhookSink } from "./sinks/webhook/webhook-sink.js";
export { createMongoSink } from "./sinks/mongodb/mongodb-sink.js";
export { checkSinkConformance, SinkConformanceError, SinkConformanceRules } from "./sinks/sink-conformance.js";
export { keyText } from "./codec/key-text.js";
export { toPlainDocument, toPlainValue } from "./codec/plain-values.js";
export { formatNamespace, isDataOp, splitNamespace } from "./core/change-event.js";
export { silentLogger } from "./core/logger.js";

export type { Batch, StreamBatch, Sink, SinkCapabilities, AtomicPosition, BulkSnapshot, SchemaFromSamples, ReadBack, Verifiable, Fingerprint, HeldFingerprint, ExpectedFingerprint, SinkContext, SinkFactory } from "./core/sink.js";
export type { SnapshotTarget, SnapshotChunk, IdRange, CollectionSnapshotPlan, CollectionSnapshotState, SnapshotRangeState } from "./core/snapshot-contract.js";
export type { SinkConformanceOptions, SinkConformanceReport, SinkConformanceRule } from "./sinks/sink-conformance.js";
export type { EventWriter, PositionRetry } from "./sinks/at-least-once-sink.js";
export type { ExtendedJsonFormat } from "./sinks/event-json.js";
export type { CommandDetails, DocManager, DocManagerOptions, MaybePromise } from "./sinks/docmanager/doc-manager.js";
export type { JsonlSinkOptions } from "./sinks/jsonl/jsonl-options.js";
export type { WebhookOptions } from "./sinks/webhook/webhook-options.js";
export type { MongoSinkOptions } from "./sinks/mongodb/mongodb-sink-options.js";
export type { ChangeEvent, ChangeOp, CommandOp, DataOp, Namespace, TransactionId, UpdateDescription } from "./core/change-event.js";
export type { Position, ResumeToken } from "./core/position.js";
export type { ResumePointStore } from "./core/resume-point-store.js";
export type { Logger, LogFn } from "./core/logger.js";
export type { ValueMode, LargeLongs, PlainValueOptions } from "./codec/plain-values.js";
