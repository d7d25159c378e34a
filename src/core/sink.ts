import type { Document } from "./bson.js";
import type { ChangeEvent } from "./change-event.js";
import type { Logger } from "./logger.js";
import type { Position } from "./position.js";
import type { ResumePointStore } from "./resume-point-store.js";
import type { BackoffOptions } from "./retry.js";
import type { SnapshotTarget } from "./snapshot-contract.js";

/**
 * A batch of events in stream order and the position the stream reaches once they are
 * applied. `position` may lie beyond the last event (filtered events, a quiet stream), and
 * a batch may carry no events at all, only a new position.
 *
 * A batch of the initial snapshot (events with `source: "snapshot"`) has no position: copying
 * existing documents does not move the stream. Write its events; store nothing.
 * @public
 */
export interface Batch {
  readonly events: readonly ChangeEvent[];
  readonly position?: Position;
  /**
   * Set on a copy made beside a running sync (`verify --repair`, `dead-letters retry`): its
   * documents were read at or after their events' cluster time, and the sync may have written a
   * later change of them since. Keep what the target holds from a change of that cluster time or
   * later rather than write these events over it (or delete it); a sink that keeps no time per
   * record writes them as any snapshot batch.
   */
  readonly keepNewer?: boolean;
}

/** A batch read from the change stream: it always leads to a position. @public */
export interface StreamBatch extends Batch {
  readonly position: Position;
}

/**
 * Where changes go. A transactional sink applies a batch and stores its position in one
 * transaction (exactly-once effect); others store the position after the data is durable
 * (at-least-once, with idempotent writes).
 *
 * Beyond `open`, `apply` and `close`, a sink may offer {@link SinkCapabilities}; the runtime
 * discovers them and never asks which sink it is talking to.
 * @public
 */
export interface Sink {
  readonly name: string;
  readonly transactional: boolean;
  /** Connects and prepares; returns the position stored by the last run, if any. */
  open(signal?: AbortSignal): Promise<Position | undefined>;
  /** Applies a batch and advances the stored position to `batch.position` (when it has one). */
  apply(batch: Batch, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
  /** What the sink can do beyond applying batches. */
  readonly capabilities?: SinkCapabilities;
}

/**
 * Optional abilities of a sink. Each is discovered by the runtime; a sink without one gets the
 * general path (snapshot events through `apply`, schemas from the first changes, no `verify`).
 * @public
 */
export interface SinkCapabilities {
  /** Stores its position in the same transaction as its data. */
  readonly atomicPosition?: AtomicPosition;
  /** Takes the initial snapshot through a bulk path of its own (PostgreSQL: COPY), with resumable progress. */
  readonly bulkSnapshot?: BulkSnapshot;
  /** Prepares its schema from sampled documents before the first change (an inferred mapping). */
  readonly schemaFromSamples?: SchemaFromSamples;
  /** Reads back what it holds for a document. */
  readonly readBack?: ReadBack;
  /** Fingerprints what it holds and what it would hold for a source document, for `tributary verify`. */
  readonly verifiable?: Verifiable;
  /**
   * The only collections (`db.coll`) this sink takes, when it says so (a relational mapping lists
   * them): the pipeline then syncs no other collection unless `include` names it.
   */
  readonly collections?: ReadonlySet<string>;
}

/** @public */
export interface AtomicPosition {
  /** The position stored with the data: as of `open()`, then as each batch commits. */
  storedPosition(): Position | undefined;
  /**
   * Stores where streaming starts when nothing is stored yet (the position an initial snapshot
   * started at); a stored position stays as it is.
   */
  startStreamAt(position: Position): Promise<void>;
}

/** @public */
export interface BulkSnapshot {
  /**
   * A snapshot target writing into the sink's own storage, with `parallelism` connections of
   * its own; call after `open()` and close it when the snapshot is done.
   */
  snapshotTarget(parallelism: number): SnapshotTarget & { close(): Promise<void> };
}

/** @public */
export interface SchemaFromSamples {
  /** Of these collections (`db.coll`), the ones whose schema is not prepared yet. Call after `open()`. */
  unprepared(namespaces: readonly string[]): string[];
  /** Prepares the schema of each collection from its sampled documents. */
  prepare(samples: ReadonlyMap<string, readonly Document[]>): void;
}

/** @public */
export interface ReadBack {
  /**
   * What the sink holds for these `_id`s of a collection, keyed by the `_id`'s key text
   * (`keyText`): the row as the sink stores it. Ids it does not hold are absent.
   */
  read(namespace: string, ids: readonly unknown[]): Promise<Map<string, Readonly<Record<string, unknown>>>>;
}

/**
 * One document as a sink holds it (or would hold it), reduced for `tributary verify`.
 * @public
 */
export interface Fingerprint {
  /** The sink's own key of the document (raw PostgreSQL: `keyText(_id)`; relational: the primary key's text). */
  readonly key: string;
  /** The `_id` (or, read back, the closest value the key gives) by which the document falls into an `_id` range. */
  readonly id: unknown;
  /** The canonical text of the document as held: equal texts mean equal documents. */
  readonly canonical: string;
}

/** What a sink holds for one document, with when it was last written. @public */
export interface HeldFingerprint extends Fingerprint {
  /** The cluster time of the change that wrote it, when the sink records one. */
  readonly clusterTime?: Date;
}

/** A source document as the sink would hold it, or why the sink would refuse it (a dead letter). @public */
export type ExpectedFingerprint = Fingerprint | { readonly key: string; readonly id: unknown; readonly rejected: string };

/** @public */
export interface Verifiable {
  /** How the sink would hold each of these source documents of a collection, in the same order. */
  expected(namespace: string, docs: readonly Document[]): Promise<ExpectedFingerprint[]>;
  /** Everything the sink holds for a collection, in chunks of at most `chunkSize` (smaller ones for large documents are fine), in any order. */
  held(namespace: string, chunkSize: number, signal?: AbortSignal): AsyncIterable<HeldFingerprint[]>;
  /** What the sink holds for these keys ({@link Fingerprint.key}); keys it does not hold are absent. */
  heldKeys(namespace: string, keys: readonly string[]): Promise<HeldFingerprint[]>;
  /** The `keyText(_id)` of the documents of a collection the sink set aside as dead letters. */
  deadLetterKeys(namespace: string): Promise<ReadonlySet<string>>;
  /** The stream position the sink's data has reached now (read afresh, not as of `open()`). */
  syncedTo(): Promise<Position | undefined>;
}

/**
 * What Tributary hands a sink factory besides the sink's own options.
 * @public
 */
export interface SinkContext {
  /** The pipeline's name (`name` in the config). */
  readonly pipeline: string;
  /** This sink's name in the config (unique within the pipeline). */
  readonly sinkName: string;
  /** Log through this (a child logger that names the sink). */
  readonly logger: Logger;
  /** Relative paths in options are relative to this directory (the config file's, or the working directory). */
  readonly baseDir: string;
  /**
   * Where the sink keeps its position unless it has a better place (a transactional target
   * keeps it with its data): the `positions` of the sink's config, or the pipeline's default.
   */
  readonly positions: ResumePointStore;
  /** The pipeline's back-off for retrying a write after a network fault or an outage (`retry` in the config). */
  readonly retry?: BackoffOptions;
}

/**
 * What a sink plugin exports as `createSink`: builds a sink from the `options` object of its
 * config entry. Validate the options here and throw a clear error naming the bad one.
 * @public
 */
export type SinkFactory = (options: Readonly<Record<string, unknown>>, context: SinkContext) => Sink | Promise<Sink>;
