import type { ChangeEvent } from "../core/change-event.js";
import type { Position } from "../core/position.js";
import type { TributaryError } from "../core/tributary-error.js";
import type { IdBatch } from "./id-batcher.js";
import type { CopyOutcome } from "./initial-copy.js";

/** Receives each change; may be async (awaited before the next change, or the next of its document with `concurrency`). @public */
export type ChangeHandler = (event: ChangeEvent) => void | Promise<void>;
/** Receives each id batch; may be async (awaited before the next delivery). @public */
export type BatchHandler = (batch: IdBatch) => void | Promise<void>;
/** Receives the error that ended the watcher. @public */
export type ErrorHandler = (error: TributaryError) => void;
/** Called once when the watcher has ended, with its failure (if any) and last completed position. @public */
export type StopHandler = (info: StopInfo) => void;

/** Told once the initial copy is done: every copied document handled. @public */
export type CopiedHandler = (outcome: CopyOutcome) => void;

/** @public */
export interface StopInfo {
  /** Why it ended, when it failed; `undefined` after `stop()`. */
  readonly error: TributaryError | undefined;
  /** The last completed position (saved to the store, when there is one). */
  readonly position: Position | undefined;
}

/** The handlers registered with `ChangeWatcher.on`, in the order they were registered. */
export interface WatcherListeners {
  readonly change: ChangeHandler[];
  readonly batch: BatchHandler[];
  readonly error: ErrorHandler[];
  readonly stop: StopHandler[];
  readonly copied: CopiedHandler[];
}
