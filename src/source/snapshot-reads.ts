import { MongoServerError, type ClientSession, type MongoClient } from "mongodb";
import { clusterTimeOfToken, type Position } from "../core/position.js";
import { BSON } from "../core/bson.js";
import { isFaithfulIdValue } from "../codec/id-bound.js";
import type { IdRange } from "../core/snapshot-contract.js";
import type { Logger } from "../core/logger.js";
import { retryDelay, retryWithProbe, sleep, type BackoffOptions, type ErrorKind } from "../core/retry.js";
import { tellRetry } from "../core/retry-observer.js";
import { classifyStreamError, isRetryableStreamError } from "./mongo-error-mapper.js";
import { MongoErrorCode } from "./mongo-error-codes.js";

/**
 * How the snapshot reads: from the primary, at read concern `majority`, in a causally consistent
 * session whose operation time is the snapshot's start (so every read carries
 * `afterClusterTime: <start>`; the driver's `applySession` in `src/sessions.ts`). Whatever the
 * connection string asks for (`readPreference=secondary`, `readConcernLevel=local`, …), the
 * copy then holds every write at or before the start that is majority-committed, and no write
 * that can still roll back; the change stream (majority-committed events only) delivers
 * everything after the start. docs/snapshot.md explains why this leaves no gap.
 */
export const SNAPSHOT_READ = Object.freeze({ readPreference: "primary", readConcern: { level: "majority" } } as const);

/**
 * A causally consistent session whose reads wait for `after` (the snapshot's start, a re-copy's
 * position): with `afterClusterTime` the server answers only once its majority-committed data
 * reaches that time (and writes a no-op to get there on an idle primary). Read through it with
 * {@link SNAPSHOT_READ}; end it after.
 */
export function sessionReadingAfter(client: MongoClient, after: Position | undefined): ClientSession {
  const session = client.startSession({ causalConsistency: true });
  const time = after === undefined ? undefined : clusterTimeOfToken(after.resumeToken) ?? after.clusterTime;
  if (time !== undefined && time.t > 0) session.advanceOperationTime(time);
  return session;
}

/** The `_id` index by name: every collection has it under this name, whatever its collation. */
export const ID_INDEX = "_id_";

/** A server cursor left idle this long is reopened from the last key before the server's 10-minute timeout (`cursorTimeoutMillis`) kills it. */
export const IDLE_REOPEN_MS = 9 * 60_000;

/**
 * Whether reading again can succeed: a network fault, an election or failover, a cursor the
 * server killed (`CursorNotFound`, after 10 minutes idle or a restart), or `$sample` giving up on
 * finding distinct documents (28799, random and rare).
 */
export function isTransientSnapshotError(error: unknown): boolean {
  if (error instanceof MongoServerError && error.code === MongoErrorCode.Location28799) return true;
  return isRetryableStreamError(error);
}

/** How a snapshot read retries. */
export interface SnapshotRetry {
  readonly backoff: BackoffOptions;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** What a snapshot read's error says about trying again: the server could not be selected at all, another transient fault, or for good. */
export function classifySnapshotError(error: unknown): ErrorKind {
  if (error instanceof MongoServerError && error.code === MongoErrorCode.Location28799) return "transient";
  return classifyStreamError(error);
}

/**
 * Runs `work` with the core's retry ({@link retryWithProbe}): again after each transient error,
 * with back-off and a warning; any other error (or any once `signal` aborted) is thrown as it is.
 */
export function retrySnapshotStep<T>(what: string, retry: SnapshotRetry, work: () => Promise<T>): Promise<T> {
  return retryWithProbe({
    attempt: work,
    classify: classifySnapshotError,
    component: "snapshot read",
    giveUp: (error) => error as Error,
    onRetry: (notice) => warnRetry(what, notice.attempt, notice.delayMs, notice.error, retry.logger),
    backoff: retry.backoff,
    signal: retry.signal,
  });
}

/** Waits before the next try of a read that goes on by itself (a range read, which cannot be redone as one call), saying why. */
export async function backOff(what: string, failures: number, error: unknown, retry: SnapshotRetry): Promise<void> {
  const kind = classifySnapshotError(error);
  const delay = retryDelay(failures, kind, retry.backoff);
  if (kind !== "permanent") tellRetry({ component: "snapshot read", kind });
  warnRetry(what, failures + 1, delay, error, retry.logger);
  await sleep(delay, retry.signal);
}

function warnRetry(what: string, attempt: number, delayMs: number, error: unknown, logger: Logger): void {
  logger.warn({ attempt, retryInMs: delayMs, err: error instanceof Error ? error.message : String(error) }, `snapshot interrupted ${what}; retrying`);
}

/**
 * Where a range read goes on after its cursor is reopened: from the last `_id` handed out that
 * can serve as a bound (`isFaithfulIdValue`: one the driver decoded exactly; another would name a
 * different index key as `min`), skipping the documents handed out since, which the new cursor
 * reads first.
 */
export class ReadPlace {
  /** The `_id` to reopen at; `undefined`: the range's own lower bound. */
  private resumeAt: unknown;
  private handedOut: unknown[] = [];
  private checking = false;

  /** The range to read when (re)opening a cursor. */
  rangeFrom(range: IdRange): IdRange {
    return this.resumeAt === undefined ? range : { ...range, lower: this.resumeAt };
  }

  /** A new cursor was opened: its first documents may have been handed out already. */
  reopened(): void {
    this.checking = this.handedOut.length > 0;
  }

  /** Whether a document just read was handed out before the reopen. */
  alreadyHandedOut(id: unknown): boolean {
    if (!this.checking) return false;
    if (this.handedOut.some((each) => sameId(each, id))) return true;
    // Past what was handed out: everything from here on is new.
    this.checking = false;
    return false;
  }

  handOut(id: unknown): void {
    if (isFaithfulIdValue(id)) {
      this.resumeAt = id;
      this.handedOut = [id];
    } else {
      this.handedOut.push(id);
    }
  }
}

/** Whether two `_id`s are the same value of the same type (their BSON bytes are equal). */
export function sameId(a: unknown, b: unknown): boolean {
  return Buffer.from(BSON.serialize({ v: a })).equals(Buffer.from(BSON.serialize({ v: b })));
}
